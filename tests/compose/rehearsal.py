"""`docker compose up` rehearsed without Docker: each service of docker-compose.yml as a host of its own.

    with Rehearsal(folder) as stack:           # namespaces, then every service in compose's order
        stack.up()                             # returns when every service is healthy (or has completed)
        stack.exec("jupyter", ["lab", "status"])   # `docker compose exec jupyter lab status`
        stack.restart("s3")                    # `docker compose restart s3`
        stack.published("airflow", 8080)       # the machine's 127.0.0.1 port that compose publishes
        stack.up_again({"LAB_S3_SERVER": "moto"})  # `LAB_S3_SERVER=moto docker compose up -d`

The compose file is read as compose reads it (compose_file.py): command, environment and env_file after
${VAR:-default} substitution and `extends` (the s3 service's server: LAB_S3_SERVER), user, volumes,
published ports, health checks with their intervals, depends_on conditions and restart policies. Hosts
and their network come from hosts.py, the images' stand-ins from images.py, published ports from ports.py.
What it cannot prove is the images themselves (README says so).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from lab import processes
from lab.config import LOOPBACK
from tests.compose import compose_file, images
from tests.compose.hosts import Host, Network
from tests.compose.ports import PublishedPort

UP_TIMEOUT = 420  # seconds for the whole stack to be healthy: Airflow's first start migrates its database
STOP_TIMEOUT = 10  # docker stop's default grace period before SIGKILL
RESTART_DELAY = 1.0
# A host port given by a variable: "127.0.0.1:${LAB_MYSQL_PORT:-3306}:3306".
_PORT_VARIABLE = re.compile(r":\$\{(\w+):-\d+\}:")
# Where the rehearsal's files go: outside the checkout, which may sit in a folder that only its owner may
# enter (a home folder, a `mktemp -d`), and not under /tmp, which a host may overlay.
FILES_ROOT = Path("/var/tmp")
# The lines of a service's log that say why it did not start, for the first line of the error.
_CAUSE = re.compile(r"permission denied|errcode|fatal|error|cannot|can't|no such file", re.IGNORECASE)


class RehearsalError(RuntimeError):
    """A service failed to start, became unhealthy or exited: the message carries its log."""


def files_folder(name: str) -> Path:
    """A new folder for a rehearsal's files, which every host's user (mysql, postgres, AIRFLOW_UID) enters."""
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=FILES_ROOT))
    folder.chmod(0o755)
    return folder


def closed_ancestor(folder: Path) -> Path | None:
    """The first folder above ``folder`` that other users cannot pass, if any."""
    return next((parent for parent in reversed(folder.parents) if not parent.stat().st_mode & 0o001), None)


def port_variables() -> list[str]:
    """The variables that set the compose file's published host ports."""
    return sorted(set(_PORT_VARIABLE.findall(compose_file.COMPOSE_FILE.read_text())))


