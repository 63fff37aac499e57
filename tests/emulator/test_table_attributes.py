"""DISTSTYLE, DISTKEY, SORTKEY and ENCODE as the learner declared them, shown by the catalog: PG_TABLE_DEF
(r_PG_TABLE_DEF.html), SVV_TABLE_INFO (r_SVV_TABLE_INFO.html), pg_class.reldiststyle and PG_CLASS_INFO
(r_PG_CLASS_INFO.html); and the comment that carries them from the rewriting to the catalog."""

from __future__ import annotations

import json
import re

import pytest

from emulators.redshift.sql.functions import SEARCH_PATH_TAIL
from emulators.redshift.sql.rewrite import rewrite
from tests.emulator.wire_helpers import psycopg_connect, unique


@pytest.fixture
def schema(redshift_emulator):
    name = unique("attrs")
    with psycopg_connect(redshift_emulator) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    yield name
    with psycopg_connect(redshift_emulator) as conn:
        conn.execute(f"DROP SCHEMA {name} CASCADE")


def declared(sql: str) -> dict:
    found = re.search(r"/\* redshift_emulator\.table_attributes (\{.*?\}) \*/", rewrite(sql).sql)
    assert found, rewrite(sql).sql
    return json.loads(found.group(1))


def test_the_comment_carries_what_create_table_declares():
    assert declared(
        'CREATE TABLE s."Nps" (id int ENCODE az64 DISTKEY, note varchar(10) encode zstd,'
        " d numeric(10, 2) SORTKEY)"
    ) == {
        "table": "Nps",
        "diststyle": "KEY",
        "sortkind": "COMPOUND",
        "columns": {
            "id": {"encoding": "az64", "distkey": True},
            "note": {"encoding": "zstd"},
            "d": {"sortkey": 1},
        },
    }
    # r_PG_TABLE_DEF.html: an interleaved sort key's places alternate in sign.
    assert declared("create table t (a int, b int, c int) diststyle all interleaved sortkey (c, a, b)")[
        "columns"
    ] == {
        "c": {"sortkey": 1},
        "a": {"sortkey": -2},
        "b": {"sortkey": 3},
    }
    assert declared("CREATE TABLE t DISTKEY (a) AS SELECT 1 AS a")["diststyle"] == "KEY"
    # No "/" inside the comment, so that no name can end it.
    assert declared('CREATE TABLE t ("a*/b" int ENCODE zstd)')["columns"] == {"a*/b": {"encoding": "zstd"}}
    assert "table_attributes" not in rewrite("CREATE TABLE t (a int)").sql


