"""Redshift's SQL functions through the emulator, over the wire: each case is a statement a learner might copy
from the function's Redshift reference page (r_<NAME>.html, most from the page's own examples) and the
result Redshift gives. Dateparts are quoted here; rewrite.py's tests cover the bare ones it quotes.

https://docs.aws.amazon.com/redshift/latest/dg/c_SQL_functions.html
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import psycopg
import pytest
import redshift_connector

from emulators.redshift.sql.dateparts import DATEPARTS
from emulators.redshift.sql.functions import (
    FUNCTION_SCHEMA,
    SEARCH_PATH_TAIL,
    UNSUPPORTED_FUNCTIONS,
    emulated_signatures,
)
from tests.emulator.wire_helpers import psycopg_connect, redshift_connect, unique

# (statement, the row it returns)
DATE_CASES = [
    # r_DATEADD_function.html
    ("SELECT dateadd('month', 18, '2008-02-28')", (datetime(2009, 8, 28),)),
    ("SELECT dateadd('day', 30, DATE '2008-02-28')", (datetime(2008, 3, 29),)),
    ("SELECT dateadd('month', 1, '2008-01-31')", (datetime(2008, 2, 29),)),
    ("SELECT dateadd('MONS', 1, TIMESTAMP '2024-01-31 10:00:00')", (datetime(2024, 2, 29, 10),)),
    (
        "SELECT dateadd('qtr', -1, '2024-05-15'), dateadd('w', 2, '2024-01-01')",
        (datetime(2024, 2, 15), datetime(2024, 1, 15)),
    ),
    (
        "SELECT dateadd('h', 36, '2024-01-01'), dateadd('ms', 1500, '2024-01-01')",
        (datetime(2024, 1, 2, 12), datetime(2024, 1, 1, 0, 0, 1, 500000)),
    ),
    ("SELECT pg_typeof(dateadd('day', 1, DATE '2024-01-01'))::text", ("timestamp without time zone",)),
    # r_DATEDIFF_function.html: boundaries crossed, not whole units elapsed
    ("SELECT datediff('week', '2009-01-01', '2009-12-31')", (52,)),
    ("SELECT datediff('hour', '2023-01-01', '2023-01-03 05:04:03')", (53,)),
    ("SELECT datediff('days', 'Jun 1,2008 09:59:59 EST', 'Jul 4,2008 09:59:59 EST')", (33,)),
    ("SELECT datediff('year', DATE '2008-12-31', DATE '2009-01-01')", (1,)),
    (
        "SELECT datediff('week', '2024-01-07', '2024-01-08'), datediff('week', '2024-01-08', '2024-01-14')",
        (1, 0),
    ),
    (
        "SELECT datediff('qtr', '2023-12-31', '2024-04-01'), datediff('mon', '2024-03-01', '2024-01-31')",
        (2, -2),
    ),
    ("SELECT datediff('minute', TIMESTAMP '2024-01-01 10:59:59', TIMESTAMP '2024-01-01 11:00:00')", (1,)),
    ("SELECT pg_typeof(datediff('day', '2024-01-01', '2024-01-02'))::text", ("bigint",)),
    # r_DATE_PART_function.html
    ("SELECT date_part('minute', TIMESTAMP '2009-01-01 02:08:01')", (8.0,)),
    ("SELECT date_part('dow', DATE '2024-01-07'), date_part('DW', TIMESTAMP '2024-01-08 10:00')", (0.0, 1.0)),
    ("SELECT date_part('qtr', DATE '2024-05-01'), date_part('y', '2024-05-01'::timestamp)", (2.0, 2024.0)),
    # r_DATE_TRUNC.html: weeks start on Monday; a date gives a timestamp
    ("SELECT date_trunc('week', TIMESTAMP '20200430 04:05:06.789')", (datetime(2020, 4, 27),)),
    (
        "SELECT date_trunc('qtr', '2020-05-30'), date_trunc('mon', DATE '2020-05-30')",
        (datetime(2020, 4, 1), datetime(2020, 5, 1)),
    ),
    ("SELECT pg_typeof(date_trunc('week', DATE '2024-01-10'))::text", ("timestamp without time zone",)),
    # r_ADD_MONTHS.html: month ends stay month ends
    (
        "SELECT add_months('2008-03-31', 1), add_months('2008-04-30', 1)",
        (datetime(2008, 4, 30), datetime(2008, 5, 31)),
    ),
    ("SELECT add_months('2008-01-01 05:07:30', 1)", (datetime(2008, 2, 1, 5, 7, 30),)),
    (
        "SELECT add_months(DATE '2024-02-29', 12), add_months(DATE '2024-01-15', -1)",
        (datetime(2025, 2, 28), datetime(2023, 12, 15)),
    ),
    # r_LAST_DAY.html, r_TRUNC_date.html, r_MONTHS_BETWEEN_function.html
    (
        "SELECT last_day('2024-02-10'), last_day(TIMESTAMP '2023-02-10 10:00')",
        (date(2024, 2, 29), date(2023, 2, 28)),
    ),
    ("SELECT trunc(TIMESTAMP '2011-07-21 10:32:38.248109')", (date(2011, 7, 21),)),
    ("SELECT months_between('1969-03-18', '1969-01-28')", (1.6774193548387097,)),
    (
        "SELECT months_between('2024-03-31', '2024-02-29'), months_between('2024-01-15', '2024-03-15')",
        (1.0, -2.0),
    ),
    # CONVERT_TIMEZONE.html: from UTC when only the target is given
    ("SELECT convert_timezone('Asia/Seoul', '2024-01-01 00:00:00')", (datetime(2024, 1, 1, 9),)),
    ("SELECT convert_timezone('EST', 'PST', '20080305 12:25:29')", (datetime(2008, 3, 5, 9, 25, 29),)),
    (
        "SELECT convert_timezone('UTC', 'Asia/Seoul', TIMESTAMP '2024-06-30 20:00:00')",
        (datetime(2024, 7, 1, 5),),
    ),
    # r_DATE_CMP.html, r_TIMESTAMP_CMP.html, r_DATE_PART_YEAR.html
    ("SELECT date_cmp('2008-01-01', '2008-01-04'), timestamp_cmp('2008-01-04', '2008-01-04')", (-1, 0)),
    ("SELECT date_cmp(DATE '2008-01-05', NULL), date_part_year(DATE '2024-03-01')", (None, 2024)),
    # timestamps and dates compared with string literals (r_Date_and_time_literals.html)
    (
        "SELECT TIMESTAMP '2024-01-01 10:00' > '2024-01-01',"
        " DATE '2024-01-02' BETWEEN '2024-01-01' AND '2024-01-31'",
        (True, True),
    ),
]

CONDITIONAL_CASES = [
    # r_NVL2.html
    (
        "SELECT nvl2('x', 'has a value', 'is null'), nvl2(NULL::int, 'has a value', 'is null')",
        ("has a value", "is null"),
    ),
    ("SELECT nvl2(NULL::text, 1, 2) + 1", (3,)),
    # r_DECODE_expression.html: a NULL search matches a NULL expression
    (
        "SELECT decode(catname, 'NHL', 'National Hockey League', 'MLB', 'Major League Baseball', 'Unknown')"
        " FROM (VALUES ('MLB'), ('NHL'), ('XFL')) AS category(catname)",
        [("Major League Baseball",), ("National Hockey League",), ("Unknown",)],
    ),
    (
        "SELECT decode(NULL::text, NULL, 'both null', 'other'), decode(2, 1, 'one', 2, 'two')",
        ("both null", "two"),
    ),
    (
        "SELECT decode(10::smallint, 9, 'promoter', 10, 'promoter', 'other'), decode('x', 'y', 1, 0)",
        ("promoter", 0),
    ),
    (
        "SELECT decode(DATE '2008-06-01', '2008-06-01', 'June 1st, 2008'), decode(3, 1, 'one')",
        ("June 1st, 2008", None),
    ),
    ("SELECT decode('aGk=', 'base64')", (b"hi",)),  # PostgreSQL's own decode(text, format) stays
    # r_NULLIF_function.html, r_COALESCE.html: PostgreSQL's own
    ("SELECT nullif('a', 'a'), nullif(1, 2), coalesce(NULL, NULL, 3)", (None, 1, 3)),
]

STRING_CASES = [
    # Redshift converts timestamps, dates and numbers to text for string functions (r_Type_conversion.html)
    (
        "SELECT left(TIMESTAMP '2024-01-01 10:00:00', 10), right(TIMESTAMP '2024-01-01 10:00:00', 8)",
        ("2024-01-01", "10:00:00"),
    ),
    (
        "SELECT substr(TIMESTAMP '2024-01-01 10:00:00.5', 12), substr(DATE '2024-03-09', 6, 2)",
        ("10:00:00.5", "03"),
    ),
    ("SELECT left(123456, 3), right(12.50, 3), len(12345), len(DATE '2024-01-01')", ("123", ".50", 5, 10)),
    ("SELECT 'day ' || DATE '2024-01-01', 'n=' || 5", ("day 2024-01-01", "n=5")),
    ("SELECT left('abcdef', 2), substr('abcdef', 2, 2)", ("ab", "bc")),
    # r_LEN.html, r_CHARINDEX.html, r_STRPOS.html
    ("SELECT len('français'), len('abc  ')", (8, 5)),
    ("SELECT charindex('dog', 'fish'), charindex('fish', 'dogfish')", (0, 4)),
    (
        "SELECT strpos('dogfish', 'fish'), strpos(DATE '2024-01-01', '-'),"
        " charindex(':', TIMESTAMP '2024-01-01 10:00')",
        (4, 5, 14),
    ),
    # r_SPLIT_PART.html
    ("SELECT split_part('2024-01-02', '-', 2), split_part('abc', ',', 2)", ("01", "")),
    # REGEXP_REPLACE.html: every match; the replacement defaults to ''; position; parameters
    (
        "SELECT regexp_replace('aaa', 'a', 'b'), regexp_replace('john@example.com', '@.*\\.(org|gov|com)$')",
        ("bbb", "john"),
    ),
    (
        "SELECT regexp_replace('abcABC', 'b', 'x', 3, 'i'), regexp_replace('abcabc', 'b', 'x', 3)",
        ("abcAxC", "abcaxc"),
    ),
    # REGEXP_COUNT.html, REGEXP_SUBSTR.html, REGEXP_INSTR.html: PostgreSQL's own match Redshift's
    ("SELECT regexp_count('abcabc', 'b'), regexp_count('ABCabc', 'b', 1, 'i')", (2, 2)),
    ("SELECT regexp_substr('Hello world', 'w\\w+'), regexp_instr('hello world', 'o', 1, 2)", ("world", 8)),
    # JSON_EXTRACT_PATH_TEXT.html, JSON_EXTRACT_ARRAY_ELEMENT_TEXT.html, JSON_ARRAY_LENGTH.html
    (
        """SELECT json_extract_path_text('{"f2":{"f3":1},"f4":{"f5":99,"f6":"star"}}', 'f4', 'f6')""",
        ("star",),
    ),
    (
        "SELECT json_extract_array_element_text('[111,112,113]', 2),"
        " json_array_length('[11,12,13,{\"f1\":21}]')",
        ("113", 4),
    ),
]

NUMBER_CASES = [
    # r_ROUND.html: double precision stays double precision, halves away from zero
    (
        "SELECT round(1234.567::float8, 2), round(2.5::float8), round(-2.5::float8),"
        " round(1234.5::float8, -2)",
        (1234.57, 3.0, -3.0, 1200.0),
    ),
    ("SELECT pg_typeof(round(1.0::float8, 2))::text, round(2.345, 2)", ("double precision", Decimal("2.35"))),
    # r_AVG.html: an integer average is a truncated BIGINT
    ("SELECT avg(x), pg_typeof(avg(x))::text FROM (VALUES (10), (9), (3)) AS v(x)", (7, "bigint")),
    (
        "SELECT avg(x), avg(x::smallint), avg(-x::bigint), avg(x::numeric)"
        " FROM (VALUES (10), (9), (4)) AS v(x)",
        (7, 7, -7, Decimal("7.6666666666666667")),
    ),
    ("SELECT avg(x) FROM (VALUES (NULL::int)) AS v(x)", (None,)),
    (
        "SELECT d, avg(x) OVER w, sum(x::bigint) OVER w"
        " FROM (VALUES (1, 10), (2, 9), (3, 4), (4, NULL), (5, NULL)) AS v(d, x)"
        " WINDOW w AS (ORDER BY d ROWS 1 PRECEDING) ORDER BY d",
        [(1, 10, 10), (2, 9, 19), (3, 6, 13), (4, 4, 4), (5, None, None)],
    ),
    # r_SUM.html: SMALLINT, INTEGER and BIGINT sums are BIGINT
    (
        "SELECT sum(x::bigint), pg_typeof(sum(x::bigint))::text, pg_typeof(sum(x::smallint))::text"
        " FROM (VALUES (1), (2)) AS v(x)",
        (3, "bigint", "bigint"),
    ),
    # r_MEDIAN.html: integers give DECIMAL, floats DOUBLE PRECISION, dates DATE
    (
        "SELECT median(x), pg_typeof(median(x))::text, median(x::float8)"
        " FROM (VALUES (10), (25), (30), (15)) AS v(x)",
        (Decimal("20"), "numeric", 20.0),
    ),
    ("SELECT median(x) FROM (VALUES (10), (25), (NULL)) AS v(x)", (Decimal("17.5"),)),
    (
        "SELECT median(d)"
        " FROM (VALUES (DATE '2024-01-01'), (DATE '2024-01-05'), (DATE '2024-01-31')) AS v(d)",
        (date(2024, 1, 5),),
    ),
    (
        "SELECT s, median(q) OVER (PARTITION BY s)"
        " FROM (VALUES (3, 10), (3, 15), (3, 20), (1, 10)) AS w(s, q) ORDER BY s, q",
        [(1, Decimal("10")), (3, Decimal("15")), (3, Decimal("15")), (3, Decimal("15"))],
    ),
    # r_PERCENTILE_CONT.html: PostgreSQL's own
    (
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM (VALUES (1), (2), (3), (4)) AS v(x)",
        (2.5,),
    ),
    # r_Numeric_computations201.html: integer division truncates toward zero
    ("SELECT 7 / 2, -7 / 2, 7::float / 2, 100 * 3 / 7", (3, -3, 3.5, 42)),
]


@pytest.fixture(scope="module")
def conn(redshift_emulator):
    conn = psycopg_connect(redshift_emulator)
    yield conn
    conn.close()


def one_or_all(cur: psycopg.Cursor, expected):
    return cur.fetchall() if isinstance(expected, list) else cur.fetchone()


@pytest.mark.parametrize(("sql", "expected"), DATE_CASES + CONDITIONAL_CASES + STRING_CASES + NUMBER_CASES)
def test_redshift_function(conn, sql, expected):
    with conn.cursor() as cur:
        cur.execute(sql)
        assert one_or_all(cur, expected) == expected


def test_the_course_summary_sql_runs_as_on_a_cluster(redshift_emulator):
    """The issue's own example: the course's nps_summary SQL, through the driver Airflow uses."""
    table = unique("nps")
    conn = redshift_connect(redshift_emulator)
    cursor = conn.cursor()
    try:
        cursor.execute(f"CREATE TABLE {table} (id INT, created_at timestamp, score smallint)")
        cursor.execute(
            f"INSERT INTO {table} VALUES (1, '2024-01-01 10:00:00', 9), (2, '2024-01-01 11:30:00', 3),"
            " (3, '2024-01-01 12:00:00', 10), (4, '2024-01-02 09:00:00', 7)"
        )
        cursor.execute(
            "SELECT LEFT(created_at, 10) AS date,"
            " ROUND(SUM(CASE WHEN score >= 9 THEN 1 WHEN score <= 6 THEN -1 END)::float*100/COUNT(1), 2)"
            " AS nps,"
            f" AVG(score) FROM {table} GROUP BY 1 ORDER BY 1"
        )
        assert [tuple(row) for row in cursor.fetchall()] == [
            ("2024-01-01", 33.33, 7),
            ("2024-01-02", None, 7),
        ]
    finally:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        conn.close()


def test_every_redshift_spelling_of_a_datepart_is_read(conn):
    """r_Dateparts_for_datetime_functions.html: any spelling, in any case, with blanks around it."""
    rows = conn.execute(
        f"SELECT s, {FUNCTION_SCHEMA}._datepart('test', ' ' || upper(s) || ' ') FROM unnest(%s::text[]) AS s",
        (list(DATEPARTS),),
    ).fetchall()
    assert dict(rows) == DATEPARTS


def test_the_functions_are_inlined_into_the_statement_not_called_per_row(conn):
    """PostgreSQL inlines a SQL function whose body it can see through (and folds a constant datepart);
    a function it must call for each row is two hundred times slower on a large table."""
    plan = conn.execute(
        "EXPLAIN VERBOSE SELECT datediff('week', d, d + interval '9 days'), dateadd('day', 1, d),"
        " date_part('dow', d), left(d, 10), decode(d::date, '2024-01-01', 'first', 'other')"
        " FROM generate_series(TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-31', interval '1 hour') AS d"
    ).fetchall()
    calls = [name for name in ("datediff", "dateadd", "_datepart", "_text", "decode") if name in str(plan)]
    assert calls == []


def test_no_function_is_both_emulated_and_refused():
    assert not UNSUPPORTED_FUNCTIONS & emulated_signatures().keys()


def test_a_wrong_datepart_names_the_function_and_the_datepart(conn):
    with pytest.raises(psycopg.errors.InvalidParameterValue) as refused:
        conn.execute("SELECT dateadd('fortnight', 1, DATE '2024-01-01')")
    diag = refused.value.diag
    assert diag.message_primary == 'dateadd: unsupported datepart "fortnight"'
    assert "r_Dateparts_for_datetime_functions.html" in diag.message_hint
    assert diag.context is None, "not the library's inner functions"
    with pytest.raises(psycopg.errors.InvalidParameterValue, match='datediff: unsupported datepart "dow"'):
        conn.execute("SELECT datediff('dow', DATE '2024-01-01', DATE '2024-01-02')")


def test_an_unsupported_redshift_function_is_refused_by_name(conn):
    with pytest.raises(psycopg.errors.FeatureNotSupported) as refused:
        conn.execute("SELECT strtol('ff', 16)")
    diag = refused.value.diag
    assert (
        diag.message_primary
        == "STRTOL is a Redshift function that the lab's Redshift emulator does not support"
    )
    assert "cast" not in (diag.message_hint or "")
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="RATIO_TO_REPORT is a Redshift function"):
        conn.execute("SELECT ratio_to_report(x) OVER () FROM (VALUES (1), (3)) AS v(x)")


def test_wrong_arguments_to_an_emulated_function_name_what_it_takes(conn):
    with pytest.raises(psycopg.errors.UndefinedFunction) as refused:
        conn.execute("SELECT dateadd('day', 1.5, DATE '2024-01-01')")
    diag = refused.value.diag
    assert diag.message_primary == "dateadd(unknown, numeric, date): no form of DATEADD takes these arguments"
    assert "dateadd(text, bigint, date)" in diag.message_detail
    assert diag.message_hint is None, "no 'add explicit type casts' hint"
    with pytest.raises(psycopg.errors.UndefinedFunction, match="no form of LEFT"):
        conn.execute("SELECT left(true, 1)")


def test_an_unknown_function_keeps_its_message_without_the_cast_hint(conn):
    with pytest.raises(psycopg.errors.UndefinedFunction) as refused:
        conn.execute("SELECT no_such_function(1)")
    diag = refused.value.diag
    assert diag.message_primary == "function no_such_function(integer) does not exist"
    assert diag.message_hint is None
    assert "README" in diag.message_detail


def test_the_transaction_stays_usable_after_a_refused_function(redshift_emulator):
    with psycopg_connect(redshift_emulator, autocommit=False) as conn:
        with pytest.raises(psycopg.errors.FeatureNotSupported):
            conn.execute("SELECT fnv_hash('x')")
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("SELECT 1")
        conn.rollback()
        assert conn.execute("SELECT dateadd('day', 1, '2024-01-01')").fetchone() == (datetime(2024, 1, 2),)
        with pytest.raises(psycopg.errors.UndefinedFunction):
            conn.execute("SELECT dateadd('day')")
        conn.rollback()
        assert conn.execute("SELECT len('abc')").fetchone() == (3,)


def test_the_driver_airflow_uses_gets_the_same_refusal_and_goes_on(redshift_emulator):
    """redshift_connector speaks the extended protocol: the refusal comes at Parse."""
    conn = redshift_connect(redshift_emulator)
    cursor = conn.cursor()
    try:
        with pytest.raises(redshift_connector.ProgrammingError, match="STRTOL is a Redshift function"):
            cursor.execute("SELECT strtol('ff', 16)")
        cursor.execute("SELECT len('abc')")
        assert cursor.fetchone() == [3]
    finally:
        conn.close()


def test_the_functions_are_there_for_the_first_statement_of_a_session(redshift_emulator):
    """The library is installed and on the search path before the client's first ReadyForQuery."""
    with psycopg_connect(redshift_emulator) as conn:
        assert conn.execute("SELECT datediff('day', '2024-01-01', '2024-03-01')").fetchone() == (60,)
        path = conn.execute("SELECT current_setting('search_path')").fetchone()[0]
    assert path.endswith(SEARCH_PATH_TAIL), path


