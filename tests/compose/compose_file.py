"""docker-compose.yml as `docker compose` reads it: variables substituted, `extends` applied, env files
merged, durations parsed.

Pure functions: the rehearsal (tests/compose/rehearsal.py) starts what this returns, and the file-level tests
(tests/stack/test_compose.py) check it, so both read the one compose file, not a copy of its facts.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lab.config import REPO_ROOT, read_env_file

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "docker" / "Dockerfile"
# ${NAME}, ${NAME:-default} (unset or empty), ${NAME-default} (unset), and $$ for a literal $.
_VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?:(:?-)([^}]*))?\}")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """``text`` with compose's ${...} substitutions, as `docker compose config` would print it."""

    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, default = match.groups()
        value = variables.get(name)
        if operator == ":-" and not value:
            return default
        if operator == "-" and value is None:
            return default
        return value or ""

    return _VARIABLE.sub(substitute, text)


def seconds(duration: str | int | float) -> float:
    """Compose's durations ("1m30s", "5s", "500ms") in seconds."""
    if isinstance(duration, int | float):
        return float(duration)
    parts = _DURATION.findall(duration)
    if not parts or "".join(number + unit for number, unit in parts) != duration:
        raise ValueError(f"not a compose duration: {duration!r}")
    return sum(float(number) * _UNITS[unit] for number, unit in parts)


@dataclass(frozen=True)
class HealthCheck:
    argv: list[str]  # CMD-SHELL runs through /bin/sh -c, as Docker does
    interval: float
    timeout: float
    retries: int
    start_period: float
    start_interval: float


@dataclass(frozen=True)
class PublishedPort:
    host_ip: str
    host_port: int
    container_port: int


@dataclass(frozen=True)
class Mount:
    source: str  # a path relative to the compose file (bind mount) or a named volume
    target: str
    named_volume: bool


@dataclass(frozen=True)
class Service:
    name: str
    image: str
    built_here: bool  # `build:` the lab's own image (docker/Dockerfile)
    command: list[str]
    environment: dict[str, str]
    user: str | None
    ports: list[PublishedPort]
    mounts: list[Mount]
    healthcheck: HealthCheck | None
    depends_on: dict[str, str]  # service -> condition
    restart: str

    @property
    def one_shot(self) -> bool:
        return self.restart == "no"


@dataclass(frozen=True)
class Image:
    """What docker/Dockerfile sets for the processes of the lab's image: working directory and ENV."""

    workdir: str
    environment: dict[str, str] = field(default_factory=dict)
    entrypoint: list[str] = field(default_factory=list)
    directories: list[str] = field(default_factory=list)  # what its `RUN mkdir -p` lines make


def _healthcheck(spec: dict | None) -> HealthCheck | None:
    if not spec or spec.get("disable"):
        return None
    test = spec["test"]
    if test[0] == "CMD":
        argv = list(test[1:])
    elif test[0] == "CMD-SHELL":
        argv = ["/bin/sh", "-c", test[1]]
    else:
        raise ValueError(f"health check form {test[0]!r} is not one compose runs")
    interval = seconds(spec.get("interval", "30s"))
    return HealthCheck(
        argv=argv,
        interval=interval,
        timeout=seconds(spec.get("timeout", "30s")),
        retries=int(spec.get("retries", 3)),
        start_period=seconds(spec.get("start_period", "0s")),
        start_interval=seconds(spec.get("start_interval", "5s")),
    )


def _port(text: str) -> PublishedPort:
    host_ip, host_port, container_port = text.split(":")
    return PublishedPort(host_ip, int(host_port), int(container_port.split("/")[0]))


def _mount(text: str) -> Mount:
    source, target = text.split(":")[:2]
    return Mount(source, target, named_volume=not source.startswith((".", "/")))


def _environment(spec: dict, variables: Mapping[str, str], project: Path) -> dict[str, str]:
    """env_file entries first, in order, then `environment:`, which wins (compose's precedence)."""
    environment: dict[str, str] = {}
    for entry in spec.get("env_file", []):
        entry = {"path": entry} if isinstance(entry, str) else entry
        path = project / entry["path"]
        if not path.is_file():
            if entry.get("required", True):
                raise FileNotFoundError(f"env file {path} not found")
            continue
        environment.update(read_env_file(path))
    declared = spec.get("environment", {})
    if isinstance(declared, list):
        declared = dict(item.split("=", 1) for item in declared)
    environment.update({name: "" if value is None else str(value) for name, value in declared.items()})
    return environment


