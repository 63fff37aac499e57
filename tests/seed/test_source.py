"""The MySQL side of the seed on a real server: the course's table, deterministic rows, a day of changes."""

from datetime import date, timedelta

import pytest

from lab.errors import UsageError
from seed import changes, nps, source

START = date(2024, 1, 1)
DAYS = nps.days(START, 4)


def all_rows(conn, table):
    with conn.cursor() as cur:
        cur.execute(f"SELECT * FROM {table} ORDER BY id")
        return cur.fetchall()


@pytest.fixture
def conn(seed_url):
    with source.connect(seed_url) as conn:
        yield conn


def test_nps_has_the_course_ddl_and_an_index_on_created_at(conn):
    nps.recreate(conn)
    with conn.cursor() as cur:
        cur.execute("SHOW COLUMNS FROM nps")
        columns = [row[:4] for row in cur.fetchall()]
        cur.execute("SHOW INDEX FROM nps")
        keys = [(row[2], row[4]) for row in cur.fetchall()]
    assert columns == [
        ("id", "int(11)", "NO", "PRI"),
        ("created_at", "timestamp", "YES", "MUL"),
        ("score", "smallint(6)", "YES", ""),
    ]
    # The daily exports' window on created_at can be read from this index instead of the whole table.
    assert keys == [("PRIMARY", "id"), ("created_at", "created_at")]


def test_fill_gives_the_same_rows_for_the_same_arguments(conn):
    nps.recreate(conn)
    count = nps.fill(conn, DAYS, 50, seed=11)
    first = all_rows(conn, "nps")
    nps.recreate(conn)
    nps.fill(conn, DAYS, 50, seed=11)
    assert all_rows(conn, "nps") == first
    assert count == len(first) > 100
    assert [row[0] for row in first] == list(range(1, count + 1))
    assert sorted(row[1] for row in first) == [row[1] for row in first]  # ids follow arrival
    assert {row[1].date() for row in first} == set(DAYS)
    nps.recreate(conn)
    nps.fill(conn, DAYS, 50, seed=12)
    assert all_rows(conn, "nps") != first


def test_tick_creates_modifies_and_soft_deletes_on_its_day(conn):
    changes.recreate(conn)
    changes.fill(conn, DAYS, 50, seed=3)
    before = {row[0]: row for row in all_rows(conn, "nps_changes")}
    assert all(row[1] == row[3] and row[4] == 0 for row in before.values())  # new rows: modified = created

    day = DAYS[-1] + timedelta(days=1)
    result = changes.tick(conn, day, 50, seed=3)
    after = {row[0]: row for row in all_rows(conn, "nps_changes")}

    created = [row for id_, row in after.items() if id_ not in before]
    touched = [row for id_, row in after.items() if id_ in before and row != before[id_]]
    deleted = [row for row in touched if row[4]]
    modified = [row for row in touched if not row[4]]
    assert (len(created), len(modified), len(deleted)) == (result.created, result.modified, result.deleted)
    assert result.created > 0 and result.modified > 0 and result.deleted > 0
    assert all(row[1].date() == day and row[3] == row[1] for row in created)
    assert all(row[3].date() == day and row[1].date() < day for row in touched)
    assert all(row[1] == before[row[0]][1] for row in touched)  # created_at never changes
    assert {row[0] for row in touched} <= set(before)


def test_tick_is_deterministic_for_the_same_table_and_arguments(conn):
    outcomes = []
    for _ in range(2):
        changes.recreate(conn)
        changes.fill(conn, DAYS, 30, seed=5)
        changes.tick(conn, date(2024, 2, 1), 30, seed=5)
        outcomes.append(all_rows(conn, "nps_changes"))
    assert outcomes[0] == outcomes[1]


def test_an_unreachable_server_is_one_clear_error(seed_url):
    closed = seed_url.with_database(seed_url.database)
    closed = type(closed)(closed.scheme, closed.user, closed.password, "127.0.0.1", 1, closed.database)
    with pytest.raises(UsageError, match=r"cannot reach MySQL at mysql://.*127\.0\.0\.1:1/"):
        source.connect(closed)
