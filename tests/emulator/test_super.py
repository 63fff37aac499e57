"""Redshift's SUPER type through the emulator, over the wire: each case is a statement from its Redshift
reference page (r_<NAME>.html and the pages on querying semi-structured data) and the result Redshift gives.
SUPER values come back as psycopg reads jsonb (Python lists, dicts, strings, numbers); JSON_SERIALIZE's text
is Redshift's own.

https://docs.aws.amazon.com/redshift/latest/dg/r_SUPER_type.html
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import psycopg
import pytest

from emulators.redshift.sql.rewrite import rewrite
from tests.emulator.wire_helpers import psycopg_connect, redshift_connect, unique

# (statement, the row it returns)
FUNCTION_CASES = [
    # JSON_PARSE.html, JSON_SERIALIZE.html: Redshift writes JSON without blanks
    ("""SELECT JSON_PARSE('[10001,10002,"abc"]')""", ([10001, 10002, "abc"],)),
    ("""SELECT JSON_SERIALIZE(JSON_PARSE('[10001,10002,"abc"]'))""", ('[10001,10002,"abc"]',)),
    (
        """SELECT JSON_SERIALIZE(JSON_PARSE('{"a": "x, y: z", "b": [1, 2.50, null, true]}'))""",
        ('{"a":"x, y: z","b":[1,2.50,null,true]}',),
    ),
    ("""SELECT JSON_TYPEOF(JSON_PARSE('[10001,10002,"abc"]'))""", ("array",)),
    # r_json_size.html: bytes, not characters
    ("""SELECT JSON_SIZE(JSON_PARSE('[10001,10002,"⬤"]'))""", (19,)),
    # CAN_JSON_PARSE.html, IS_VALID_JSON.html, IS_VALID_JSON_ARRAY.html
    ("""SELECT CAN_JSON_PARSE('[10001,10002,"abc"]'), CAN_JSON_PARSE('{{}}')""", (True, False)),
    (
        """SELECT is_valid_json('{"a":2}'), is_valid_json('{"a":{"b":{"c":1}}}'),
                  is_valid_json('{"a": [1,2,"b"]}'), is_valid_json('{{}}'), is_valid_json('{1:"a"}'),
                  is_valid_json('[1,2,3]')""",
        (True, True, True, False, False, False),
    ),
    (
        """SELECT is_valid_json_array('[]'), is_valid_json_array('["a","b"]'), is_valid_json_array('[1,2,3]'),
                  is_valid_json_array('[1,2'), is_valid_json_array('{"a":1}')""",
        (True, True, True, False, False),
    ),
    # r_array.html, r_json_typeof.html, get_array_length.html
    ("SELECT ARRAY(1, 2, 3)", ([1, 2, 3],)),
    ("SELECT JSON_SERIALIZE(ARRAY(1, 'abc', true, 3.14))", ('[1,"abc",true,3.14]',)),
    ("SELECT JSON_TYPEOF(ARRAY(1,2))", ("array",)),
    ("""SELECT JSON_TYPEOF(JSON_PARSE('{"name":"Joe"}'))""", ("object",)),
    ("SELECT GET_ARRAY_LENGTH(ARRAY(1,2,3,4,5,6,7,8,9,10))", (10,)),
    ("SELECT GET_ARRAY_LENGTH(JSON_PARSE('{\"a\": 1}'))", (None,)),
    # r_array_concat.html, r_subarray.html, split_to_array.html
    ("SELECT ARRAY_CONCAT(ARRAY(10001,10002),ARRAY(10003,10004))", ([10001, 10002, 10003, 10004],)),
    ("SELECT SUBARRAY(ARRAY('a', 'b', 'c', 'd', 'e', 'f'), 2, 3)", (["c", "d", "e"],)),
    ("SELECT SUBARRAY(ARRAY('a', 'b'), 1, 5)", (["b"],)),
    ("SELECT SPLIT_TO_ARRAY('12|345|6789', '|')", (["12", "345", "6789"],)),
    ("SELECT SPLIT_TO_ARRAY('a,b')", (["a", "b"],)),
    # r_is_array.html ... r_is_char.html: false for NULL
    (
        """SELECT is_array(JSON_PARSE('[1,2]')), is_array(JSON_PARSE('{}')), is_array(NULL),
                  is_object(JSON_PARSE('{"a":1}')), is_scalar(JSON_PARSE('"Joe"')),
                  is_scalar(JSON_PARSE('null'))""",
        (True, False, False, True, True, False),
    ),
    (
        """SELECT is_boolean(JSON_PARSE('true')), is_number(JSON_PARSE('1.5')),
                  is_decimal(JSON_PARSE('1.22')), is_integer(JSON_PARSE('2147483647')),
                  is_integer(JSON_PARSE('2147483648')),
                  is_bigint(JSON_PARSE('2147483648')), is_smallint(JSON_PARSE('40000')),
                  is_integer(JSON_PARSE('1.5'))""",
        (True, True, True, True, False, True, False, False),
    ),
    (
        """SELECT is_char(JSON_PARSE('"t"')), is_char(JSON_PARSE('"⬤"')), is_varchar(JSON_PARSE('"⬤"'))""",
        (True, False, True),
    ),
    # limitations-super.html: casts to SUPER make scalars; SUPER-related cast errors become NULL
    ("SELECT 5::super, 'abc'::super, CAST('{\"a\":1}' AS SUPER)", (5, "abc", '{"a":1}')),
    ("SELECT JSON_TYPEOF('{\"a\":1}'::super), JSON_TYPEOF(CAST(1.5 AS super))", ("string", "number")),
    # PostgreSQL's own json_typeof(json) and ARRAY forms stay
    ("SELECT json_typeof('[1]'::json), ARRAY[1, 2], ARRAY(SELECT 1)", ("array", [1, 2], [1])),
]


@pytest.fixture(scope="module")
def conn(redshift_emulator):
    conn = psycopg_connect(redshift_emulator)
    yield conn
    conn.close()


@pytest.mark.parametrize(("sql", "expected"), FUNCTION_CASES)
def test_super_function(conn, sql, expected):
    assert conn.execute(sql).fetchone() == expected


@pytest.fixture(scope="module")
def orders(conn):
    """query-super.html's customer_orders_lineitem, two customers' worth."""
    table = unique("customer_orders_lineitem")
    conn.execute(f"CREATE TABLE {table} (c_custkey int, c_name varchar(25), c_orders SUPER)")
    conn.execute(
        f"""INSERT INTO {table} VALUES
        (1, 'Customer#1', JSON_PARSE('[{{"o_orderkey": 1, "o_orderstatus": "P", "o_orderdate": "2001-09-08",
            "o_lineitems": [{{"l_quantity": 3, "l_shipmode": "AIR"}},
                            {{"l_quantity": 5, "l_shipmode": "RAIL"}}]}},
            {{"o_orderkey": 2, "o_orderstatus": "F", "o_lineitems": []}}]')),
        (2, 'Customer#2', JSON_PARSE('[{{"o_orderkey": 3, "o_orderstatus": "F",
            "o_lineitems": [{{"l_quantity": 7, "l_shipmode": "SHIP"}}]}}]')),
        (3, 'Customer#3', JSON_PARSE('{{"not": "an array"}}'))"""
    )
    yield table
    conn.execute(f"DROP TABLE {table}")


# (statement with {t} for the table, the rows it returns)
NAVIGATION_CASES = [
    # query-super.html, navigation: dot and bracket notation; a path that is not there is NULL (lax mode)
    ("SELECT c_orders[0].o_orderkey FROM {t} ORDER BY c_custkey", [(1,), (3,), (None,)]),
    ("SELECT c.c_orders[0].o_orderkey FROM {t} c ORDER BY c.c_custkey", [(1,), (3,), (None,)]),
    ("SELECT c.c_orders[0].o_lineitems[1].l_shipmode FROM {t} c WHERE c_custkey = 1", [("RAIL",)]),
    ("SELECT c.c_orders.nothing.there, c.c_orders[9] FROM {t} c WHERE c_custkey = 1", [(None, None)]),
    ("SELECT c_orders.not FROM {t} WHERE c_custkey = 3", [("an array",)]),
    # r_is_scalar.html: an IS_ function of a navigated value
    (
        "SELECT is_scalar(c.c_orders.not), is_array(c.c_orders) FROM {t} c WHERE c_custkey = 3",
        [(True, False)],
    ),
    # dynamic typing: compared with a literal as a SUPER scalar; cast, NULL where not of the type
    ("SELECT c_custkey FROM {t} WHERE c_orders[0].o_orderstatus = 'F' ORDER BY 1", [(2,)]),
    (
        "SELECT c_custkey FROM {t} c WHERE c.c_orders[0].o_orderkey >= 3"
        " OR 'P' = c.c_orders[0].o_orderstatus ORDER BY 1",
        [(1,), (2,)],
    ),
    (
        "SELECT c_orders[0].o_orderkey::int + 1, c_orders[0].o_orderstatus::varchar"
        " FROM {t} WHERE c_custkey = 2",
        [(4, "F")],
    ),
    (
        "SELECT c_orders[0].o_orderdate::date, c_orders[0].o_orderstatus::int FROM {t} WHERE c_custkey = 1",
        [(date(2001, 9, 8), None)],
    ),
    # unnesting: FROM t, t.array AS x [AT index]; a value that is not an array gives no rows
    (
        "SELECT c.c_name, o.o_orderkey FROM {t} c, c.c_orders o ORDER BY 2",
        [("Customer#1", 1), ("Customer#1", 2), ("Customer#2", 3)],
    ),
    ("SELECT o.o_orderkey, i FROM {t} c, c.c_orders AS o AT i ORDER BY 1", [(1, 0), (2, 1), (3, 0)]),
    (
        "SELECT c.c_custkey, l.l_shipmode FROM {t} c, c.c_orders o, o.o_lineitems l "
        "WHERE l.l_quantity > 4 ORDER BY 2",
        [(1, "RAIL"), (2, "SHIP")],
    ),
    ("SELECT count(*) FROM {t} c, c.c_orders o WHERE o.o_orderstatus = 'F'", [(2,)]),
]


@pytest.mark.parametrize(("sql", "expected"), NAVIGATION_CASES)
def test_super_navigation_and_unnesting(conn, orders, sql, expected):
    assert conn.execute(sql.format(t=orders)).fetchall() == expected


def test_a_super_column_is_super_in_the_catalog(conn, orders):
    """r_PG_TABLE_DEF.html lists the column's type as Redshift names it."""
    rows = conn.execute(
        'SELECT "column", type FROM pg_table_def WHERE tablename = %s ORDER BY "column"', (orders,)
    ).fetchall()
    assert ("c_orders", "super") in rows
    assert conn.execute(f"SELECT pg_typeof(c_orders)::text FROM {orders} LIMIT 1").fetchone() == ("super",)
    created = unique("super_ctas")
    conn.execute(f"CREATE TABLE {created} AS SELECT JSON_PARSE('[1]') AS s, ARRAY(1, 2) AS a")
    try:
        assert conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 ORDER BY attnum",
            (created,),
        ).fetchall() == [("super",), ("super",)]
    finally:
        conn.execute(f"DROP TABLE {created}")


