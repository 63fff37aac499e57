"""What each image of docker-compose.yml runs, played by this machine's programs in a rehearsal host.

The compose file's own parts (command, environment, env_file, user, volumes, health checks, ports, order)
are taken as they are; only what an image itself would bring is played here, each by the closest program
this machine has:
- mysql:8.4: MariaDB's server, with a new volume initialised as the image does (root, no password, any host);
- postgres:16: this machine's PostgreSQL server, initialised as the image does (trust for every host);
- localstack/localstack: LocalStack of the same version, in its own virtualenv (scripts/setup-localstack.sh);
- the lab's image (build: docker/Dockerfile): this checkout at /opt/lab and its .venv, with the Dockerfile's
  working directory, ENV and entry script, as the `user:` the compose file names.
"""

from __future__ import annotations

import os
import pwd
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from lab.config import REPO_ROOT
from tests.compose import compose_file
from tests.compose.hosts import Process
from tests.services import postgres_server_binaries

LOCALSTACK_VENV = REPO_ROOT / ".venv-localstack"
LAB_VENV_BIN = REPO_ROOT / ".venv" / "bin"
IMAGE_ROOT = "/opt/lab"  # where docker/Dockerfile puts the repository
# Where LocalStack writes in its container (host folder name -> path in the host), besides /tmp, which the
# host overlays: not a /tmp of its own, because the checkout (so the rehearsal's files) may be under /tmp,
# and not a folder mounted at /tmp/localstack, which LocalStack deletes at start.
LOCALSTACK_DIRECTORIES = {"localstack-var": "/var/lib/localstack"}
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass
class Container:
    """What a service's host needs: its files, its main process, and how its `exec`s run."""

    mounts: list[tuple[str, str, str]]  # (kind, path here, path in the host): see Host.lay_out
    process: Process
    overlays: list[str] = field(default_factory=list)  # directories made the host's own (Host.lay_out)

    def exec_process(self, argv: list[str]) -> Process:
        """`docker compose exec SERVICE ARGV`: the container's environment, user and directory."""
        return Process(argv, dict(self.process.env), self.process.cwd, self.process.uid, self.process.gid)


def _volume(service: compose_file.Service, volumes: Path) -> list[tuple[str, str, str]]:
    """The service's volumes as mounts: named ones from ``volumes``, bind mounts from this checkout."""
    mounts = []
    for mount in service.mounts:
        source = volumes / mount.source if mount.named_volume else (REPO_ROOT / mount.source).resolve()
        mounts.append(("bind", str(source), mount.target))
    return mounts


def _closed_directories(program: Path) -> list[str]:
    """The directories on the way to ``program`` and to its real file that other users cannot pass (the
    checkout's own folder, a home folder or a `mktemp -d`; /root, where pyenv keeps the venv's Python): the
    host makes them its own, passable, as the image's files are."""
    folders = {*program.parents, *Path(os.path.realpath(program)).parents}
    return [
        str(folder)
        for folder in sorted(folders, key=lambda f: len(f.parts))
        if not folder.stat().st_mode & 0o001
    ]


def _os_user(name: str) -> tuple[int, int]:
    entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def _owned(path: Path, uid: int, gid: int, mode: int = 0o775) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, uid, gid)
    path.chmod(mode)
    return path


def mysql(service: compose_file.Service, folder: Path, volumes: Path) -> Container:
    uid, gid = _os_user("mysql")
    for _, source, target in _volume(service, volumes):
        if target == "/var/lib/mysql":
            _owned(Path(source), uid, gid, 0o750)
    sockets = _owned(folder / "run-mysqld", uid, gid)
    init = folder / "init.sql"
    # MYSQL_ALLOW_EMPTY_PASSWORD: the image's root, without a password, from any host.
    init.write_text(
        "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '';\n"
        "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;\n"
    )
    os.chmod(init, 0o644)
    script = (
        "[ -d /var/lib/mysql/mysql ] || mariadb-install-db --no-defaults --user=mysql"
        " --datadir=/var/lib/mysql --auth-root-authentication-method=normal --skip-test-db >/dev/null\n"
        "exec mariadbd --no-defaults --user=mysql --datadir=/var/lib/mysql --port=3306 --bind-address=0.0.0.0"
        f" --socket=/run/mysqld/mysqld.sock --init-file={init} --skip-name-resolve"
    )
    mounts = [*_volume(service, volumes), ("bind", str(sockets), "/run/mysqld")]
    return Container(mounts, Process(["/bin/sh", "-c", script], {"PATH": SYSTEM_PATH, **service.environment}))


