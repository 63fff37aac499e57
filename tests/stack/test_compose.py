"""docker-compose.yml and docker/ checked as files: no Docker engine runs on the machines that test the lab.

What compose would discover only at `docker compose up` time is checked here: every path it names exists,
every command is a real program or `lab` subcommand, ports stay on 127.0.0.1 (each host port a variable
whose default is the native lab's), and inside the containers every peer is reached by its service name.
The file is read as compose reads it (tests/compose/compose_file.py); tests/compose rehearses running it.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from lab.cli import build_parser
from lab.config import LOOPBACK, PROFILE_DEFAULTS, REPO_ROOT, Settings, load_settings
from lab.pieces import PIECES, s3_port
from tests.compose import compose_file
from tests.compose.compose_file import PublishedPort

TEXT = compose_file.COMPOSE_FILE.read_text()
# What compose_file does not model: how the lab's image is built, and the env_file entries as written.
RAW_SERVICES: dict[str, dict] = yaml.safe_load(TEXT)["services"]
# `${NAME:-default}`: the value when NAME is unset or empty.
DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")
IMAGE = compose_file.lab_image()


def _defaults(variables: dict[str, str] | None = None) -> dict[str, compose_file.Service]:
    """The services with no variable set but ``variables`` and no .env: the defaults, whatever this checkout's
    .env holds."""
    with tempfile.TemporaryDirectory() as without_env_file:
        return compose_file.load(variables or {}, project=Path(without_env_file))


SERVICES = _defaults()
# The s3 service's files, one per server LAB_S3_SERVER names (docker/s3-<server>.yml); its service in each.
S3_FILES = sorted((REPO_ROOT / "docker").glob("s3-*.yml"))
S3_SERVERS = {
    path.stem.removeprefix("s3-"): _defaults({"LAB_S3_SERVER": path.stem.removeprefix("s3-")})["s3"]
    for path in S3_FILES
}
# What can run: the default services, and the s3 service of each other server ("s3[moto]").
EVERY_SERVICE = {
    **SERVICES,
    **{f"s3[{server}]": s3 for server, s3 in S3_SERVERS.items() if s3 != SERVICES["s3"]},
}


def lab_services() -> dict[str, compose_file.Service]:
    return {name: service for name, service in SERVICES.items() if service.built_here}


def served_piece(service: compose_file.Service) -> str | None:
    return service.command[2] if service.command[:2] == ["lab", "serve"] else None


def addresses(settings: Settings) -> dict[str, tuple[str, int]]:
    """Where ``settings`` reach each service of the lab: (host, port)."""
    s3, airflow, jupyter = map(urlsplit, (settings.s3_endpoint, settings.airflow_url, settings.jupyter_url))
    return {
        "mysql": (settings.mysql.host, settings.mysql.port),
        "postgres": (settings.postgres.host, settings.postgres.port),
        "s3": (s3.hostname, s3.port),
        "redshift": (settings.redshift.host, settings.redshift.port),
        "airflow": (airflow.hostname, airflow.port),
        "jupyter": (jupyter.hostname, jupyter.port),
    }


def test_the_lab_has_its_services():
    assert set(SERVICES) == {"mysql", "postgres", "s3", "redshift", "airflow", "jupyter", "init"}
    assert {served_piece(service) for service in SERVICES.values()} - {None} == {
        "redshift",
        "airflow",
        "jupyter",
    }


@pytest.mark.parametrize("name", sorted(EVERY_SERVICE))
def test_images_are_pinned_by_tag(name):
    image = EVERY_SERVICE[name].image
    assert ":" in image.rsplit("/", 1)[-1], f"{name}: image {image!r} has no tag"
    assert not image.endswith(":latest"), f"{name}: image {image!r} is not pinned"


def test_the_lab_image_builds_from_pinned_parts():
    for name in lab_services():
        build = RAW_SERVICES[name]["build"]
        context = REPO_ROOT / build["context"]
        assert context == REPO_ROOT, f"{name}: build context {context} is not the repository"
        assert context / build["dockerfile"] == compose_file.DOCKERFILE, f"{name}: {build['dockerfile']}"
    text = compose_file.DOCKERFILE.read_text()
    base = re.search(r"^FROM\s+(\S+)", text, re.MULTILINE).group(1)
    assert re.fullmatch(r"apache/airflow:3\.3\.\d+-python3\.11", base), base
    for source in re.findall(r"^COPY\s+(?:--\S+\s+)*(.+)\s+\S+$", text, re.MULTILINE):
        for path in source.split():
            assert (REPO_ROOT / path).exists(), f"Dockerfile copies {path}, which does not exist"
    # mysqlclient (in requirements.lock) has no wheel for Linux: it compiles against these. The client library
    # is MariaDB's, from the repository the Airflow image configures (on amd64 and arm64 alike).
    installed = set(re.search(r"apt-get install\s+([^&]+)", text).group(1).replace("\\", " ").split())
    assert {"build-essential", "pkg-config", "libmariadb-dev"} <= installed, installed
    assert "default-libmysqlclient-dev" not in installed, installed


def test_the_entry_script_exists_and_parses():
    script = next(part for part in IMAGE.entrypoint if part.startswith(f"{IMAGE.workdir}/"))
    path = REPO_ROOT / script.removeprefix(f"{IMAGE.workdir}/")
    assert path.is_file() and path.stat().st_mode & 0o111, f"{path} is missing or not executable"
    subprocess.run(["bash", "-n", str(path)], check=True)


@pytest.mark.parametrize("name", sorted(EVERY_SERVICE))
def test_mounts_exist(name):
    service = EVERY_SERVICE[name]
    for mount in service.mounts:
        if mount.named_volume:
            assert mount.source in compose_file.named_volumes(), f"{name}: {mount.source} is not declared"
            continue
        assert (REPO_ROOT / mount.source).exists(), f"{name} mounts {mount.source}, which does not exist"
        if service.built_here:
            # The image's working directory is the lab's REPO_ROOT (an editable install).
            assert mount.target.startswith(f"{IMAGE.workdir}/"), f"{name}: {mount.target} is not in it"


@pytest.mark.parametrize("name", sorted(EVERY_SERVICE))
def test_ports_are_published_on_loopback_only(name):
    for port in EVERY_SERVICE[name].ports:
        assert port.host_ip == LOOPBACK, f"{name}: port {port} is open beyond this machine"


@pytest.mark.parametrize("name", sorted(name for name, service in SERVICES.items() if service.ports))
def test_each_host_port_is_a_variable(name):
    """A learner's own MySQL or PostgreSQL holds 3306 or 5432: LAB_<SERVICE>_PORT moves the lab's port aside.
    (Loading with no variable set at all, as SERVICES does, shows each has a default.)"""
    ports = SERVICES[name].ports
    if name == "redshift":  # two ports: the wire protocol's and the Data API's, each with its variable
        for index, variable in enumerate(("LAB_REDSHIFT_PORT", "LAB_REDSHIFT_DATA_PORT")):
            moved = compose_file.load({variable: "43210"})[name].ports
            assert moved == [replace(p, host_port=43210) if i == index else p for i, p in enumerate(ports)]
        return
    moved = compose_file.load({f"LAB_{name.upper()}_PORT": "43210"})[name].ports
    assert moved == [replace(port, host_port=43210) for port in ports]


@pytest.mark.parametrize("name", sorted(name for name, service in SERVICES.items() if served_piece(service)))
def test_served_pieces_publish_the_port_they_listen_on(name):
    """Inside: the port the container's settings give the piece. Outside, by default: the native lab's port,
    so `lab status` and the notebooks on the host reach the container unchanged."""
    service = SERVICES[name]
    piece = PIECES[served_piece(service)]
    inside = load_settings(service.environment)
    native = load_settings({})
    published = [PublishedPort(LOOPBACK, piece.port(native), piece.port(inside))]
    if name == "redshift":  # and the Data API's port, the one LAB_REDSHIFT_DATA_URL names
        data_port = [urlsplit(s.redshift_data_url).port for s in (native, inside)]
        published.append(PublishedPort(LOOPBACK, *data_port))
    assert service.ports == published
    assert inside.bind_host == "0.0.0.0", f"{name} would listen on the container's loopback only"
    assert service.healthcheck.argv == ["lab", "status", piece.name]


@pytest.mark.parametrize("name", ["mysql", "postgres", "s3"])
def test_third_party_services_publish_the_lab_default_ports(name):
    native = load_settings({})
    port = addresses(native)[name][1]
    assert SERVICES[name].ports == [PublishedPort(LOOPBACK, port, port)]


@pytest.mark.parametrize("name", sorted(lab_services()))
def test_lab_containers_reach_each_service_by_name_on_its_container_port(name):
    """Inside a container, 127.0.0.1 is the container itself: its settings name every peer by service name."""
    reached = addresses(load_settings(SERVICES[name].environment))
    assert reached == {peer: (peer, SERVICES[peer].ports[0].container_port) for peer in reached}


def test_lab_containers_use_the_configuration_names():
    """Every LAB_* variable compose sets is one lab.config reads, and no peer is left at 127.0.0.1."""
    # LAB_STATE_DIR has no profile default: lab.config reads it once, for STATE_DIR.
    known = {*PROFILE_DEFAULTS["lab"], "LAB_STATE_DIR"}
    on_loopback = {key for key, value in PROFILE_DEFAULTS["lab"].items() if LOOPBACK in str(value)}
    # LAB_BIND_HOST is where a piece listens, not a peer (0.0.0.0 in the containers: the test above).
    peers = on_loopback - {"LAB_BIND_HOST"}
    for name, service in EVERY_SERVICE.items():
        unknown = {key for key in service.environment if key.startswith("LAB_")} - known
        assert not unknown, f"{name} sets variables lab.config does not read: {unknown}"
    for name, service in lab_services().items():
        left = peers - set(service.environment)
        assert not left, f"{name} leaves {left} on the container itself"


@pytest.mark.parametrize("name", sorted(lab_services()))
def test_lab_containers_read_the_learners_env_file(name):
    """The learner's .env drives the containers as it drives the native lab; without one, they start too."""
    assert RAW_SERVICES[name]["env_file"] == [{"path": ".env", "required": False}]


