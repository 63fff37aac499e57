"""Redshift syntax PostgreSQL lacks (dialect.py): Redshift SQL in, exactly what PostgreSQL receives out."""

from __future__ import annotations

import pytest

from emulators.redshift.errors import RedshiftError
from emulators.redshift.sql.dialect import SHOW_SEARCH_PATH_SQL
from emulators.redshift.sql.functions import SEARCH_PATH_TAIL
from emulators.redshift.sql.rewrite import rewrite
from tests.emulator.rewrite_helpers import without_declared

COMMA, COMMA_SPACE, PIPE = "','", "', '", "'|'"


def listagg(values: str, delimiter: str = "''") -> str:
    """What LISTAGG becomes around the array of its ``values``."""
    return f"NULLIF(array_to_string(array_remove({values}::text[], ''), {delimiter}), '')"


NAMES_OR_QUESTION_MARKS = "array_agg(COALESCE(name, '?'))"


@pytest.mark.parametrize(
    ("redshift", "postgres"),
    [
        # r_SELECT_list.html: TOP n is a LIMIT n at the end of its own SELECT
        ("SELECT TOP 2 * FROM t ORDER BY id;", "SELECT * FROM t ORDER BY id LIMIT 2;"),
        (
            "select top 10 distinct a from t -- the first ten\n",
            "select distinct a from t LIMIT 10 -- the first ten\n",
        ),
        (
            "SELECT * FROM (SELECT TOP 3 id FROM t ORDER BY id) s WHERE id > (select top 1 id from u)",
            "SELECT * FROM (SELECT id FROM t ORDER BY id LIMIT 3) s WHERE id > (select id from u LIMIT 1)",
        ),
        (
            "WITH x AS (SELECT TOP 5 * FROM t) SELECT TOP 1 * FROM x",
            "WITH x AS (SELECT * FROM t LIMIT 5) SELECT * FROM x LIMIT 1",
        ),
        ("INSERT INTO s.t SELECT TOP 5 * FROM u", "INSERT INTO s.t SELECT * FROM u LIMIT 5"),
        ("select top, stop from t", "select top, stop from t"),
        ("SELECT 'select top 5' AS top", "SELECT 'select top 5' AS top"),
        # r_DATEADD_function.html, r_DATEDIFF_function.html, r_DATE_PART_function.html: bare dateparts
        (
            "SELECT DATEADD(day, 1, x), datediff(Week, a, b), DATE_PART(dow, x), pgdate_part(dw, x)",
            "SELECT redshift_emulator.DATEADD('day', 1, x), redshift_emulator.datediff('week', a, b),"
            " redshift_emulator.DATE_PART('dow', x), pgdate_part('dw', x)",
        ),
        (
            "SELECT dateadd('month', 1, x), s.dateadd(day, 1, x), date_trunc('week', x) FROM t",
            "SELECT redshift_emulator.dateadd('month', 1, x), s.dateadd(day, 1, x),"
            " redshift_emulator.date_trunc('week', x) FROM t",
        ),
        # r_EXTRACT_function.html: Redshift's abbreviations get PostgreSQL's canonical name
        (
            "SELECT EXTRACT(dw FROM x), extract(Y from x), extract(qtr from x), extract(week from x)",
            "SELECT EXTRACT(dow FROM x), extract(year from x), extract(quarter from x), extract(week from x)",
        ),
        ("SELECT extract(fortnight from x) FROM t", "SELECT extract(fortnight from x) FROM t"),
        # r_COUNT.html, r_APPROXIMATE_PERCENTILE_DISC.html
        (
            "SELECT APPROXIMATE COUNT(DISTINCT x), approximate  percentile_disc(.5) within group (order by y)"
            " FROM t",
            "SELECT COUNT(DISTINCT x), percentile_disc(.5) within group (order by y) FROM t",
        ),
        # r_NVL_function.html
        (
            "SELECT NVL(a, b, 0), nvl2(a, b, c), t.nvl FROM t",
            "SELECT COALESCE(a, b, 0), redshift_emulator.nvl2(a, b, c), t.nvl FROM t",
        ),
        # r_SUBSTRING.html
        (
            "SELECT SUBSTRING(x FROM 2 FOR 3), substring(x from 2), SUBSTRING(x, 1, 4) FROM t",
            "SELECT redshift_emulator.substr(x, 2, 3), redshift_emulator.substr(x, 2),"
            " redshift_emulator.substr(x, 1, 4) FROM t",
        ),
        (
            "SELECT substring(x from (SELECT min(a) FROM u) for 2) FROM t",
            "SELECT redshift_emulator.substr(x, (SELECT min(a) FROM u), 2) FROM t",
        ),
        ("SELECT substring(x for 3 from 2) FROM t", "SELECT substring(x for 3 from 2) FROM t"),
        # r_LISTAGG.html, with the page's own examples
        (
            "select listagg(sellerid, ', ') within group (order by sellerid) from sales where eventid = 4337",
            f"select {listagg('array_agg(sellerid order by sellerid)', COMMA_SPACE)} AS listagg from sales"
            " where eventid = 4337",
        ),
        (
            "select listagg(distinct sellerid, ', ') within group (order by sellerid) from sales",
            f"select {listagg('array_agg(DISTINCT sellerid order by sellerid)', COMMA_SPACE)} AS listagg"
            " from sales",
        ),
        (
            "select listagg(sellerid) within group (order by dateid) from winsales",
            f"select {listagg('array_agg(sellerid order by dateid)')} AS listagg from winsales",
        ),
        (
            "select buyerid, listagg(salesid,',') within group (order by salesid) as sales_id from winsales",
            f"select buyerid, {listagg('array_agg(salesid order by salesid)', COMMA)} as sales_id"
            " from winsales",
        ),
        (
            "SELECT LISTAGG(NVL(name, '?'), '|') s, LISTAGG(name) FROM t",
            f"SELECT {listagg(NAMES_OR_QUESTION_MARKS, PIPE)} s, {listagg('array_agg(name)')}"
            " AS listagg FROM t",
        ),
        (
            "SELECT g FROM t GROUP BY g ORDER BY listagg(x) within group (order by x)",
            f"SELECT g FROM t GROUP BY g ORDER BY {listagg('array_agg(x order by x)')}",
        ),
        # r_WF_LISTAGG.html
        (
            "select listagg(a, '|') within group (order by c) over (partition by b) from t",
            "select "
            + listagg(
                "(array_agg(a) OVER (partition by b order by c ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED"
                " FOLLOWING))",
                PIPE,
            )
            + " AS listagg from t",
        ),
        (
            "select listagg(a) over () from t",
            f"select {listagg('(array_agg(a) OVER ())')} AS listagg from t",
        ),
        # comments stay, the line break after a -- comment too
        (
            "SELECT LISTAGG(x, ',') WITHIN -- sorted\n GROUP (ORDER BY x) FROM t",
            f"SELECT {listagg('array_agg(x ORDER BY x)', COMMA)} AS listagg -- sorted\n  FROM t",
        ),
        # r_SET.html, r_search_path.html: the emulator's functions stay on every search_path
        ("SET search_path TO myschema, public;", f"SET search_path TO myschema, public, {SEARCH_PATH_TAIL};"),
        ("set session search_path = 'x'", f"set session search_path = 'x', {SEARCH_PATH_TAIL}"),
        ('SET LOCAL search_path TO "$user"', f'SET LOCAL search_path TO "$user", {SEARCH_PATH_TAIL}'),
        ("SET search_path TO DEFAULT", f'SET search_path TO "$user", public, {SEARCH_PATH_TAIL}'),
        ("RESET search_path", f'SET search_path TO "$user", public, {SEARCH_PATH_TAIL}'),
        ("SET timezone TO 'UTC'", "SET timezone TO 'UTC'"),
        ("SHOW search_path;", f"{SHOW_SEARCH_PATH_SQL};"),
        ("SHOW timezone", "SHOW timezone"),
        ("show all", "show all"),
        # r_CREATE_TABLE_AS.html: table attributes of a CTAS; GRANT ... TO GROUP, CREATE GROUP, END as written
        (
            "CREATE TABLE s.temp_t sortkey(date) AS SELECT 1 AS date",
            "CREATE TABLE s.temp_t AS SELECT 1 AS date",
        ),
        (
            "CREATE TABLE t DISTSTYLE KEY DISTKEY(id) SORTKEY(a,b) AS SELECT 1 AS id, 2 AS a, 3 AS b",
            "CREATE TABLE t AS SELECT 1 AS id, 2 AS a, 3 AS b",
        ),
        ("CREATE TEMP TABLE t DISTKEY(id) AS SELECT 1 AS id", "CREATE TEMP TABLE t AS SELECT 1 AS id"),
        ("CREATE TABLE t (LIKE s.other)", "CREATE TABLE t (LIKE s.other)"),
        ("GRANT SELECT ON s.t TO GROUP analytics_users", "GRANT SELECT ON s.t TO GROUP analytics_users"),
        ("CREATE GROUP analytics_users", "CREATE GROUP analytics_users"),
        ("END", "END"),
    ],
)
def test_dialect(redshift, postgres):
    assert without_declared(rewrite(redshift).sql) == postgres