def postgres(service: compose_file.Service, folder: Path, volumes: Path) -> Container:
    uid, gid = _os_user("postgres")
    data = "/var/lib/postgresql/data"
    for _, source, target in _volume(service, volumes):
        if target == data:
            _owned(Path(source), uid, gid, 0o700)
    sockets = _owned(folder / "run-postgresql", uid, gid)
    binaries = postgres_server_binaries()
    trust = service.environment.get("POSTGRES_HOST_AUTH_METHOD") == "trust"
    script = (
        f"[ -s {data}/PG_VERSION ] || {{ {binaries}/initdb -D {data} -U postgres -E UTF8 --auth=trust"
        " --no-sync >/dev/null"
        + (f" && echo 'host all all all trust' >> {data}/pg_hba.conf" if trust else "")
        + "; }\n"
        f"exec {binaries}/postgres -D {data} -c listen_addresses='*'"
        " -c unix_socket_directories=/var/run/postgresql"
    )
    mounts = [*_volume(service, volumes), ("bind", str(sockets), "/var/run/postgresql")]
    process = Process(["/bin/sh", "-c", script], {"PATH": SYSTEM_PATH, **service.environment}, "/", uid, gid)
    return Container(mounts, process)


def localstack(service: compose_file.Service, folder: Path, volumes: Path) -> Container:
    python = LOCALSTACK_VENV / "bin" / "python"
    if not python.exists():
        raise FileNotFoundError(f"{python} is missing: run scripts/setup-localstack.sh (`lab test` runs it)")
    # The image's own directories, each the host's own: LocalStack in its container writes to them.
    own = {target: _owned(folder / name, 0, 0) for name, target in LOCALSTACK_DIRECTORIES.items()}
    mounts = [("bind", str(path), target) for target, path in own.items()]
    # What the image builds at its build time: the index of AWS service specs (scripts/setup-localstack.sh).
    mounts.append(
        ("bind", str(LOCALSTACK_VENV / "filesystem" / "usr" / "lib" / "localstack"), "/usr/lib/localstack")
    )
    environment = {
        "PATH": f"{python.parent}:{SYSTEM_PATH}",
        "HOME": str(own["/var/lib/localstack"]),
        # The image's defaults, which a process outside the image must be given.
        "OVERRIDE_IN_DOCKER": "1",
        "GATEWAY_LISTEN": "0.0.0.0:4566",
        **service.environment,
    }
    process = Process([str(python), "-m", "localstack.runtime.main"], environment)
    return Container([*mounts, *_volume(service, volumes)], process, overlays=["/tmp"])


def lab_image(service: compose_file.Service, folder: Path, volumes: Path) -> Container:
    image = compose_file.lab_image()
    uid_text, _, gid_text = (service.user or "0:0").partition(":")
    uid, gid = int(uid_text), int(gid_text or 0)
    state = image.environment.get("LAB_STATE_DIR", f"{IMAGE_ROOT}/.lab")
    layer = _owned(folder / "state", uid, 0)  # the image's /opt/lab/.lab, in this container's own layer
    for directory in image.directories:  # as the Dockerfile makes them (`chown -R`): group 0, writable
        if Path(directory).is_relative_to(state):
            path = layer
            for part in Path(directory).relative_to(state).parts:
                path = _owned(path / part, uid, 0)
    home = _owned(folder / "home", uid, 0)
    # The Airflow image leaves /etc/passwd writable by group 0, for an AIRFLOW_UID it does not know.
    passwd = folder / "passwd"
    shutil.copyfile("/etc/passwd", passwd)
    passwd.chmod(0o664)
    for _, source, _ in _volume(service, volumes):
        if Path(source).is_relative_to(volumes):
            _owned(Path(source), uid, 0)  # the Dockerfile makes each volume's directory group-0 writable
    mounts = [
        ("copy", str(REPO_ROOT), IMAGE_ROOT),
        ("bind", str(layer), state),
        ("bind", str(home), image.environment.get("HOME", "/home/airflow")),
        ("bind", str(passwd), "/etc/passwd"),
        *_volume(service, volumes),
    ]
    environment = {**image.environment, "PATH": f"{LAB_VENV_BIN}:{SYSTEM_PATH}", **service.environment}
    # The entry script, not dumb-init (the image's PID 1 helper): the rehearsal signals the process group.
    entrypoint = [part for part in image.entrypoint if part.startswith(IMAGE_ROOT)]
    process = Process([*entrypoint, *service.command], environment, image.workdir, uid, gid)
    return Container(mounts, process, _closed_directories(LAB_VENV_BIN / "python"))


def container(service: compose_file.Service, folder: Path, volumes: Path) -> Container:
    """The rehearsal's stand-in for ``service``'s image, by the image it names."""
    if service.built_here:
        return lab_image(service, folder, volumes)
    players = {"mysql:": mysql, "postgres:": postgres, "localstack/localstack:": localstack}
    for prefix, player in players.items():
        if service.image.startswith(prefix):
            return player(service, folder, volumes)
    raise ValueError(f"{service.name}: the rehearsal has no stand-in for image {service.image}")


def tools_missing() -> list[str]:
    """Programs the stand-ins need that this machine lacks."""
    return [name for name in ("mariadbd", "mariadb-install-db", "mysqladmin") if shutil.which(name) is None]
