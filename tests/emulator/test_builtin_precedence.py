"""Built-ins win over any user's functions, as on Redshift, while unqualified CREATEs land where they did.

udf-naming-udfs.html: "Amazon Redshift searches the pg_catalog schema first by default", so a built-in runs
before a UDF of the same name and arguments in public or a user's schema; r_search_path.html: pg_catalog is
searched before the path's schemas unless the path names it. The emulator's Redshift functions (schema
redshift_emulator) are Redshift's built-ins too: no user's function of the same name answers in their place.
New objects still go to the first schema of the path: the learner's own schema if there is one, else public.
"""

from __future__ import annotations

import dataclasses
import datetime
import uuid

import pytest

from emulators.redshift.sql.rewrite import rewrite
from tests.emulator.wire_helpers import direct, psycopg2_connect

# Redshift SQL -> what PostgreSQL receives: each call of one of the emulator's functions qualified with its
# schema; what names a table, a function being defined or dropped, a CTE or an alias is left as written.
E = "redshift_emulator."
QUALIFIED = [
    ("SELECT len(x), LEFT(x, 2), upper(x) FROM t", f"SELECT {E}len(x), {E}LEFT(x, 2), upper(x) FROM t"),
    ('SELECT "len"(x), "LEN"(x)', f'SELECT {E}"len"(x), "LEN"(x)'),
    ("SELECT avg(a) OVER (PARTITION BY b), sum (c)", f"SELECT {E}avg(a) OVER (PARTITION BY b), {E}sum (c)"),
    ("SELECT substring(x from 2)", f"SELECT {E}substr(x, 2)"),  # dialect.py's substr, qualified too
    ("SELECT TOP 3 len(x) FROM t", f"SELECT {E}len(x) FROM t LIMIT 3"),
    ("SELECT * FROM t JOIN u ON len(t.a) = u.b", f"SELECT * FROM t JOIN u ON {E}len(t.a) = u.b"),
    ("CREATE VIEW v AS SELECT round(x, 2) FROM t", f"CREATE VIEW v AS SELECT {E}round(x, 2) FROM t"),
    ("INSERT INTO len (a) SELECT len(b) FROM t", f"INSERT INTO len (a) SELECT {E}len(b) FROM t"),
    # the system tables and views, where FROM or JOIN reads them
    ("SELECT * FROM stl_load_errors", f"SELECT * FROM {E}stl_load_errors"),
    ("SELECT 1 FROM t JOIN stl_query ON 1 = 1, x", f"SELECT 1 FROM t JOIN {E}stl_query ON 1 = 1, x"),
    ("SELECT 1 FROM t JOIN u ON true, svv_columns", f"SELECT 1 FROM t JOIN u ON true, {E}svv_columns"),
    ("SELECT * FROM pg_catalog.pg_table_def", f"SELECT * FROM {E}pg_table_def"),  # catalog_queries.py
]  # fmt: skip
LEFT_AS_WRITTEN = [
    "SELECT s.len(x), t.len FROM t",
    "CREATE TABLE len (a int)",
    "CREATE TABLE IF NOT EXISTS len (a int)",
    "COPY len (a) FROM STDIN",
    "CREATE INDEX ON len (a)",
    "CREATE FUNCTION len(integer) RETURNS int LANGUAGE sql AS $$ SELECT len('x') $$",
    # a learner's function named like one of Redshift's: the bare datepart rule leaves its types alone too
    "CREATE FUNCTION datediff(text, date, date) RETURNS int",
    "DROP FUNCTION len(integer), left(integer)",
    "WITH len (a) AS (SELECT 1), b AS (SELECT 2) SELECT * FROM len",
    "WITH a AS (SELECT 1), len (x) AS (SELECT 2) SELECT 1",
    "SELECT * FROM generate_series(1, 2) AS len(a)",
    "WITH stl_query AS (SELECT 1) SELECT * FROM stl_query",
    "CREATE TABLE stl_query (a int)",
    "SELECT a, stl_query FROM t",
]


