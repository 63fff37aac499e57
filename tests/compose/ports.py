"""Published ports: the machine's 127.0.0.1:H forwarded to a service's address on the rehearsal's bridge.

What Docker's port proxy does for `ports: ["127.0.0.1:H:C"]`: it listens on the machine's loopback and
connects to the container's own address, port C (so a server listening only on the container's 127.0.0.1 is
not reachable, as with Docker). The listening socket is made in the machine's namespace; each connection's
other end is made by a thread that entered the bridge's namespace (setns changes one thread only), so no
address or route is ever added to the machine's own network.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import selectors
import socket
import threading
from pathlib import Path

_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def enter_network_namespace(path: Path) -> None:
    """Move the calling thread (only it) into the network namespace at ``path``."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {path}")
    finally:
        os.close(fd)


def _pump(client: socket.socket, namespace: Path, address: tuple[str, int]) -> None:
    with contextlib.ExitStack() as stack:
        stack.callback(client.close)
        enter_network_namespace(namespace)
        try:
            server = socket.create_connection(address, timeout=10)
        except OSError:
            return  # as Docker's proxy does: the client sees the connection closed
        stack.callback(server.close)
        server.settimeout(None)
        peers = {client: server, server: client}
        with selectors.DefaultSelector() as selector:
            for sock in peers:
                selector.register(sock, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    try:
                        data = key.fileobj.recv(65536)
                        if data:
                            peers[key.fileobj].sendall(data)
                    except OSError:  # one end reset the connection (a server stopped): close the other
                        return
                    if not data:
                        return


class PublishedPort:
    """Listens on the machine's ``host_ip:host_port``; relays connections to ``address`` in ``namespace``."""

    def __init__(self, host_ip: str, host_port: int, namespace: Path, address: tuple[str, int]) -> None:
        self.namespace = namespace
        self.address = address
        self._listener = socket.create_server((host_ip, host_port))
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=_pump, args=(client, self.namespace, self.address), daemon=True).start()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
