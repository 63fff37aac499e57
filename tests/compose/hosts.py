"""The rehearsal's hosts: one Linux network namespace per compose service, on a bridge of their own.

    network = Network("nps-1a2b", ["mysql", "postgres", ...], folder)  # namespaces, bridge, /etc/netns hosts
    host = network.hosts["mysql"]
    host.lay_out([("bind", "/tmp/x/mysql-data", "/var/lib/mysql")])  # its files, as a container's
    host.argv(Process(["mysqladmin", "ping"], env={...}))    # the argv that runs a process there

Like a compose network: each service is a host of its own with its own 127.0.0.1, service names resolve to
their addresses (/etc/netns/<namespace>/hosts, which `ip netns exec` mounts over /etc/hosts), and the
bridge lives in a namespace of its own. Every address exists only inside these namespaces: nothing is added
to the machine's own network namespace, and no route leads out of them.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

NETNS_ETC = Path("/etc/netns")
NETNS_RUN = Path("/var/run/netns")
ENTER = Path(__file__).with_name("enter.py")


def namespaces_unavailable() -> str | None:
    """Why the rehearsal cannot run on this machine, or None."""
    if os.geteuid() != 0:
        return "the compose rehearsal needs root (network and mount namespaces)"
    for program in ("ip", "nsenter", "mount"):
        if shutil.which(program) is None:
            return f"the compose rehearsal needs `{program}` (iproute2, util-linux)"
    probe = f"nps-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode:
        return f"network namespaces cannot be made here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "delete", probe], capture_output=True)
    return None


def ip(*arguments: str) -> None:
    result = subprocess.run(["ip", *arguments], capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"ip {' '.join(arguments)}: {result.stderr.strip()}")


@dataclass
class Process:
    """A process to run in a host: as a container runs its command, or `docker compose exec` a command."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "/"
    uid: int | None = None  # None: root, as the host's image would run it
    gid: int = 0


class Host:
    """One service's host: its network namespace, and a process that holds its mount namespace."""

    def __init__(self, prefix: str, service: str, address: str, folder: Path) -> None:
        self.service = service
        self.namespace = f"{prefix}-{service}"
        self.address = address
        self.folder = folder  # the host's own files: its writable layer, process specs, logs
        self.folder.mkdir(parents=True, exist_ok=True)
        self._holder: subprocess.Popen | None = None
        self._specs = itertools.count(1)  # numbers the process specs; next() is atomic across threads

    def lay_out(self, mounts: list[tuple[str, str, str]], overlays: list[str]) -> None:
        """Mount the host's files and keep them mounted: ``mounts`` are (kind, path here, path in the host),
        kind "bind" (a volume) or "copy" (an image's files, under the host's own writable layer);
        ``overlays`` are directories made the host's own (its writable layer over the machine's files).

        /etc is always the host's own: /etc/hosts names the services, and /etc/passwd keeps what an entry
        script appends to it, as a container's does.
        """
        etc = NETNS_ETC / self.namespace
        names = [("bind", str(etc / name), f"/etc/{name}") for name in ("hosts", "resolv.conf")]
        layout = {
            "layer": str(self.folder / "layer"),
            "overlays": ["/etc"],
            "mounts": [*names, *mounts],
            "own_directories": overlays,
        }
        path = self.folder / "layout.json"
        path.write_text(json.dumps(layout))
        self._holder = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace, sys.executable, str(ENTER), "hold", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        answer = self._holder.stdout.readline().strip()
        if answer != "ready":
            raise RuntimeError(f"{self.service}: the host's files could not be laid out:\n{answer}")

    def argv(self, process: Process) -> list[str]:
        """The command that runs ``process`` in this host: its network, its files, its user."""
        spec = self.folder / f"process-{next(self._specs)}.json"
        spec.write_text(json.dumps(process.__dict__))
        enter = ["nsenter", f"--target={self._holder.pid}", "--mount", "--net"]
        return [*enter, sys.executable, str(ENTER), "run", str(spec)]

    def run(self, process: Process, timeout: float) -> subprocess.CompletedProcess:
        """``process`` to its end, its output captured: a health check, or `docker compose exec`."""
        return subprocess.run(self.argv(process), capture_output=True, text=True, timeout=timeout)

    def close(self) -> None:
        if self._holder and self._holder.poll() is None:
            self._holder.terminate()
            self._holder.wait(timeout=10)


class Network:
    """A bridge in a namespace of its own, and one host per service on it, named as compose names them."""

    def __init__(self, prefix: str, services: list[str], folder: Path) -> None:
        self.prefix = prefix
        self.bridge_namespace = f"{prefix}-net"
        # A /24 of the private 10/8 range, which exists only inside these namespaces.
        subnet = f"10.{random.randint(100, 250)}.{random.randint(0, 255)}"
        self.gateway = f"{subnet}.1"
        self.hosts = {
            name: Host(prefix, name, f"{subnet}.{10 + index}", folder / name)
            for index, name in enumerate(services)
        }
        self._made: list[str] = []
        try:
            self._make()
        except Exception:
            self.close()
            raise

    def _make(self) -> None:
        bridge = self.bridge_namespace
        self._add_namespace(bridge)
        ip("-n", bridge, "link", "add", "br0", "type", "bridge")
        ip("-n", bridge, "addr", "add", f"{self.gateway}/24", "dev", "br0")
        ip("-n", bridge, "link", "set", "br0", "up")
        names = "\n".join(f"{host.address}\t{name}" for name, host in self.hosts.items())
        for index, host in enumerate(self.hosts.values()):
            self._add_namespace(host.namespace)
            # Both ends are made in the bridge's namespace, one moved at once: the machine's never sees them.
            ip("-n", bridge, "link", "add", f"veth{index}", "type", "veth", "peer", "name", "eth0")
            ip("-n", bridge, "link", "set", "eth0", "netns", host.namespace)
            ip("-n", bridge, "link", "set", f"veth{index}", "master", "br0", "up")
            ip("-n", host.namespace, "addr", "add", f"{host.address}/24", "dev", "eth0")
            ip("-n", host.namespace, "link", "set", "eth0", "up")
            ip("-n", host.namespace, "link", "set", "lo", "up")
            etc = NETNS_ETC / host.namespace
            etc.mkdir(parents=True, exist_ok=True)
            (etc / "hosts").write_text(f"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n{names}\n")
            # Names outside the network go to a resolver on the host's own loopback, where none answers.
            (etc / "resolv.conf").write_text("nameserver 127.0.0.1\n")

    def _add_namespace(self, name: str) -> None:
        ip("netns", "add", name)
        self._made.append(name)

    @property
    def bridge_path(self) -> Path:
        """The bridge's network namespace, for a socket that connects to the hosts' addresses."""
        return NETNS_RUN / self.bridge_namespace

    def close(self) -> None:
        for host in self.hosts.values():
            host.close()
        for name in reversed(self._made):
            with contextlib.suppress(RuntimeError):
                ip("netns", "delete", name)
            shutil.rmtree(NETNS_ETC / name, ignore_errors=True)
        self._made.clear()
