"""`lab seed ...`: fill the source tables, simulate a day of production, create the warehouse tables."""

from __future__ import annotations

import argparse
from datetime import date

import pymysql

import lab_settings
from lab.config import Settings, load_settings
from lab.errors import UsageError
from seed import changes, nps, source, warehouse

DEFAULT_DAYS = 30
DEFAULT_ROWS_PER_DAY = 1000
DEFAULT_SEED = 42


def register(subparsers) -> None:
    parser = subparsers.add_parser("seed", help="create and fill the lab's source and warehouse tables")
    commands = parser.add_subparsers(dest="seed_command", required=True, metavar="SEED_COMMAND")

    fill = commands.add_parser("source", help="(re)create prod.nps and prod.nps_changes with seeded rows")
    fill.add_argument("--start", default=lab_settings.SEED_START_DATE, help="first day, YYYY-MM-DD")
    fill.add_argument("--days", default=DEFAULT_DAYS, help="number of days (default %(default)s)")
    _add_volume_arguments(fill)
    fill.set_defaults(handler=run_source)

    tick = commands.add_parser("tick", help="simulate one day of production: new, modified, deleted rows")
    tick.add_argument("--date", required=True, help="the day, YYYY-MM-DD")
    _add_volume_arguments(tick)
    tick.set_defaults(handler=run_tick)

    tables = commands.add_parser("warehouse", help="create the warehouse schema and tables in Redshift")
    tables.add_argument("--reset", action="store_true", help="drop and recreate the tables")
    tables.set_defaults(handler=run_warehouse)


def _add_volume_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rows-per-day", default=DEFAULT_ROWS_PER_DAY, help="mean rows per day")
    parser.add_argument("--seed", default=DEFAULT_SEED, help="random seed: same arguments, same rows")


def parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date in YYYY-MM-DD form") from None


def parse_count(text: str | int, option: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a whole number") from None
    if value < 0:
        raise UsageError(f"{option} must be 0 or more, not {value}")
    return value


def run_source(args: argparse.Namespace) -> None:
    dates = nps.days(parse_date(args.start, "--start"), parse_count(args.days, "--days"))
    seed_source(
        load_settings(),
        dates,
        parse_count(args.rows_per_day, "--rows-per-day"),
        parse_count(args.seed, "--seed"),
    )


def seed_source(
    settings: Settings,
    dates: list[date] | None = None,
    rows_per_day: int = DEFAULT_ROWS_PER_DAY,
    seed: int = DEFAULT_SEED,
) -> None:
    """(Re)create both source tables with the rows of ``dates`` (default: the lab's first state)."""
    if dates is None:
        dates = nps.days(date.fromisoformat(lab_settings.SEED_START_DATE), DEFAULT_DAYS)
    url = settings.mysql
    with source.connect(url, create_database=True) as conn:
        for table in (nps, changes):
            table.recreate(conn)
            count = table.fill(conn, dates, rows_per_day, seed)
            span = f"from {dates[0]} to {dates[-1]}" if dates else "(no days)"
            print(f"{url.database}.{table.TABLE}: {count} rows {span}")


def run_tick(args: argparse.Namespace) -> None:
    day = parse_date(args.date, "--date")
    rows_per_day = parse_count(args.rows_per_day, "--rows-per-day")
    seed = parse_count(args.seed, "--seed")
    url = load_settings().mysql
    with source.connect(url) as conn:
        with conn.cursor() as cur:
            try:
                cur.execute(
                    f"SELECT count(*) FROM {nps.TABLE}"
                    " WHERE created_at >= %s AND created_at < %s + INTERVAL 1 DAY",
                    (day.isoformat(), day.isoformat()),
                )
            except pymysql.err.ProgrammingError as error:
                raise UsageError(f"{error.args[-1]}: run `lab seed source` first") from None
            if cur.fetchone()[0]:
                raise UsageError(
                    f"{url.database}.{nps.TABLE} already has rows created on {day}: pick a new day"
                )
        created = nps.fill(conn, [day], rows_per_day, seed)
        day_of_changes = changes.tick(conn, day, rows_per_day, seed)
    print(f"{url.database}.{nps.TABLE}: {created} rows created on {day}")
    print(
        f"{url.database}.{changes.TABLE}: {day_of_changes.created} created,"
        f" {day_of_changes.modified} modified, {day_of_changes.deleted} soft-deleted on {day}"
    )


def run_warehouse(args: argparse.Namespace) -> None:
    for table in warehouse.create(load_settings(), reset=args.reset):
        print(f"{table}: ready")
