"""docker-compose.yml and docker/ checked as files: no Docker engine runs on the machines that test the lab.

What compose would discover only at `docker compose up` time is checked here: every path it names exists,
every command is a real `lab` subcommand, ports stay on 127.0.0.1 under the numbers the lab's settings use.
"""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest
import yaml

from lab.cli import build_parser
from lab.config import PROFILE_DEFAULTS, REPO_ROOT, load_settings
from lab.stack import PIECES

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict] = COMPOSE["services"]
# `${NAME:-default}` as compose substitutes it when NAME is unset.
SUBSTITUTION = re.compile(r"\$\{(\w+):-([^}]*)\}")


def resolve(value) -> str:
    return SUBSTITUTION.sub(lambda match: match.group(2), str(value))


def is_one_shot(service: dict) -> bool:
    return service.get("restart") == "no"


def lab_services() -> dict[str, dict]:
    return {name: service for name, service in SERVICES.items() if "build" in service}


def served_piece(service: dict) -> str | None:
    command = service.get("command", [])
    return command[2] if command[:2] == ["lab", "serve"] else None


def test_the_lab_has_its_services():
    assert set(SERVICES) == {"mysql", "postgres", "s3", "redshift", "airflow", "jupyter", "init"}
    assert {served_piece(service) for service in SERVICES.values()} - {None} == {
        "redshift",
        "airflow",
        "jupyter",
    }


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_images_are_pinned_by_tag(name):
    image = SERVICES[name]["image"]
    assert ":" in image.rsplit("/", 1)[-1], f"{name}: image {image!r} has no tag"
    assert not image.endswith(":latest"), f"{name}: image {image!r} is not pinned"


def test_the_lab_image_builds_from_pinned_parts():
    for name, service in lab_services().items():
        build = service["build"]
        context = REPO_ROOT / build["context"]
        assert context.is_dir(), f"{name}: build context {context} is missing"
        dockerfile = context / build["dockerfile"]
        assert dockerfile.is_file(), f"{name}: {dockerfile} is missing"
    text = dockerfile.read_text()
    base = re.search(r"^FROM\s+(\S+)", text, re.MULTILINE).group(1)
    assert re.fullmatch(r"apache/airflow:3\.3\.\d+-python3\.11", base), base
    for source in re.findall(r"^COPY\s+(?:--\S+\s+)*(.+)\s+\S+$", text, re.MULTILINE):
        for path in source.split():
            assert (context / path).exists(), f"{dockerfile.name} copies {path}, which does not exist"
    # mysqlclient (in requirements.lock) has no wheel for Linux: it compiles against these.
    assert "pkg-config" in text and "default-libmysqlclient-dev" in text


def test_the_entry_script_exists_and_parses():
    text = (REPO_ROOT / "docker" / "Dockerfile").read_text()
    entrypoint = re.search(r"^ENTRYPOINT\s+(\[.*\])", text, re.MULTILINE).group(1)
    script = next(part for part in yaml.safe_load(entrypoint) if part.startswith("/opt/lab/"))
    path = REPO_ROOT / script.removeprefix("/opt/lab/")
    assert path.is_file() and path.stat().st_mode & 0o111, f"{path} is missing or not executable"
    subprocess.run(["bash", "-n", str(path)], check=True)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_bind_mounts_exist(name):
    for volume in SERVICES[name].get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            assert (REPO_ROOT / source).exists(), f"{name} mounts {source}, which does not exist"
            assert target.startswith("/opt/lab/"), f"{name}: {target} is outside the lab's REPO_ROOT"
        else:
            assert source in COMPOSE.get("volumes", {}), f"{name}: named volume {source} is not declared"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_ports_are_published_on_loopback_only(name):
    for port in SERVICES[name].get("ports", []):
        assert str(port).startswith("127.0.0.1:"), f"{name}: port {port} is open beyond this machine"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_long_running_services_have_health_checks(name):
    service = SERVICES[name]
    if is_one_shot(service):
        assert "healthcheck" not in service
    else:
        assert service["healthcheck"]["test"], f"{name} runs for good but has no health check"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_dependencies_wait_for_health_or_completion(name):
    for target, rule in SERVICES[name].get("depends_on", {}).items():
        condition = rule["condition"]
        if condition == "service_healthy":
            assert "healthcheck" in SERVICES[target], f"{name} waits for {target}, which has no health check"
        else:
            assert condition == "service_completed_successfully", f"{name} -> {target}: {condition}"
            assert is_one_shot(SERVICES[target]), f"{name} waits for {target} to finish, but it restarts"


