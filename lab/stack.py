"""`lab up`, `lab status`, `lab down`, `lab serve`, `lab init`, `lab reset`: the lab's running pieces.

Each piece (lab.pieces) starts one way only: `lab serve <piece>` runs it in the foreground. A container of
docker-compose.yml runs exactly that command; `lab up` runs the same command in the background, records
its pid under STATE_DIR/run, and waits until the piece answers. So the native tests prove what compose runs
(and tests/compose rehearses the compose file itself). MySQL and PostgreSQL are not pieces: the lab uses the
servers its settings name (compose runs its own).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from lab import processes, setup
from lab.config import LOOPBACK, STATE_DIR, Settings, load_settings, redact
from lab.errors import UsageError
from lab.pieces import INIT_NEEDS, PIECES, Piece, airflow_healthy

RUN_DIR = STATE_DIR / "run"
LOG_DIR = STATE_DIR / "logs"


# --- What `lab up` started: pid records under STATE_DIR/run ----------------------------------------------


def _record_path(name: str) -> Path:
    return RUN_DIR / f"{name}.json"


def _write_record(name: str, process: processes.ManagedProcess) -> None:
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    record = {
        "pid": process.pid,
        "create_time": psutil.Process(process.pid).create_time(),
        "log": str(process.log_path),
    }
    _record_path(name).write_text(json.dumps(record))


def started_process(name: str) -> psutil.Process | None:
    """The live process `lab up` started for ``name``, or None.

    The recorded start time must match: after a reboot the same pid may belong to anything else.
    """
    try:
        record = json.loads(_record_path(name).read_text())
        process = psutil.Process(record["pid"])
        if (
            abs(process.create_time() - record["create_time"]) > 0.01
            or process.status() == psutil.STATUS_ZOMBIE
        ):
            return None
    except (OSError, ValueError, KeyError, psutil.Error):
        return None
    return process


def process_tree(process: psutil.Process) -> list[psutil.Process]:
    """``process`` and all its descendants that are still alive."""
    try:
        return [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def stop_piece(name: str) -> bool:
    """Stop what `lab up` started for ``name`` and its children; True if something was running."""
    process = started_process(name)
    _record_path(name).unlink(missing_ok=True)
    if process is None:
        return False
    tree = process_tree(process)
    processes.stop_process_groups([process.pid])
    # A child may have left the process group (its own session): stop it by its identity too.
    for leftover in tree:
        if processes.running(leftover):
            with contextlib.suppress(psutil.NoSuchProcess):
                leftover.kill()
    deadline = time.monotonic() + 10
    while any(processes.running(member) for member in tree) and time.monotonic() < deadline:
        time.sleep(0.1)
    return True


# --- The commands --------------------------------------------------------------------------------------


def _settings() -> Settings:
    try:
        settings = load_settings()
    except ValueError as error:
        raise UsageError(str(error)) from None
    return settings


def _local_settings() -> Settings:
    settings = _settings()
    if settings.profile != "lab" or not settings.s3_endpoint:
        raise UsageError(f"the stack runs the local lab only; LAB_PROFILE is {settings.profile!r}")
    return settings


def _native_settings(command: str) -> Settings:
    """`lab up` and `lab down` start and stop this machine's processes: in a container, compose does."""
    settings = _local_settings()
    if settings.runtime == "compose":
        raise UsageError(
            f"this is a container of docker-compose.yml, whose services compose starts and stops: on your"
            f" machine, `docker compose {'up' if command == 'up' else 'stop'}` instead of `lab {command}`"
        )
    return settings


def up(args) -> int:
    settings = _native_settings("up")
    setup.require_databases(settings)
    to_start = []
    for piece in PIECES.values():
        if process := started_process(piece.name):
            print(f"{piece.name}: already running (pid {process.pid})")
        elif processes.port_answers(LOOPBACK, piece.port(settings)):
            raise UsageError(
                f"{piece.name}: port {piece.port(settings)} is taken by a process this lab did not start;"
                f" stop it, or choose another port with {piece.port_variable}"
            )
        else:
            to_start.append(piece)

    started = time.monotonic()
    launched: dict[str, processes.ManagedProcess] = {}
    for piece in to_start:
        command = [str(processes.VENV_BIN / "lab"), "serve", piece.name]
        launched[piece.name] = processes.start(piece.name, command, log_path(piece.name))
        _write_record(piece.name, launched[piece.name])
    # `lab init` needs S3 and Redshift; Airflow and Jupyter keep starting meanwhile.
    for name in INIT_NEEDS:
        _wait_healthy(PIECES[name], launched.get(name), settings)
    setup.init_lab(settings)
    for name, piece in PIECES.items():
        if name not in INIT_NEEDS:
            _wait_healthy(piece, launched.get(name), settings)
    if launched:
        print(f"ready in {time.monotonic() - started:.0f} s")
    _print_table(settings)
    return 0


def log_path(name: str) -> Path:
    return LOG_DIR / f"{name}.log"