def test_scalars_insert_into_a_super_column(conn):
    """r_is_decimal.html, r_is_integer.html: `INSERT INTO t VALUES (1.22)` into a SUPER column."""
    table = unique("super_scalars")
    conn.execute(f"CREATE TABLE {table} (s super)")
    try:
        conn.execute(f"INSERT INTO {table} VALUES (1.22), (5), (true), ('t'::super)")
        assert conn.execute(
            f"SELECT JSON_SERIALIZE(s), is_decimal(s), is_integer(s), is_boolean(s), is_char(s) FROM {table}"
        ).fetchall() == [
            ("1.22", True, False, False, False),
            ("5", True, True, False, False),
            ("true", False, False, True, False),
            ('"t"', False, False, False, True),
        ]
    finally:
        conn.execute(f"DROP TABLE {table}")


def test_invalid_json_is_refused_by_json_parse(conn):
    with pytest.raises(psycopg.errors.InvalidTextRepresentation, match="invalid input syntax for type json"):
        conn.execute("SELECT JSON_PARSE('{1:\"a\"}')")


def test_the_driver_airflow_uses_reads_super_values(redshift_emulator, orders):
    conn = redshift_connect(redshift_emulator)
    try:
        cur = conn.cursor()
        cur.execute(
            f"SELECT JSON_SERIALIZE(c_orders[0]), c_orders[0].o_orderkey FROM {orders} WHERE c_custkey = 2"
        )
        serialized, key = cur.fetchone()
        # jsonb's order of keys: shorter first (r_SUPER_type.html keeps the order they were written in)
        assert (
            serialized
            == '{"o_orderkey":3,"o_lineitems":[{"l_quantity":7,"l_shipmode":"SHIP"}],"o_orderstatus":"F"}'
        )
        assert str(key) == "3"
    finally:
        conn.close()