@pytest.mark.parametrize(("redshift", "postgres"), QUALIFIED, ids=[sql for sql, _ in QUALIFIED])
def test_calls_of_the_emulators_functions_are_qualified(redshift, postgres):
    assert rewrite(redshift).sql == postgres


@pytest.mark.parametrize("sql", LEFT_AS_WRITTEN)
def test_names_that_are_not_calls_are_left_as_written(sql):
    assert rewrite(sql).sql == sql


# What another user puts in public, each shadowing a built-in of the same name and arguments.
HIJACKS = """
CREATE FUNCTION public.upper(text) RETURNS text LANGUAGE sql AS $$ SELECT 'hijacked' $$;
CREATE FUNCTION public.len(text) RETURNS integer LANGUAGE sql AS $$ SELECT -1 $$;
CREATE FUNCTION public.dateadd(text, bigint, timestamp) RETURNS timestamp
    LANGUAGE sql AS $$ SELECT timestamp '1999-01-01' $$;
CREATE FUNCTION public.nvl2(integer, integer, integer) RETURNS integer LANGUAGE sql AS $$ SELECT -1 $$;
CREATE FUNCTION public.left(text, integer) RETURNS text LANGUAGE sql AS $$ SELECT 'hijacked' $$;
CREATE FUNCTION public.left(timestamp, integer) RETURNS text LANGUAGE sql AS $$ SELECT 'hijacked' $$;
CREATE FUNCTION public.regexp_replace(text, text, text) RETURNS text LANGUAGE sql AS $$ SELECT 'hijacked' $$;
CREATE AGGREGATE public.avg(integer) (SFUNC = int4larger, STYPE = integer);
CREATE AGGREGATE public.sum(numeric) (SFUNC = numeric_larger, STYPE = numeric);
CREATE FUNCTION public.never(integer, integer) RETURNS boolean LANGUAGE sql AS $$ SELECT false $$;
CREATE OPERATOR public.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = public.never);
CREATE VIEW public.stl_query AS SELECT 'hijacked'::text AS querytxt;
"""


@pytest.fixture(scope="module")
def users(redshift_emulator, warehouse_url):
    """Three regular logins: a learner with a schema of their own ("$user"), one without (so public), and
    another user who may create in public. Everything they made is dropped after."""
    names = {role: f"h_hijack_{role}_{uuid.uuid4().hex[:6]}" for role in ("learner", "plain", "other")}
    conn = direct(warehouse_url)
    with conn.cursor() as cur:
        for name in names.values():
            cur.execute(f"CREATE ROLE {name} LOGIN")
        cur.execute(f"CREATE SCHEMA {names['learner']} AUTHORIZATION {names['learner']}")
        cur.execute(f"GRANT CREATE ON SCHEMA public TO {names['plain']}, {names['other']}")
    try:
        yield {
            role: dataclasses.replace(redshift_emulator, user=name, password="")
            for role, name in names.items()
        }
    finally:
        with conn.cursor() as cur:
            for name in names.values():
                cur.execute(f"REVOKE CREATE ON SCHEMA public FROM {name}")
                cur.execute(f"DROP OWNED BY {name} CASCADE; DROP ROLE {name}")
        conn.close()


@pytest.fixture(scope="module")
def hijacked(users):
    """The other user's functions and operator in public, made through the emulator."""
    run(users["other"], HIJACKS)
    return users


def run(emulator, sql: str) -> list[tuple]:
    conn = psycopg2_connect(emulator)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def one(emulator, sql: str):
    return run(emulator, sql)[0][0]