def commands() -> list[tuple[str, list[str]]]:
    found = []
    for name, service in SERVICES.items():
        if "command" in service:
            found.append((name, service["command"]))
        test = service.get("healthcheck", {}).get("test", [])
        if test[:1] == ["CMD"]:
            found.append((f"{name} health check", test[1:]))
        elif test[:1] == ["CMD-SHELL"]:
            found.append((f"{name} health check", shlex.split(test[1])))
    return found


@pytest.mark.parametrize(("where", "command"), commands(), ids=[where for where, _ in commands()])
def test_lab_commands_are_real_subcommands(where, command):
    if command[0] != "lab":
        assert command[0] in ("mysqladmin", "pg_isready", "curl"), f"{where}: unexpected program {command[0]}"
        return
    try:
        build_parser().parse_args(command[1:])
    except SystemExit:
        pytest.fail(f"{where}: `{' '.join(command)}` is not a `lab` command")


def test_lab_containers_use_the_configuration_names():
    """Every LAB_* variable compose sets is one lab.config reads, and none is left pointing at 127.0.0.1."""
    for name, service in lab_services().items():
        environment = service["environment"]
        unknown = {key for key in environment if key not in PROFILE_DEFAULTS["lab"]}
        assert not unknown, f"{name} sets variables lab.config does not read: {unknown}"
        loopback = {key for key, value in PROFILE_DEFAULTS["lab"].items() if "127.0.0.1" in str(value)}
        assert loopback <= set(environment), (
            f"{name} leaves {loopback - set(environment)} on the container itself"
        )


@pytest.mark.parametrize("name", sorted(name for name, service in SERVICES.items() if served_piece(service)))
def test_served_pieces_publish_the_port_they_listen_on(name):
    """Inside: the port the container's settings give the piece. Outside: the port of the lab's defaults,
    so `lab status` and the notebooks on the host reach the container unchanged."""
    service = SERVICES[name]
    piece = PIECES[served_piece(service)]
    inside = load_settings({key: resolve(value) for key, value in service["environment"].items()})
    host_side = load_settings({})
    published = [resolve(port).split(":") for port in service["ports"]]
    assert published == [["127.0.0.1", str(piece.port(host_side)), str(piece.port(inside))]]
    assert inside.bind_host == "0.0.0.0", f"{name} would listen on the container's loopback only"
    assert service["healthcheck"]["test"] == ["CMD", "lab", "status", piece.name]


@pytest.mark.parametrize("name", ["mysql", "postgres", "s3"])
def test_third_party_services_publish_the_lab_default_ports(name):
    defaults = load_settings({})
    port = {
        "mysql": defaults.mysql.port,
        "postgres": defaults.postgres.port,
        "s3": PIECES["s3"].port(defaults),
    }
    assert SERVICES[name]["ports"] == [f"127.0.0.1:{port[name]}:{port[name]}"]


def test_the_header_lists_every_variable_with_its_default():
    text = (REPO_ROOT / "docker-compose.yml").read_text()
    header = text.split("\nname:", 1)[0]
    for variable, default in set(SUBSTITUTION.findall(text)):
        assert re.search(rf"#\s+{variable}\s+- .*Default: {re.escape(default)}\.", header), (
            f"the header does not list {variable} with its default {default}"
        )


def test_the_image_leaves_out_local_state_and_secrets():
    ignored = (REPO_ROOT / "docker" / "Dockerfile.dockerignore").read_text().split()
    assert {".lab", ".venv", ".env", ".git"} <= set(ignored)