def test_compose_addresses_win_over_the_learners_env_file(tmp_path):
    """A .env written for the native lab (another MySQL, another Airflow port, its own schema) serves compose
    too: its settings reach the containers, its addresses do not, and its ports move the published ones."""
    (tmp_path / ".env").write_text(
        "LAB_MYSQL_URL=mysql://root@127.0.0.1:3307\nLAB_AIRFLOW_PORT=9090\nLAB_WAREHOUSE_SCHEMA=my_schema\n"
    )
    services = compose_file.load(compose_file.variables(project=tmp_path), project=tmp_path)
    inside = load_settings(services["jupyter"].environment)
    assert (inside.mysql.host, inside.airflow_port, inside.warehouse_schema) == ("mysql", 8080, "my_schema")
    assert inside.airflow_public_url == f"http://{LOOPBACK}:9090"
    assert services["airflow"].ports == [PublishedPort(LOOPBACK, 9090, 8080)]


@pytest.mark.parametrize("name", sorted(EVERY_SERVICE))
def test_long_running_services_have_health_checks(name):
    service = EVERY_SERVICE[name]
    if service.one_shot:
        assert service.healthcheck is None
    else:
        assert service.healthcheck, f"{name} runs for good but has no health check"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_dependencies_wait_for_health_or_completion(name):
    for target, condition in SERVICES[name].depends_on.items():
        if condition == "service_healthy":
            assert SERVICES[target].healthcheck, f"{name} waits for {target}, which has no health check"
        else:
            assert condition == "service_completed_successfully", f"{name} -> {target}: {condition}"
            assert SERVICES[target].one_shot, f"{name} waits for {target} to finish, but it restarts"