# (a learner's query, what Redshift's built-in answers): none of them the other user's answer.
BUILT_INS = [
    ("SELECT upper('abc')", "ABC"),  # pg_catalog's
    ("SELECT len('abc')", 3),  # the emulator's only
    ("SELECT dateadd(day, 1, timestamp '2024-01-31')", datetime.datetime(2024, 2, 1)),
    ("SELECT nvl2(1, 2, 3)", 2),
    ("SELECT left('abcdef', 2)", "ab"),  # pg_catalog's form of a name the emulator has too
    ("SELECT left(timestamp '2024-01-02 03:04:05', 10)", "2024-01-02"),  # the emulator's form
    ("SELECT regexp_replace('aaa', 'a', 'b')", "bbb"),  # the emulator's: every match
    ("SELECT avg(x) FROM (VALUES (10), (9), (3)) AS v(x)", 7),  # the emulator's: a truncated BIGINT
    ("SELECT sum(x) FROM (VALUES (1.5), (2.25)) AS v(x)", 3.75),  # pg_catalog's sum(numeric)
    ("SELECT 1 = 1", True),  # pg_catalog's operator
    ("SELECT count(*) FROM stl_query WHERE querytxt = 'hijacked'", 0),  # the emulator's system view
]


@pytest.mark.parametrize(("sql", "expected"), BUILT_INS, ids=[sql for sql, _ in BUILT_INS])
def test_another_users_function_in_public_never_answers_for_a_built_in(hijacked, sql, expected):
    assert one(hijacked["learner"], sql) == expected
    assert one(hijacked["plain"], sql) == expected  # public first on this one's path


def test_the_learners_own_schema_cannot_shadow_a_built_in_and_their_own_functions_resolve(users):
    learner = users["learner"]
    conn = psycopg2_connect(learner)
    with conn.cursor() as cur:
        cur.execute("CREATE FUNCTION lower(text) RETURNS text LANGUAGE sql AS $$ SELECT 'mine' $$")
        cur.execute(
            "CREATE FUNCTION datediff(text, date, date) RETURNS bigint LANGUAGE sql AS $$ SELECT -1 $$"
        )
        cur.execute("CREATE FUNCTION f_double(integer) RETURNS integer LANGUAGE sql AS $$ SELECT $1 * 2 $$")
        cur.execute("SELECT lower('ABC'), datediff(day, date '2024-01-01', date '2024-01-03'), f_double(21)")
        assert cur.fetchone() == ("abc", 2, 42)
        cur.execute(f"SELECT {learner.user}.lower('ABC')")  # still reachable, qualified
        assert cur.fetchone() == ("mine",)
    conn.close()


CREATES = [
    ("CREATE TABLE {n}_t (a int)", "{n}_t", "r"),
    ("CREATE TABLE {n}_ctas AS SELECT 1 AS a", "{n}_ctas", "r"),
    ("SELECT 1 AS a INTO {n}_into", "{n}_into", "r"),
    ("CREATE VIEW {n}_v AS SELECT upper('a') AS a", "{n}_v", "v"),
    ("CREATE FUNCTION {n}_f(integer) RETURNS integer LANGUAGE sql AS $$ SELECT $1 $$", "{n}_f", "f"),
    # a table named like one of the emulator's functions, with a column list
    ("CREATE TABLE len (a int); INSERT INTO len (a) VALUES (1)", "len", "r"),
]
WHERE_CREATED = """
SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname = %(name)s AND c.relkind = %(kind)s AND pg_get_userbyid(c.relowner) = %(user)s
UNION ALL
SELECT n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.proname = %(name)s AND %(kind)s = 'f' AND pg_get_userbyid(p.proowner) = %(user)s
"""


@pytest.mark.parametrize(("sql", "name", "kind"), CREATES, ids=[sql.split(" {")[0] for sql, _, _ in CREATES])
@pytest.mark.parametrize("who", ["learner", "plain"])
def test_unqualified_creates_land_in_the_users_schema_or_public(users, warehouse_url, who, sql, name, kind):
    user = users[who]
    prefix = f"h_hijack_{uuid.uuid4().hex[:6]}"
    run(user, sql.format(n=prefix))
    conn = direct(warehouse_url)
    with conn.cursor() as cur:
        cur.execute(WHERE_CREATED, {"name": name.format(n=prefix), "kind": kind, "user": user.user})
        where = [row[0] for row in cur.fetchall()]
        if name == "len":
            cur.execute(f'DROP TABLE "{where[0]}".len')
    conn.close()
    assert where == [user.user if who == "learner" else "public"]