SHOW_TABLES_COLUMNS = "database_name, schema_name, table_name, table_type, table_acl, remarks"


@pytest.mark.parametrize(
    ("redshift", "expected"),
    [
        # r_SHOW_TABLES.html; the database name may be left out
        (
            "SHOW TABLES FROM SCHEMA dev.raw_data",
            ["WHERE n.nspname = 'raw_data'", "current_database() = 'dev'"],
        ),
        ("show tables from schema Raw_Data", ["WHERE n.nspname = 'raw_data'", "ORDER BY c.relname"]),
        ("SHOW TABLES FROM SCHEMA dev.raw_data LIKE 'n%' LIMIT 5;", ["c.relname LIKE 'n%'", "LIMIT 5;"]),
        # r_SHOW_SCHEMAS.html: never the emulator's own schema
        (
            "SHOW SCHEMAS FROM DATABASE dev",
            ["n.nspname <> 'redshift_emulator'", "current_database() = 'dev'"],
        ),
        ("SHOW SCHEMAS FROM DATABASE dev LIKE 'raw%'", ["n.nspname LIKE 'raw%'"]),
        # r_SHOW_COLUMNS.html; a quoted name keeps its case
        (
            "SHOW COLUMNS FROM TABLE dev.raw_data.\"NPS\" LIKE 's%'",
            ["c.table_schema = 'raw_data' AND c.table_name = 'NPS'", "c.column_name LIKE 's%'"],
        ),
        (
            "SHOW COLUMNS FROM TABLE raw_data.nps LIMIT 2",
            ["c.table_name = 'nps'", "ORDER BY c.ordinal_position LIMIT 2"],
        ),
    ],
)
def test_show_commands_become_queries(redshift, expected):
    sql = rewrite(redshift).sql
    assert sql.startswith("SELECT ")
    for fragment in expected:
        assert fragment in sql


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT TOP 5 a FROM t UNION SELECT b FROM u", "SELECT TOP in a UNION, INTERSECT or EXCEPT"),
        ("SELECT a FROM t UNION ALL SELECT TOP 5 b FROM u", "SELECT TOP in a UNION, INTERSECT or EXCEPT"),
        ("select listagg(distinct a) over (partition by b) from t", "LISTAGG(DISTINCT ...) OVER (...)"),
        ("select listagg(a, ',', 'x') from t", "LISTAGG takes an expression and an optional delimiter"),
        ("SHOW TABLES", "SHOW TABLES FROM SCHEMA database_name.schema_name"),
        ("SHOW TABLES FROM raw_data", "SHOW TABLES FROM SCHEMA database_name.schema_name"),
        ("SHOW COLUMNS FROM TABLE nps", "SHOW COLUMNS FROM TABLE database_name.schema_name.table_name"),
        ("SHOW SCHEMAS FROM DATABASE dev LIKE raw", "SHOW SCHEMAS FROM DATABASE database_name"),
        ("SHOW GRANTS ON TABLE t", "SHOW GRANTS is not supported by the lab's Redshift emulator"),
        ("SHOW DATABASES", "SHOW DATABASES is not supported"),
    ],
)
def test_refused(sql, message):
    with pytest.raises(RedshiftError) as raised:
        rewrite(sql)
    assert message in raised.value.message


def test_statements_without_redshift_syntax_take_the_fast_path():
    sql = "select id, score from raw_data.nps where created_at > now() - interval '1 day'"
    assert rewrite(sql).sql is sql