def test_jupyter_waits_for_airflow():
    """The first notebook drives Airflow: JupyterLab opens once Airflow answers."""
    assert SERVICES["jupyter"].depends_on["airflow"] == "service_healthy"


def test_airflow_keeps_task_logs_on_a_named_volume():
    """`docker compose down` and `up` keep them. Docker fills a new volume from the image's directory, so the
    Dockerfile makes it: then the volume starts owned by group 0 and writable, as any AIRFLOW_UID needs."""
    airflow = SERVICES["airflow"]
    logs = f"{airflow.environment['LAB_STATE_DIR']}/airflow/logs"  # AIRFLOW_HOME's logs/ (lab.airflow)
    assert [mount.named_volume for mount in airflow.mounts if mount.target == logs] == [True]
    assert logs in IMAGE.directories, f"the Dockerfile does not make {logs}"


def test_s3_creates_the_bucket_with_ready_hooks():
    """LocalStack runs every .py and .sh file of its ready.d folder as a hook: the folder holds hooks only."""
    ready_d = "/etc/localstack/init/ready.d"
    hooks = [mount.source for mount in SERVICES["s3"].mounts if mount.target == ready_d]
    assert hooks == ["./docker/localstack"]
    files = sorted((REPO_ROOT / hooks[0]).iterdir())
    assert files and all(path.suffix in (".py", ".sh") for path in files), files


def shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a shell line, split at |, &&, || and ;."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands = [[]]
    for token in lexer:
        if token in ("|", "&&", "||", ";"):
            commands.append([])
        else:
            commands[-1].append(token)
    return commands


def commands() -> list[tuple[str, list[str]]]:
    """What compose runs: each service's command, and each command of its health check."""
    found = []
    for name, service in EVERY_SERVICE.items():
        if service.command:
            found.append((name, service.command))
        argv = service.healthcheck.argv if service.healthcheck else []
        if argv[:2] == ["/bin/sh", "-c"]:  # CMD-SHELL
            found += [(f"{name} health check", command) for command in shell_commands(argv[2])]
        elif argv:
            found.append((f"{name} health check", argv))
    return found


@pytest.mark.parametrize(
    ("where", "command"), commands(), ids=[f"{where}: {command[0]}" for where, command in commands()]
)
def test_commands_are_known_programs_or_lab_subcommands(where, command):
    if command[0] != "lab":
        assert command[0] in ("mysqladmin", "pg_isready", "curl", "grep"), f"{where}: unexpected {command[0]}"
        return
    try:
        build_parser().parse_args(command[1:])
    except SystemExit:
        pytest.fail(f"{where}: `{' '.join(command)}` is not a `lab` command")


def test_the_header_lists_every_variable_with_its_default():
    """The variables of the s3 service's files too: compose substitutes them from the same shell and .env."""
    header = TEXT.split("\nname:", 1)[0]
    for text in [TEXT, *(path.read_text() for path in S3_FILES)]:
        for variable, default in set(DEFAULTED.findall(text)):
            assert re.search(rf"#\s+{variable}\s+- .*Default: {re.escape(default)}\.", header), (
                f"the header does not list {variable} with its default {default}"
            )
    choices = re.search(r"#\s+LAB_S3_SERVER\s+- (.*)", header).group(1)
    assert all(server in choices for server in S3_SERVERS), (choices, sorted(S3_SERVERS))


def test_the_s3_server_is_a_one_variable_swap():
    """LocalStack by default, moto with LAB_S3_SERVER=moto; the variable changes the s3 service alone, which
    keeps its name, published port and restart policy: the others reach either server as s3:4566."""
    assert sorted(S3_SERVERS) == ["localstack", "moto"]
    assert SERVICES["s3"] == S3_SERVERS["localstack"] and SERVICES["s3"].image.startswith("localstack/")
    for server in S3_SERVERS:
        services = _defaults({"LAB_S3_SERVER": server})
        others = {name: service for name, service in services.items() if name != "s3"}
        assert others == {name: service for name, service in SERVICES.items() if name != "s3"}, server
        assert (services["s3"].ports, services["s3"].restart) == (SERVICES["s3"].ports, "unless-stopped")


def test_moto_runs_in_the_lab_image_as_the_native_lab_runs_it():
    """The image the lab's services build (one build), `lab serve s3` (what `lab up` runs), listening on the
    container's port 4566 on every interface, where the others' LAB_S3_ENDPOINT points."""
    moto = S3_SERVERS["moto"]
    built = compose_file.specs({"LAB_S3_SERVER": "moto"})["s3"]["build"]
    assert built == compose_file.specs({})["redshift"]["build"]
    assert (moto.image, moto.user) == (SERVICES["redshift"].image, SERVICES["redshift"].user)
    assert moto.built_here and moto.command == ["lab", "serve", "s3"]
    inside = load_settings(moto.environment)
    assert (s3_port(inside), inside.bind_host) == (moto.ports[0].container_port, "0.0.0.0")
    assert inside.s3_endpoint == load_settings(SERVICES["redshift"].environment).s3_endpoint


def test_the_image_leaves_out_local_state_and_secrets():
    ignored = (REPO_ROOT / "docker" / "Dockerfile.dockerignore").read_text().split()
    assert {".lab", ".venv", ".env", ".git"} <= set(ignored)
