"""Queries of Redshift's catalog as clients send them (emulators/redshift/sql/catalog_queries.py): the
rewritten text, rule by rule; tests/clients runs the clients themselves."""

from __future__ import annotations

import pytest

from emulators.redshift.sql.rewrite import rewrite


@pytest.mark.parametrize(
    ("redshift", "postgres"),
    [
        # Redshift's columns of pg_class / pg_attribute / pg_attrdef: the emulator's views, only when read.
        (
            "SELECT c.reldiststyle FROM pg_catalog.pg_class c",
            "SELECT c.reldiststyle FROM redshift_emulator._pg_class c",
        ),
        (
            "SELECT a.attencodingtype, d.adsrc FROM pg_attribute a JOIN pg_catalog.pg_attrdef d ON true",
            "SELECT a.attencodingtype, d.adsrc FROM redshift_emulator._pg_attribute a"
            " JOIN redshift_emulator._pg_attrdef d ON true",
        ),
        # qualified Redshift system views live in the emulator's schema
        (
            "SELECT * FROM pg_catalog.svv_external_columns",
            "SELECT * FROM redshift_emulator.svv_external_columns",
        ),
        # WHERE 1: Redshift's true
        ("SELECT 1 FROM t WHERE 1 AND x = 2", "SELECT 1 FROM t WHERE true AND x = 2"),
        ("SELECT 1 FROM t WHERE 1 = x", "SELECT 1 FROM t WHERE 1 = x"),
        # a select-list alias in the same SELECT's WHERE, in a catalog query
        (
            'SELECT n.nspname AS "schema", c.relname, c.reldiststyle FROM pg_catalog.pg_class c'
            " JOIN pg_namespace n ON true WHERE n.nspname !~ '^pg_' AND schema = 'public'"
            ' UNION SELECT s.schemaname AS "schema", t.tablename AS relname, null FROM svv_external_tables t'
            " JOIN svv_external_schemas s ON true WHERE 1 AND schema = 'public' AND relname = 'x'",
            'SELECT n.nspname AS "schema", c.relname, c.reldiststyle FROM redshift_emulator._pg_class c'
            " JOIN pg_namespace n ON true WHERE n.nspname !~ '^pg_' AND (n.nspname) = 'public'"
            ' UNION SELECT s.schemaname AS "schema", t.tablename AS relname, null'
            " FROM redshift_emulator.svv_external_tables t"
            " JOIN redshift_emulator.svv_external_schemas s ON true WHERE true AND (s.schemaname) = 'public'"
            " AND (t.tablename) = 'x'",
        ),
        # psql's listings without a pattern
        (
            "SELECT 1 FROM pg_catalog.pg_namespace n WHERE n.nspname <> 'information_schema' ORDER BY 1",
            "SELECT 1 FROM pg_catalog.pg_namespace n WHERE n.nspname <> 'information_schema'"
            " AND n.nspname <> 'redshift_emulator' ORDER BY 1",
        ),
    ],
)
def test_catalog_queries(redshift, postgres):
    assert rewrite(redshift).sql == postgres


@pytest.mark.parametrize(
    "sql",
    [
        # PostgreSQL's own catalog queries (psql's \d, SQLAlchemy's postgresql dialect) stay as they are.
        "SELECT c.oid, c.relname FROM pg_catalog.pg_class c WHERE c.relname = 'nps'",
        # an alias in WHERE outside Redshift's catalog keeps PostgreSQL's meaning
        "SELECT a AS b FROM t WHERE b = 1",
        "SELECT * FROM information_schema.columns",
    ],
)
def test_other_queries_are_left_alone(sql):
    assert rewrite(sql).sql == sql