@dataclass
class RunningService:
    """One service's container in the rehearsal: its process, health and restarts."""

    service: compose_file.Service
    container: images.Container
    host: Host
    log_path: Path
    popen: subprocess.Popen | None = None
    health: str | None = None  # starting, healthy, unhealthy; None without a health check
    exit_code: int | None = None
    started_at: float | None = None
    healthy_at: float | None = None
    restarts: int = 0
    log_offset: int = 0  # where this container's output starts in log_path (a new container appends to it)
    _generation: int = 0
    _stopping: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._stopping = False
            self.exit_code = None
            self.health = "starting" if self.service.healthcheck else None
            self.started_at = time.monotonic()
            self.healthy_at = None
            with open(self.log_path, "ab") as log:
                self.popen = subprocess.Popen(
                    self.host.argv(self.container.process),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
        threading.Thread(target=self._watch, args=(generation, self.popen), daemon=True).start()
        if self.service.healthcheck:
            threading.Thread(target=self._check_health, args=(generation,), daemon=True).start()

    def _watch(self, generation: int, popen: subprocess.Popen) -> None:
        """Record the exit; restart as the service's restart policy says, unless it was stopped."""
        code = popen.wait()
        with self._lock:
            if generation != self._generation:
                return
            self.exit_code = code
            restart = not self._stopping and (
                self.service.restart in ("always", "unless-stopped")
                or (self.service.restart == "on-failure" and code != 0)
            )
        if restart:
            time.sleep(RESTART_DELAY)
            self.restarts += 1
            self.start()

    def _check_health(self, generation: int) -> None:
        """Docker's rules: probes every start_interval during start_period, where failures do not count
        (a success ends it); then every interval, and `retries` failures in a row make it unhealthy."""
        check = self.service.healthcheck
        failures = 0
        while True:
            starting = self.health == "starting" and time.monotonic() - self.started_at < check.start_period
            time.sleep(check.start_interval if starting else check.interval)
            if generation != self._generation or self._stopping:
                return
            try:
                result = self.host.run(self.container.exec_process(check.argv), timeout=check.timeout)
                healthy = result.returncode == 0
            except subprocess.TimeoutExpired:
                healthy = False
            if generation != self._generation:
                return
            if healthy:
                failures = 0
                if self.health != "healthy":
                    self.healthy_at = time.monotonic()
                self.health = "healthy"
            elif not starting:
                failures += 1
                if failures >= check.retries:
                    self.health = "unhealthy"

    def stop(self) -> None:
        """`docker stop`: SIGTERM to the container's processes, SIGKILL after STOP_TIMEOUT seconds."""
        with self._lock:
            self._stopping = True
            popen = self.popen
        if popen is None or popen.poll() is not None:
            return
        processes.stop_process_groups([popen.pid], timeout=STOP_TIMEOUT)
        popen.wait(timeout=STOP_TIMEOUT)

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def completed(self) -> bool:
        return self.service.one_shot and self.exit_code == 0 and not self.running

    def failed(self) -> str | None:
        """Why this service can no longer satisfy a dependency on it, or None."""
        if self.health == "unhealthy":
            return "is unhealthy"
        if self.service.one_shot and self.exit_code not in (None, 0):
            return f"exited with code {self.exit_code}"
        return None

    def ready(self) -> bool:
        if self.service.one_shot:
            return self.completed()
        return self.running and self.health in (None, "healthy")

    def resident_bytes(self) -> int:
        """Resident memory of the container's processes (the main one and every descendant)."""
        if not self.running:
            return 0
        with contextlib.suppress(psutil.Error):
            main = psutil.Process(self.popen.pid)
            total = 0
            for member in [main, *main.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += member.memory_info().rss
            return total
        return 0

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self._log_lines()[-lines:])

    def cause(self) -> str:
        """The first line of this container's log that says what went wrong, or its last line."""
        lines = self._log_lines()
        return next((line for line in lines if _CAUSE.search(line)), lines[-1] if lines else "(no output)")

    def _log_lines(self) -> list[str]:
        """This container's output, as `docker compose logs` shows it (not an older container's)."""
        if not self.log_path.exists():
            return []
        with open(self.log_path, "rb") as log:
            log.seek(self.log_offset)
            return log.read().decode(errors="replace").splitlines()

    def renew(self, container: images.Container) -> None:
        """A new container for the service, not started yet: its output starts at the log's end."""
        self.container = container
        self.log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0


class Rehearsal:
    """The compose stack in network namespaces; a context manager that always takes it all down."""

    def __init__(
        self, folder: Path, variables: dict[str, str] | None = None, dotenv: dict[str, str] | None = None
    ):
        """``folder``: the rehearsal's files, made by ``files_folder``.
        ``variables``: the shell's environment for compose's substitution (free host ports are chosen for
        the published ports it does not set). ``dotenv``: the project's .env file as compose would read it
        (default: this checkout's own .env, if any)."""
        if closed := closed_ancestor(folder):
            raise RehearsalError(
                f"{folder}: the hosts' users (mysql, postgres, AIRFLOW_UID) cannot reach it: {closed} is"
                f" closed to them (mode {closed.stat().st_mode & 0o777:o}); make it with files_folder()"
            )
        self.folder = folder
        folder.chmod(0o755)  # the hosts' users read their files below it
        self.project = folder / "project"
        self.project.mkdir(parents=True, exist_ok=True)
        if dotenv is None:
            dotenv = compose_file.read_env_file(compose_file.REPO_ROOT / ".env")
        (self.project / ".env").write_text("".join(f"{name}={value}\n" for name, value in dotenv.items()))
        chosen = {name: str(processes.free_port()) for name in port_variables()}
        self.variables = {**compose_file.variables(project=self.project), **chosen, **(variables or {})}
        self.services = compose_file.load(self.variables, project=self.project)
        self.volumes = folder / "volumes"
        self.network: Network | None = None
        self.running: dict[str, RunningService] = {}
        self._published: list[PublishedPort] = []
        self.ready_after: dict[str, float] = {}  # seconds from `up` until each service was ready

    # --- up and down -----------------------------------------------------------------------------------

    def up(self, timeout: float = UP_TIMEOUT) -> dict[str, float]:
        """Start every service in compose's order; return seconds from the start to each one being ready."""
        prefix = f"nps-{uuid.uuid4().hex[:6]}"
        self.network = Network(prefix, list(self.services), self.folder / "hosts")
        for name in compose_file.named_volumes(self.variables):
            (self.volumes / name).mkdir(parents=True, exist_ok=True)
        for name, service in self.services.items():
            host = self.network.hosts[name]
            log = self.folder / f"{name}.log"
            self.running[name] = RunningService(service, self._create(name), host, log)
            for port in service.ports:
                self._published.append(
                    PublishedPort(
                        port.host_ip,
                        port.host_port,
                        self.network.bridge_path,
                        (host.address, port.container_port),
                    )
                )
        self.ready_after = self._start_in_order(list(self.services), timeout)
        return self.ready_after

    def _create(self, name: str) -> images.Container:
        """A new container for service ``name``: its image's stand-in, its host's files laid out."""
        host = self.network.hosts[name]
        container = images.container(self.services[name], host.folder, self.volumes)
        host.lay_out(container.mounts, container.overlays)
        return container

    def _start_in_order(self, names: list[str], timeout: float) -> dict[str, float]:
        started = time.monotonic()
        pending = list(names)
        ready_after: dict[str, float] = {}
        while len(ready_after) < len(names):
            for name in list(pending):
                rule = self.services[name].depends_on
                for target, condition in rule.items():
                    if why := self.running[target].failed():
                        raise RehearsalError(
                            f"{name} cannot start: dependency {target} {why} ({condition}):"
                            f" {self.running[target].cause()}\n"
                            f"--- {target}'s log:\n{self.running[target].log_tail()}"
                        )
                if all(self._satisfied(target, condition) for target, condition in rule.items()):
                    self.running[name].start()
                    pending.remove(name)
            for name in names:
                member = self.running[name]
                if name not in pending and name not in ready_after:
                    if member.ready():
                        ready_after[name] = time.monotonic() - started
                    elif why := member.failed():
                        raise RehearsalError(
                            f"{name} {why}: {member.cause()}\n--- its log:\n{member.log_tail()}"
                        )
            if time.monotonic() - started > timeout:
                late = [name for name in names if name not in ready_after]
                causes = "; ".join(f"{name}: {self._why_late(name, name in pending)}" for name in late)
                logs = "\n".join(f"--- {name}:\n{self.running[name].log_tail(30)}" for name in late)
                raise RehearsalError(f"not ready after {timeout:.0f} s: {late} ({causes})\n{logs}")
            time.sleep(0.2)
        return ready_after

    def _why_late(self, name: str, waiting: bool) -> str:
        """What its log says went wrong, or, for a service not started yet, the dependencies it waits for."""
        if not waiting:
            return self.running[name].cause()
        rule = self.services[name].depends_on
        unmet = [
            f"{target} {condition}"
            for target, condition in rule.items()
            if not self._satisfied(target, condition)
        ]
        return f"waits for {', '.join(unmet)}"

    def _satisfied(self, target: str, condition: str) -> bool:
        member = self.running[target]
        if condition == "service_healthy":
            return member.running and member.health == "healthy"
        if condition == "service_completed_successfully":
            return member.completed()
        if condition == "service_started":
            return member.running
        raise ValueError(f"depends_on condition {condition!r} is not one compose knows")

    def down(self) -> None:
        for member in reversed(list(self.running.values())):
            with contextlib.suppress(Exception):
                member.stop()
        for port in self._published:
            port.close()
        if self.network:
            self.network.close()

    def __enter__(self) -> Rehearsal:
        return self

    def __exit__(self, *exc_info) -> None:
        self.down()

    # --- what a learner does next ------------------------------------------------------------------------

    def exec(self, service: str, argv: list[str], timeout: float = 600) -> subprocess.CompletedProcess:
        """`docker compose exec SERVICE ARGV`."""
        member = self.running[service]
        if not member.running:
            raise RehearsalError(f"{service} is not running")
        return member.host.run(member.container.exec_process(argv), timeout=timeout)

    def restart(self, service: str, timeout: float = 120) -> None:
        """`docker compose restart SERVICE`: the same container (its writable layer kept), started again."""
        member = self.running[service]
        member.stop()
        member.start()
        self._wait_ready(service, timeout)

    def recreate(self, service: str, timeout: float = 120) -> None:
        """`docker compose up --force-recreate SERVICE` (as after `down` and `up`): a new container from the
        image; only its volumes keep what the old one wrote."""
        self._renew(service)
        self.running[service].start()
        self._wait_ready(service, timeout)

    def up_again(self, variables: dict[str, str], timeout: float = UP_TIMEOUT) -> list[str]:
        """`VARIABLES docker compose up -d` on the running stack: the compose file is read again with the
        shell's ``variables`` added; each service whose configuration changed gets a new container, and the
        one-shot services run again, each as its dependencies allow. Returns the services given a new one."""
        self.variables = {**self.variables, **variables}
        services = compose_file.load(self.variables, project=self.project)
        if set(services) != set(self.services):
            raise RehearsalError(f"services {sorted(self.services)} became {sorted(services)}: start anew")
        changed = [name for name, service in services.items() if service != self.services[name]]
        if moved := [name for name in changed if services[name].ports != self.services[name].ports]:
            raise RehearsalError(f"{moved}: published ports would move; the rehearsal keeps those it made")
        self.services = services
        for name in changed:
            self.running[name].service = services[name]
            self._renew(name)
        self._start_in_order(
            [name for name in services if name in changed or services[name].one_shot], timeout
        )
        return changed

    def _renew(self, service: str) -> None:
        """Stop ``service`` and give it a new container from its image, not started yet."""
        self.running[service].stop()
        host = self.network.hosts[service]
        host.close()
        shutil.rmtree(host.folder)
        host.folder.mkdir(parents=True)
        self.running[service].renew(self._create(service))

    def _wait_ready(self, service: str, timeout: float) -> None:
        member = self.running[service]
        deadline = time.monotonic() + timeout
        while not member.ready():
            if why := member.failed():
                raise RehearsalError(
                    f"{service} {why} after it started again: {member.cause()}\n{member.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise RehearsalError(
                    f"{service} not ready {timeout:.0f} s after it started again: {member.cause()}\n"
                    f"{member.log_tail()}"
                )
            time.sleep(0.2)

    def run_one_shot(self, service: str, timeout: float = 300) -> int:
        """`docker compose up SERVICE` for a one-shot service (`init`): run it again; its exit code."""
        member = self.running[service]
        member.start()
        return member.popen.wait(timeout=timeout)

    def published(self, service: str, container_port: int) -> int:
        """The machine's loopback port that compose publishes ``service``'s ``container_port`` on."""
        for port in self.services[service].ports:
            if port.container_port == container_port:
                assert port.host_ip == LOOPBACK
                return port.host_port
        raise KeyError(f"{service} publishes no port {container_port}")

    def main_process(self, service: str) -> psutil.Process:
        """The container's main process (its descendants are the rest of the container)."""
        return psutil.Process(self.running[service].popen.pid)
