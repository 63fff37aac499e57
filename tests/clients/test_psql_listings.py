"""psql's listings against the emulator: without a pattern, `\\dt`, `\\dv`, `\\df` and `\\dn` show the
learner's objects, not the emulator's own schema of system tables and Redshift functions (on Redshift the
system tables are not the user's)."""

from __future__ import annotations

from tests.emulator.wire_helpers import psql, psycopg_connect, unique


def test_listings_without_a_pattern_show_the_learners_objects_only(redshift_emulator):
    table, view, function, schema = unique("t"), unique("v"), unique("f"), unique("s")
    with psycopg_connect(redshift_emulator) as conn:
        conn.execute(f"CREATE TABLE public.{table} (id int)")
        conn.execute(f"CREATE VIEW public.{view} AS SELECT 1 AS one")
        conn.execute(
            f"CREATE FUNCTION public.{function}(integer) RETURNS integer LANGUAGE sql AS 'SELECT $1'"
        )
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        listings = {
            command: psql(redshift_emulator, command + "\n") for command in ("\\dt", "\\dv", "\\df", "\\dn")
        }
        for command, done in listings.items():
            assert done.returncode == 0, f"{command}: {done.stderr}"
            assert "redshift_emulator" not in done.stdout, (
                f"{command} lists the emulator's objects:\n{done.stdout}"
            )
        assert table in listings["\\dt"].stdout
        assert view in listings["\\dv"].stdout
        assert function in listings["\\df"].stdout
        assert schema in listings["\\dn"].stdout
        # With a pattern psql shows what matches, the emulator's tables too (as \dt pg_catalog.* would).
        matching = psql(redshift_emulator, "\\dt redshift_emulator.stl*\n")
        assert "stl_load_errors" in matching.stdout, matching.stdout + matching.stderr
    finally:
        with psycopg_connect(redshift_emulator) as conn:
            conn.execute(f"DROP TABLE public.{table}; DROP VIEW public.{view}; DROP SCHEMA {schema}")
            conn.execute(f"DROP FUNCTION public.{function}(integer)")