def _wait_healthy(piece: Piece, process: processes.ManagedProcess | None, settings: Settings) -> None:
    """Wait until ``piece`` answers; UsageError naming the piece and its log if it dies or takes too long."""
    if process is None:
        # Started by an earlier `lab up`, which may still be waiting for it.
        deadline = time.monotonic() + piece.startup_timeout
        while not piece.healthy(settings):
            if time.monotonic() > deadline or started_process(piece.name) is None:
                raise UsageError(
                    f"{piece.name} was started before but does not answer; its log is {log_path(piece.name)}."
                    " `lab down`, then `lab up` again."
                )
            time.sleep(0.5)
        return
    try:
        process.wait_until(lambda: piece.healthy(settings), piece.startup_timeout)
    except processes.StartupError as error:
        print(error, file=sys.stderr)
        raise UsageError(
            f"{piece.name} failed to start; its log is {process.log_path}. `lab down` stops the rest."
        ) from None


def _print_table(settings: Settings, names: list[str] | None = None) -> bool:
    """Print one line per piece; True if every listed piece answers."""
    rows = [
        (name, None if probe(settings) else "does not answer")
        for name, probe in DATABASES.items()
        if not names or name in names
    ]
    rows += [
        (piece.name, piece.problem(settings) if piece.healthy(settings) else "does not answer")
        for piece in PIECES.values()
        if not names or piece.name in names
    ]
    for name, problem in rows:
        detail = describe(name, settings)
        process = started_process(name)
        owner = f"  [pid {process.pid}, log {log_path(name)}]" if process else ""
        print(f"{name:<9} {'up' if problem is None else 'DOWN':<5} {detail}{owner}")
        if problem:
            print(f"{'':<15} {problem}; {settings.log_hint(name)}")
    return all(problem is None for _, problem in rows)


DATABASES: dict[str, Callable[[Settings], bool]] = {
    "mysql": setup.mysql_answers,
    "postgres": setup.postgres_answers,
}


def describe(name: str, settings: Settings) -> str:
    if name == "mysql":
        return redact(str(settings.mysql))
    if name == "postgres":
        return redact(str(settings.postgres))
    return PIECES[name].describe(settings)


def status(args) -> int:
    settings = _local_settings()
    if unknown := sorted(set(args.pieces) - {*DATABASES, *PIECES}):
        raise UsageError(f"no piece named {', '.join(unknown)}; pieces: {', '.join([*DATABASES, *PIECES])}")
    return 0 if _print_table(settings, args.pieces) else 1


def down(args) -> int:
    _native_settings("down")
    for name in reversed(PIECES):
        print(f"{name}: {'stopped' if stop_piece(name) else 'was not running'}")
    return 0


def serve(args) -> int:
    settings = _settings()
    PIECES[args.piece].serve(settings, args.host or settings.bind_host)
    return 0


def _require_pieces(settings: Settings, names: tuple[str, ...]) -> None:
    """`lab init` and `lab reset` work through S3 and the Redshift endpoint: say which one does not answer."""
    setup.require_databases(settings)
    if down := [name for name in names if not PIECES[name].healthy(settings)]:
        raise UsageError(f"{', '.join(down)} not answering; start the lab first ({settings.start_hint()})")


def init(args) -> int:
    settings = _local_settings()
    _require_pieces(settings, INIT_NEEDS)
    setup.init_lab(settings)
    return 0


def reset(args) -> int:
    settings = _local_settings()
    _require_pieces(settings, INIT_NEEDS)
    client = None
    if airflow_healthy(settings):
        from lab import airflow

        client = airflow.client(settings)
    setup.reset_lab(settings, client)
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "up", help="start the whole lab here (no Docker) and wait until it answers"
    )
    parser.set_defaults(handler=up)

    parser = subparsers.add_parser(
        "status", help="show each piece of the lab: up or down, where, which login"
    )
    parser.add_argument(
        "pieces",
        nargs="*",
        metavar="PIECE",
        help=f"only these, of {', '.join([*DATABASES, *PIECES])} (exit 1 if one is down)",
    )
    parser.set_defaults(handler=status)

    parser = subparsers.add_parser("down", help="stop what `lab up` started, and nothing else")
    parser.set_defaults(handler=down)

    parser = subparsers.add_parser("serve", help="run one piece in the foreground (what a container runs)")
    parser.add_argument("piece", choices=list(PIECES))
    parser.add_argument("--host", help=f"address to listen on (default LAB_BIND_HOST, {LOOPBACK})")
    parser.set_defaults(handler=serve)

    parser = subparsers.add_parser(
        "init", help="create what the lab needs if missing: logins, databases, bucket, tables, prod.nps rows"
    )
    parser.set_defaults(handler=init)

    parser = subparsers.add_parser(
        "reset", help="return the lab to its first state: tables, bucket, Airflow runs, MySQL data"
    )
    parser.set_defaults(handler=reset)
