"""Which sockets a set of processes listens on, and which of them other machines could reach.

    found = listening_sockets([psutil.Process(pid)])   # that process and its descendants
    for listener in exposed(found):                    # not on 127.0.0.1 or ::1
        print(listener)                                # airflow serve-logs (pid 4242) tcp 0.0.0.0:8793

A listener is a TCP socket in LISTEN state or a UDP socket with no peer (`ss -ltnup` lists the same): both
accept traffic from whoever can reach their address. Nothing here knows the lab's pieces, so the same
check runs on a native lab's process trees and on processes in network namespaces of their own (a compose
rehearsal's hosts). Sockets are read from each process's own /proc/<pid>/net tables: psutil reads the
caller's namespace's, where another namespace's sockets do not show.
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import os
import socket
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from lab.config import LOOPBACK_ADDRESSES


@dataclass(frozen=True, order=True)
class Listener:
    """One listening socket and the process that holds it."""

    process: str  # its program and subcommands (describe())
    pid: int
    protocol: str  # "tcp" or "udp"
    address: str  # "0.0.0.0" or "::" means every interface
    port: int

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.process} (pid {self.pid}) {self.protocol} {host}:{self.port}"


def listening_sockets(processes: Iterable[psutil.Process]) -> list[Listener]:
    """The listeners of ``processes`` and of all their descendants, each process once.

    A process that exits meanwhile is left out; one this user may not inspect raises psutil.AccessDenied
    rather than passing the check unseen.
    """
    found: set[Listener] = set()
    for process in _with_descendants(processes):
        try:
            described = describe(process)
            sockets = _sockets(process.pid)
        except (psutil.NoSuchProcess, FileNotFoundError, ProcessLookupError):  # exited, or a zombie
            continue
        found.update(
            Listener(described, process.pid, _PROTOCOLS[kind], address, port)
            for kind, status, (address, port), peer in sockets
            if is_listening(kind, status, peer)
        )
    return sorted(found)


def is_listening(kind: int, status: str, peer: tuple) -> bool:
    """A TCP socket waiting for connections, or a UDP socket that takes datagrams from anyone."""
    if kind == socket.SOCK_STREAM:
        return status == psutil.CONN_LISTEN
    return kind == socket.SOCK_DGRAM and not peer


def exposed(listeners: Iterable[Listener], allowed: Sequence[str] = LOOPBACK_ADDRESSES) -> list[Listener]:
    """The listeners bound to an address other than ``allowed`` (an IPv4-mapped IPv6 address counts as
    its IPv4 one)."""
    permitted = {ipaddress.ip_address(address) for address in allowed}
    return [listener for listener in listeners if _plain_address(listener.address) not in permitted]


def describe(process: psutil.Process) -> str:
    """The program and its subcommands, as `ps` shows them: "airflow serve-logs", "lab serve airflow".

    Airflow titles its processes so. A script is named without its interpreter and folder; options are left
    out, as they may carry a password (a database URL, say).
    """
    words = " ".join(process.cmdline()).split()
    if not words:  # a kernel thread, or a zombie
        return process.name()
    program, *rest = words
    if Path(program).name.startswith("python") and rest and not rest[0].startswith("-"):
        program, *rest = rest
    subcommands = itertools.takewhile(lambda word: not word.startswith("-"), rest)
    return " ".join([Path(program).name, *subcommands])


_PROTOCOLS = {socket.SOCK_STREAM: "tcp", socket.SOCK_DGRAM: "udp"}
# /proc/<pid>/net tables: their socket kind. A TCP row's state is hex ("0A" is LISTEN); UDP has none.
_TABLES = {
    "tcp": socket.SOCK_STREAM,
    "tcp6": socket.SOCK_STREAM,
    "udp": socket.SOCK_DGRAM,
    "udp6": socket.SOCK_DGRAM,
}
_TCP_STATES = {"01": psutil.CONN_ESTABLISHED, "0A": psutil.CONN_LISTEN}


def _sockets(pid: int) -> list[tuple[int, str, tuple[str, int], tuple]]:
    """(kind, status, local address, peer or ()) of each IP socket the process holds, in its own namespace.
    A process this user may not inspect raises PermissionError rather than passing unseen."""
    proc = Path("/proc", str(pid))
    inodes = set()
    for fd in (proc / "fd").iterdir():
        with contextlib.suppress(FileNotFoundError):  # closed meanwhile
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    found = []
    for table, kind in _TABLES.items():
        for row in (proc / "net" / table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[9] not in inodes:
                continue
            local, remote = _endpoint(fields[1]), _endpoint(fields[2])
            status = _TCP_STATES.get(fields[3], fields[3]) if kind == socket.SOCK_STREAM else psutil.CONN_NONE
            peer = remote if remote[1] else ()
            found.append((kind, status, local, peer))
    return found


def _endpoint(text: str) -> tuple[str, int]:
    """A /proc/net address, "0100007F:1F90" (each 32-bit word in host byte order), as ("127.0.0.1", 8080)."""
    address, port = text.split(":")
    raw = bytes.fromhex(address)
    words = b"".join(
        int.from_bytes(raw[i : i + 4], sys.byteorder).to_bytes(4, "big") for i in range(0, len(raw), 4)
    )
    return str(ipaddress.ip_address(words)), int(port, 16)


def _plain_address(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # a link-local address may carry "%eth0"
    return getattr(ip, "ipv4_mapped", None) or ip


def _with_descendants(processes: Iterable[psutil.Process]) -> list[psutil.Process]:
    seen: dict[int, psutil.Process] = {}
    for process in processes:
        try:
            tree = [process, *process.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for member in tree:
            seen.setdefault(member.pid, member)
    return list(seen.values())
