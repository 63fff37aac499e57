"""lab.listeners: which sockets a process tree listens on, and which of them are off loopback.

The sockets here are real but bound to 127.0.0.1 only; addresses beyond it are checked as data.
"""

from __future__ import annotations

import socket
import subprocess
import sys

import psutil
import pytest

from lab.listeners import Listener, describe, exposed, is_listening, listening_sockets


def listener(address: str, protocol: str = "tcp") -> Listener:
    return Listener("airflow serve-logs", 4242, protocol, address, 8793)


@pytest.mark.parametrize(
    ("address", "reachable_from_elsewhere"),
    [
        ("127.0.0.1", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),  # an IPv6 socket bound to the IPv4 loopback
        ("0.0.0.0", True),
        ("::", True),
        ("192.168.1.20", True),
        ("127.0.0.2", True),  # loopback, but not one of the allowed addresses
        ("fe80::1%eth0", True),
    ],
)
def test_exposed_keeps_what_is_not_on_an_allowed_address(address, reachable_from_elsewhere):
    found = [listener(address), listener(address, "udp")]
    assert exposed(found) == (found if reachable_from_elsewhere else [])


def test_exposed_takes_other_allowed_addresses():
    # In a container of its own network namespace, every interface may be the point.
    assert exposed([listener("0.0.0.0")], allowed=("0.0.0.0",)) == []


def test_a_listener_names_its_process_and_port():
    assert str(listener("0.0.0.0")) == "airflow serve-logs (pid 4242) tcp 0.0.0.0:8793"
    assert str(listener("::")) == "airflow serve-logs (pid 4242) tcp [::]:8793"


@pytest.mark.parametrize(
    ("kind", "status", "peer", "listening"),
    [
        (socket.SOCK_STREAM, psutil.CONN_LISTEN, (), True),
        (socket.SOCK_STREAM, psutil.CONN_ESTABLISHED, ("127.0.0.1", 5432), False),
        (socket.SOCK_DGRAM, psutil.CONN_NONE, (), True),  # takes datagrams from anyone
        (socket.SOCK_DGRAM, psutil.CONN_NONE, ("127.0.0.53", 53), False),  # connected: its peer only
    ],
)
def test_what_counts_as_listening(kind, status, peer, listening):
    assert is_listening(kind, status, peer) is listening


# A process whose tree holds one socket of each kind, on 127.0.0.1: it prints the ports that listen
# (TCP, UDP, its child's pid and TCP) and stays until its standard input closes.
SOCKETS_SCRIPT = """
import os, socket, subprocess, sys

def bound(kind):
    sock = socket.socket(socket.AF_INET, kind)
    sock.bind(("127.0.0.1", 0))
    return sock

server = bound(socket.SOCK_STREAM)
server.listen()
client = socket.create_connection(server.getsockname())
datagrams = bound(socket.SOCK_DGRAM)
connected = bound(socket.SOCK_DGRAM)
connected.connect(datagrams.getsockname())
child = subprocess.Popen(
    [sys.executable, "-c", "import socket, sys; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen();"
     " print(s.getsockname()[1], flush=True); sys.stdin.read()"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
)
ports = [server.getsockname()[1], datagrams.getsockname()[1], child.pid, child.stdout.readline().strip()]
print(*ports, flush=True)
sys.stdin.read()
child.stdin.close()
child.wait()
"""


def test_listening_sockets_of_a_process_tree():
    """A TCP listener, an unconnected UDP socket and a child's listener are found; a TCP client connection,
    the server's side of it and a connected UDP socket are not."""
    parent = subprocess.Popen(
        [sys.executable, "-c", SOCKETS_SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        tcp_port, udp_port, child_pid, child_port = map(int, parent.stdout.readline().split())
        found = listening_sockets([psutil.Process(parent.pid)])
    finally:
        parent.stdin.close()
        parent.wait(timeout=10)
    assert {(item.pid, item.protocol, item.address, item.port) for item in found} == {
        (parent.pid, "tcp", "127.0.0.1", tcp_port),
        (parent.pid, "udp", "127.0.0.1", udp_port),
        (child_pid, "tcp", "127.0.0.1", child_port),
    }
    assert found == sorted(found) and len(found) == 3
    assert exposed(found) == []


def test_a_process_that_has_exited_has_no_listeners():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    process = psutil.Process(gone.pid)
    gone.wait()
    assert listening_sockets([process]) == []


class FakeProcess:
    def __init__(self, cmdline: list[str], name: str = "") -> None:
        self._cmdline, self._name = cmdline, name

    def cmdline(self) -> list[str]:
        return self._cmdline

    def name(self) -> str:
        return self._name


@pytest.mark.parametrize(
    ("cmdline", "described"),
    [
        (["airflow serve-logs" + " " * 40], "airflow serve-logs"),  # Airflow's padded process title
        (["airflow api_server -- host:127.0.0.1 port:8080"], "airflow api_server"),
        (["/venv/bin/lab", "serve", "airflow"], "lab serve airflow"),
        (["/venv/bin/python", "/venv/bin/moto_server", "-H", "127.0.0.1", "-p", "4566"], "moto_server"),
        # Options may carry a password: left out.
        (["/venv/bin/redshift-emulator", "--upstream", "postgresql://u:secret@db/dev"], "redshift-emulator"),
        (["/usr/bin/python3", "-c", "print()"], "python3"),
        ([], "kworker/0:1"),  # a kernel thread has no command line, only a name
    ],
)
def test_describe_names_the_program_and_its_subcommands(cmdline, described):
    assert describe(FakeProcess(cmdline, "kworker/0:1")) == described
