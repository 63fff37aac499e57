"""Which sockets a set of processes listens on, and which of them other machines could reach.

    found = listening_sockets([psutil.Process(pid)])   # that process and its descendants
    for listener in exposed(found):                    # not on 127.0.0.1 or ::1
        print(listener)                                # airflow serve-logs (pid 4242) tcp 0.0.0.0:8793

A listener is a TCP socket in LISTEN state or a UDP socket with no peer (`ss -ltnup` lists the same): both
accept traffic from whoever can reach their address. Nothing here knows the lab's pieces, so the same
check runs on a native lab's process trees and, inside a network namespace, on that namespace's processes.
"""

from __future__ import annotations

import ipaddress
import itertools
import socket
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
            connections = process.net_connections(kind="inet")
        except psutil.NoSuchProcess:  # also a zombie: it holds no sockets any more
            continue
        found.update(
            Listener(described, process.pid, _PROTOCOLS[conn.type], conn.laddr.ip, conn.laddr.port)
            for conn in connections
            if is_listening(conn.type, conn.status, conn.raddr)
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