@pytest.fixture
def role_with_defaults(redshift_emulator, warehouse):
    """A login that is not a superuser, whose search path defaults to a schema of its own in this database."""
    role = f"learner_{uuid.uuid4().hex[:8]}"
    with warehouse.cursor() as cur:
        cur.execute(f"CREATE ROLE {role} LOGIN")
        cur.execute(f"CREATE SCHEMA {role} AUTHORIZATION {role}")
        cur.execute(f'ALTER ROLE {role} IN DATABASE "{redshift_emulator.database}" SET search_path = {role}')
    yield role
    with warehouse.cursor() as cur:
        cur.execute(f"DROP SCHEMA {role} CASCADE")
        cur.execute(f'ALTER ROLE {role} IN DATABASE "{redshift_emulator.database}" RESET ALL')
        cur.execute(f"DROP ROLE {role}")


def test_the_search_path_keeps_the_role_default_before_the_functions(redshift_emulator, role_with_defaults):
    """The role's default schema comes first, so an unqualified CREATE TABLE lands there (never in the
    emulator's schema), and the functions still win over pg_catalog's; this login may not set
    session_replication_role, which must not cost it the search path."""
    role = role_with_defaults
    login = type(redshift_emulator)(**{**vars(redshift_emulator), "user": role, "password": ""})
    with psycopg_connect(login) as conn:
        path = conn.execute("SELECT current_setting('search_path')").fetchone()
        assert path == (f"{role}, {SEARCH_PATH_TAIL}",)
        conn.execute("CREATE TABLE scores (score smallint)")
        conn.execute("INSERT INTO scores VALUES (10), (9), (3)")
        assert conn.execute("SELECT avg(score) FROM scores").fetchone() == (7,)
        where = conn.execute("SELECT relnamespace::regnamespace::text FROM pg_class WHERE relname = 'scores'")
        assert where.fetchone() == (role,)
        assert conn.execute("SELECT count(*) FROM sys_query_history WHERE false").fetchone() == (0,)
        listed = conn.execute('SELECT "table", tbl_rows FROM svv_table_info WHERE schema = %s', (role,))
        assert listed.fetchall() == [("scores", 3)]


def test_the_system_tables_are_not_in_public(redshift_emulator, warehouse):
    with psycopg_connect(redshift_emulator) as conn:
        conn.execute("SELECT 1")
    with warehouse.cursor() as cur:
        cur.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_name IN ('stl_load_errors', 'sys_query_history', 'stl_query') ORDER BY 2"
        )
        assert cur.fetchall() == [
            (FUNCTION_SCHEMA, "stl_load_errors"),
            (FUNCTION_SCHEMA, "stl_query"),
            (FUNCTION_SCHEMA, "sys_query_history"),
        ]