def test_pg_table_def_and_svv_table_info_show_the_declared_attributes(redshift_emulator, schema):
    with psycopg_connect(redshift_emulator) as conn:
        conn.execute("SELECT set_config('search_path', %s, false)", (f"{schema}, {SEARCH_PATH_TAIL}",))
        conn.execute(
            "CREATE TABLE keyed (id int ENCODE zstd, day date, note varchar(20) ENCODE raw)"
            " DISTSTYLE KEY DISTKEY (id) COMPOUND SORTKEY (day, id)"
        )
        conn.execute(
            "CREATE TABLE everywhere DISTSTYLE ALL INTERLEAVED SORTKEY (b, a) AS SELECT 1 AS a, 2 AS b"
        )
        conn.execute("CREATE TABLE plain (id int, note varchar(20))")
        for table in ("keyed", "plain"):
            conn.execute(f"INSERT INTO {table} (id) VALUES (1)")
        # A CREATE that is rolled back records nothing; a dropped table takes its row along.
        count_rows = "SELECT count(*) FROM redshift_emulator.table_attributes"
        before = conn.execute(count_rows).fetchone()
        conn.execute("BEGIN")
        conn.execute("CREATE TABLE rolled_back (id int) DISTSTYLE EVEN")
        conn.execute("ROLLBACK")
        after_rollback = conn.execute(count_rows).fetchone()
        conn.execute("CREATE TABLE dropped (id int) DISTSTYLE EVEN")
        dropped = conn.execute("SELECT 'dropped'::regclass::oid").fetchone()[0]
        conn.execute("DROP TABLE dropped")
        left = conn.execute(
            "SELECT count(*) FROM redshift_emulator.table_attributes WHERE table_id = %s", (dropped,)
        ).fetchone()
        columns = conn.execute(
            'SELECT tablename, "column", encoding, distkey, sortkey FROM pg_table_def'
            ' WHERE schemaname = %s ORDER BY tablename, "column"',
            (schema,),
        ).fetchall()
        tables = conn.execute(
            'SELECT "table", diststyle, sortkey1, sortkey_num, encoded, trim(sortkey1_enc)'
            ' FROM svv_table_info WHERE schema = %s ORDER BY "table"',
            (schema,),
        ).fetchall()
        styles = conn.execute(
            "SELECT relname, reldiststyle, releffectivediststyle FROM pg_class_info c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind = 'r' ORDER BY 1",
            (schema,),
        ).fetchall()
    assert [(t, c, e.strip(), d, s) for t, c, e, d, s in columns] == [
        ("everywhere", "a", "none", False, -2),
        ("everywhere", "b", "none", False, 1),
        ("keyed", "day", "none", False, 1),  # a sort key column is RAW (c_Compression_encodings.html)
        ("keyed", "id", "zstd", True, 2),
        ("keyed", "note", "none", False, 0),
        ("plain", "id", "az64", False, 0),
        ("plain", "note", "lzo", False, 0),
    ]
    assert tables == [
        ("everywhere", "ALL", "b", 2, "Y, AUTO(ENCODE)", "none"),
        ("keyed", "KEY(id)", "day", 2, "Y", "none"),
        ("plain", "AUTO(EVEN)", "AUTO(SORTKEY)", 0, "Y, AUTO(ENCODE)", None),
    ]
    assert styles == [("everywhere", 8, 8), ("keyed", 1, 1), ("plain", 11, 11)]
    assert after_rollback == before, "the rolled-back CREATE recorded nothing"
    assert left == (0,), "the dropped table's row went with it"


def test_alter_table_changes_what_the_catalog_shows(redshift_emulator, schema):
    """r_ALTER_TABLE.html: ALTER DISTSTYLE, ALTER [COMPOUND] SORTKEY, ALTER COLUMN ... ENCODE."""
    with psycopg_connect(redshift_emulator) as conn:
        conn.execute("SELECT set_config('search_path', %s, false)", (f"{schema}, {SEARCH_PATH_TAIL}",))
        conn.execute("CREATE TABLE t (id int, day date, note varchar(20)) DISTSTYLE EVEN SORTKEY (id)")
        conn.execute("INSERT INTO t VALUES (1, '2024-01-01', 'a')")

        def shown() -> tuple:
            table = conn.execute(
                "SELECT diststyle, sortkey1, sortkey_num FROM svv_table_info WHERE schema = %s", (schema,)
            ).fetchone()
            columns = conn.execute(
                'SELECT "column", trim(encoding), distkey, sortkey FROM pg_table_def'
                ' WHERE schemaname = %s ORDER BY "column"',
                (schema,),
            ).fetchall()
            return table, columns

        conn.execute("ALTER TABLE t ALTER DISTSTYLE KEY DISTKEY day")
        conn.execute("ALTER TABLE t ALTER COMPOUND SORTKEY (day, note)")
        conn.execute("ALTER TABLE t ALTER COLUMN note ENCODE zstd")
        assert shown() == (
            ("KEY(day)", "day", 2),
            [("day", "none", True, 1), ("id", "az64", False, 0), ("note", "zstd", False, 2)],
        )
        conn.execute("ALTER TABLE t ALTER DISTSTYLE ALL")
        conn.execute("ALTER TABLE t ALTER SORTKEY NONE")
        assert shown() == (
            ("ALL", None, 0),
            [("day", "az64", False, 0), ("id", "az64", False, 0), ("note", "zstd", False, 0)],
        )
