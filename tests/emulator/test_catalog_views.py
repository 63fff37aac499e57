"""Redshift's views for looking around the warehouse, through the emulator: PG_TABLE_DEF, SVV_TABLE_INFO,
SVV_COLUMNS and STV_RECENTS list the learner's tables and sessions, never PostgreSQL's or the emulator's own.
"""

from __future__ import annotations

import pytest

from emulators.redshift.sql.functions import SEARCH_PATH_TAIL
from tests.emulator.wire_helpers import psycopg_connect, unique


@pytest.fixture(scope="module")
def schema(redshift_emulator):
    """A schema with a table of three rows, and an empty one."""
    name = unique("looking")
    with psycopg_connect(redshift_emulator) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
        conn.execute(
            f"CREATE TABLE {name}.nps"
            " (id INT NOT NULL, created_at timestamp, score smallint, note varchar(256))"
        )
        conn.execute(
            f"INSERT INTO {name}.nps VALUES"
            " (1, '2024-01-01', 9, 'a'), (2, '2024-01-02', 3, NULL), (3, NULL, 10, 'c')"
        )
        conn.execute(f"CREATE TABLE {name}.empty (id INT)")
    yield name
    with psycopg_connect(redshift_emulator) as conn:
        conn.execute(f"DROP SCHEMA {name} CASCADE")


def test_pg_table_def_lists_the_columns_of_tables_on_the_search_path_only(redshift_emulator, schema):
    """r_PG_TABLE_DEF.html: only schemas on the search path; the emulator's own tables never."""
    query = (
        'SELECT tablename, "column", type, encoding, distkey, sortkey, "notnull"'
        " FROM pg_table_def WHERE schemaname = %s"
    )
    with psycopg_connect(redshift_emulator) as conn:
        assert conn.execute(query, (schema,)).fetchall() == []
        conn.execute("SELECT set_config('search_path', %s, false)", (f"{schema}, {SEARCH_PATH_TAIL}",))
        rows = conn.execute(query + ' ORDER BY tablename, "column"', (schema,)).fetchall()
        listed_schemas = conn.execute("SELECT DISTINCT schemaname FROM pg_table_def").fetchall()
    # No ENCODE declared: Redshift's automatic encodings (c_Compression_encodings.html).
    az64, lzo = "az64".ljust(32), "lzo".ljust(32)
    assert rows == [
        ("empty", "id", "integer", az64, False, 0, False),
        ("nps", "created_at", "timestamp without time zone", az64, False, 0, False),
        ("nps", "id", "integer", az64, False, 0, True),
        ("nps", "note", "character varying(256)", lzo, False, 0, False),
        ("nps", "score", "smallint", az64, False, 0, False),
    ]
    assert listed_schemas == [(schema,)], "not pg_catalog, information_schema nor the emulator's schema"


def test_svv_table_info_counts_rows_and_leaves_out_empty_and_system_tables(redshift_emulator, schema):
    """r_SVV_TABLE_INFO.html: user tables with at least one row, tbl_rows exact, size in 1 MB blocks."""
    with psycopg_connect(redshift_emulator) as conn:
        conn.execute("SELECT 1")  # so that sys_query_history has rows
        rows = conn.execute(
            'SELECT "table", tbl_rows, size >= 1, max_varchar, database = current_database()'
            " FROM svv_table_info WHERE schema = %s",
            (schema,),
        ).fetchall()
        system = conn.execute(
            "SELECT count(*) FROM svv_table_info WHERE \"table\" IN ('sys_query_history', 'stl_load_errors')"
        ).fetchone()
    assert rows == [("nps", 3, True, 256, True)]
    assert system == (0,)


def test_svv_columns_lists_each_column(redshift_emulator, schema):
    """r_SVV_COLUMNS.html"""
    with psycopg_connect(redshift_emulator) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length,"
            " is_nullable FROM svv_columns WHERE table_schema = %s AND table_name = 'nps'"
            " ORDER BY ordinal_position",
            (schema,),
        ).fetchall()
        system = conn.execute(
            "SELECT count(*) FROM svv_columns WHERE table_schema = 'redshift_emulator'"
        ).fetchone()
    assert rows == [
        ("nps", "id", 1, "integer", None, "NO"),
        ("nps", "created_at", 2, "timestamp without time zone", None, "YES"),
        ("nps", "score", 3, "smallint", None, "YES"),
        ("nps", "note", 4, "character varying", 256, "YES"),
    ]
    assert system == (0,)


def test_stv_recents_shows_the_running_statement(redshift_emulator):
    """r_STV_RECENTS.html: the statement asking is Running, with its user, database and text."""
    marker = unique("recents")
    with psycopg_connect(redshift_emulator) as conn:
        rows = conn.execute(
            f"SELECT status, trim(user_name), trim(db_name), duration >= 0 FROM stv_recents /* {marker} */"
            " WHERE query LIKE %s AND pid = pg_backend_pid()",
            (f"%{marker}%",),
        ).fetchall()
    assert rows == [("Running".ljust(20), redshift_emulator.user, redshift_emulator.database, True)]