def _rebased(spec: dict, folder: Path) -> dict:
    """An extended file's service with its relative paths (bind mounts, build context) made relative to the
    compose file's folder, as compose resolves them: relative to the file that names them."""

    def rebase(path: str) -> str:
        relative = Path(os.path.relpath(folder / path, COMPOSE_FILE.parent)).as_posix()
        return relative if relative == "." else f"./{relative}"

    spec = dict(spec)
    if "build" in spec:
        spec["build"] = {**spec["build"], "context": rebase(spec["build"]["context"])}
    volumes = []
    for volume in spec.get("volumes", []):
        source, _, rest = volume.partition(":")
        volumes.append(f"{rebase(source)}:{rest}" if source.startswith(".") else volume)
    spec["volumes"] = volumes
    return spec


def _extended(name: str, spec: dict, variables: Mapping[str, str]) -> dict:
    """A service with its `extends` applied: the base service of the file it names, then its own keys. The
    lab's files keep the two apart (compose would merge a key both set; here that is refused)."""
    if "extends" not in spec:
        return spec
    own = {key: value for key, value in spec.items() if key != "extends"}
    path = COMPOSE_FILE.parent / spec["extends"]["file"]
    if not path.is_file():
        raise FileNotFoundError(f"services.{name}.extends: {path} does not exist")
    base = yaml.safe_load(interpolate(path.read_text(), variables))["services"][spec["extends"]["service"]]
    if both := sorted(set(base) & set(own)):
        raise ValueError(f"services.{name}: {', '.join(both)} set both here and in {path.name}")
    return {**_rebased(base, path.parent), **own}


def specs(variables: Mapping[str, str]) -> dict[str, dict]:
    """The compose file's services as written, after substitution and `extends`: what `load` reads."""
    document = yaml.safe_load(interpolate(COMPOSE_FILE.read_text(), variables))
    return {name: _extended(name, spec, variables) for name, spec in document["services"].items()}


def load(variables: Mapping[str, str], project: Path = REPO_ROOT) -> dict[str, Service]:
    """Every service of the compose file, with ``variables`` as the shell's environment and .env."""
    services = {}
    for name, spec in specs(variables).items():
        command = spec.get("command", [])
        services[name] = Service(
            name=name,
            image=spec["image"],
            built_here="build" in spec,
            command=shlex.split(command) if isinstance(command, str) else list(command),
            environment=_environment(spec, variables, project),
            user=spec.get("user"),
            ports=[_port(str(port)) for port in spec.get("ports", [])],
            mounts=[_mount(volume) for volume in spec.get("volumes", [])],
            healthcheck=_healthcheck(spec.get("healthcheck")),
            depends_on={target: rule["condition"] for target, rule in spec.get("depends_on", {}).items()},
            restart=spec.get("restart", "no"),
        )
    return services


def named_volumes(variables: Mapping[str, str] | None = None) -> set[str]:
    document = yaml.safe_load(interpolate(COMPOSE_FILE.read_text(), variables or {}))
    return set(document.get("volumes") or {})


def variables(overrides: Mapping[str, str] | None = None, project: Path = REPO_ROOT) -> dict[str, str]:
    """What compose substitutes from: the project's .env, then the shell (here ``overrides``)."""
    return {**read_env_file(project / ".env"), **(overrides or {})}


def lab_image() -> Image:
    """The working directory, ENV and ENTRYPOINT the lab's image gives its processes."""
    workdir, environment, entrypoint, directories = "/", {}, [], []
    for line in re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text()).splitlines():
        instruction, _, rest = line.strip().partition(" ")
        if instruction == "RUN" and (made := re.search(r"mkdir -p ((?:/\S+\s*)+)", rest)):
            directories += made.group(1).split()
        if instruction == "WORKDIR":
            workdir = rest.strip()
        elif instruction == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                environment[name] = value
        elif instruction == "ENTRYPOINT":
            entrypoint = yaml.safe_load(rest)
    return Image(workdir, environment, entrypoint, directories)
