"""pandas with SQLAlchemy's Redshift dialect (sqlalchemy-redshift), over both of its drivers, against the
emulator: what a learner does after the course to pull a warehouse table into a DataFrame."""

from __future__ import annotations

import json

import pytest

from tests.clients.clients import HERE, client_program, run_client
from tests.emulator.wire_helpers import unique

DRIVERS = {
    # Both ask for TLS by default, which the emulator does not speak: the learner turns it off.
    "redshift+redshift_connector": {"ssl": False},
    "redshift+psycopg2": {"sslmode": "disable"},
}


@pytest.mark.parametrize("driver", DRIVERS)
def test_pandas_reads_writes_and_inspects_through_the_redshift_dialect(redshift_emulator, driver):
    emulator = redshift_emulator
    login = f"{emulator.user}:{emulator.password}" if emulator.password else emulator.user
    url = f"{driver}://{login}@{emulator.host}:{emulator.port}/{emulator.database}"
    schema = unique("sa")
    probe = run_client(
        [client_program("python"), HERE / "sqlalchemy_probe.py", url, schema, json.dumps(DRIVERS[driver])]
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    result = json.loads(probe.stdout)
    assert result["table_names"] == ["daily_nps", "nps"]
    assert [(c["name"], c["type"], c["nullable"]) for c in result["columns"]] == [
        ("id", "INTEGER", False),
        ("score", "SMALLINT", True),
        ("note", "VARCHAR(20)", True),
    ]
    # What the CREATE TABLE declared, as sqlalchemy-redshift reads it back from Redshift's catalog columns.
    assert [c["info"].get("encode") for c in result["columns"]] == ["az64", None, "zstd"]
    options = result["options"]
    assert (options["redshift_diststyle"], options["redshift_distkey"], options["redshift_sortkey"]) == (
        "KEY",
        "id",
        ["score"],
    )
    assert result["pk"] == ["id"]
    assert result["read_sql"] == [{"id": 1, "score": 9}, {"id": 2, "score": 3}]
    assert result["read_sql_table"] == [
        {"id": 1, "score": 9, "note": "a"},
        {"id": 2, "score": 3, "note": None},
    ]
    assert result["to_sql"] == [{"day": "2024-01-01", "nps": 10.5}, {"day": "2024-01-02", "nps": -3.0}]
    assert result["has_table"] is True