# Statements the navigation rule must leave alone: ordinary names of schemas, tables and columns.
NOT_NAVIGATIONS = [
    "SELECT t.a, s.t.a, db.s.t.a FROM db.s.t",
    "SELECT x.a FROM s.t AS x JOIN s.u y ON x.id = y.id WHERE y.b = 'x'",
    "SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relname OPERATOR(pg_catalog.~) '^(t)$' "
    "COLLATE pg_catalog.default AND pg_catalog.pg_table_is_visible(c.oid)",
    'delete from "db"."s"."t" using "db"."s"."t__tmp" where ("db"."s"."t__tmp".id = "db"."s"."t".id)',
    "UPDATE s.t SET a = u.a FROM s.u WHERE s.t.id = u.id",
    "SELECT information_schema.columns.column_name FROM information_schema.columns",
    "SELECT pg_catalog.pg_class.relname, public.t.a FROM pg_class, t",
    "WITH w AS (SELECT 1 AS a) SELECT w.a FROM w",
    "SELECT sub.a FROM (SELECT 1 AS a) sub, generate_series(1, 2) g WHERE g.g > 0",
    "SELECT i.indkey[0] FROM pg_catalog.pg_index i",
    "CREATE TABLE s.t (LIKE s.u)",
    "SELECT x::pg_catalog.int4, CAST(y AS pg_catalog.text) FROM t",
]


@pytest.mark.parametrize("sql", NOT_NAVIGATIONS)
def test_ordinary_dotted_names_are_not_navigations(sql):
    assert rewrite(sql).sql == sql


def test_statements_without_super_syntax_take_the_fast_path():
    for sql in ("select 1", "select id from raw_data.nps join raw_data.users on true", "select 1.5"):
        assert rewrite(sql).sql is sql


def test_redshift_connector_reads_an_array(redshift_emulator):
    """dbt-redshift's array_construct: `array(1,2,3)`."""
    conn = redshift_connect(redshift_emulator)
    try:
        cur = conn.cursor()
        cur.execute("select array(1,2,3) as actual, array_concat(array(1,2), array(3)) as expected")
        actual, expected = cur.fetchone()
        assert actual == expected
        assert str(actual).replace(" ", "") == "[1,2,3]"
    finally:
        conn.close()


def test_decimal_places_survive(conn):
    assert conn.execute("SELECT JSON_PARSE('1.50')").fetchone() == (Decimal("1.50"),)
