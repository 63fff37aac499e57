"""Redshift's SQL functions, as SQL functions, aggregates and views the emulator installs in a schema of its
own in each warehouse database, and what the client is told when it calls one that is not there.

The library (sql/*.sql, one file per family, each definition citing its Redshift reference page, plus the
overloads written below) lives in FUNCTION_SCHEMA, which every session searches after its own schemas
(session.py), so that a learner's unqualified CREATE TABLE still lands in the learner's schema; pg_catalog
is left off that path, so PostgreSQL searches it first, as Redshift does. Calls of the library's names are
qualified by the rewriting (builtins.py), so that no user's function of the same name answers in their
place: a name there wins over PostgreSQL's of the same signature (date_part, avg of an integer) and adds
signatures PostgreSQL lacks (left of a timestamp), and sql/pass_through.sql keeps PostgreSQL's other forms.
The orafce extension gives PostgreSQL Oracle's functions the same way.

The bookkeeping connection (system_tables.py) installs the library once per database and emulator process,
before any client statement runs there; a changed library (another library_version()) replaces the old one.
Nothing here runs per statement.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path

import psycopg

from emulators.redshift.errors import RedshiftError
from emulators.redshift.sql.dateparts import DATEPARTS

FUNCTION_SCHEMA = "redshift_emulator"
# What the emulator appends to every search path, the client's own or one it sets (SET search_path): after
# the learner's schemas, so that unqualified CREATE TABLE never lands in FUNCTION_SCHEMA (its system tables
# and views read unqualified). No pg_catalog: PostgreSQL then searches it before the path, as Redshift does
# (r_search_path.html), so no user's function, operator or type shadows a built-in (builtins.py).
SEARCH_PATH_TAIL = FUNCTION_SCHEMA

SQL_DIR = Path(__file__).parent
# In this order: each file uses only what the files before it define; pass_through.sql reads them all.
LIBRARY_FILES = (
    "dates.sql", "strings.sql", "numbers.sql", "conditionals.sql", "catalog.sql", "table_attributes.sql",
    "super.sql",
)  # fmt: skip

# Redshift converts these to text where a string function expects text (r_Type_conversion.html); each
# gets an overload of the functions below, reading its argument through _text() (sql/strings.sql).
IMPLICITLY_TEXT = ("timestamp", "timestamptz", "date", "numeric")
# name, the arguments after the converted one, and the PostgreSQL call on the converted text ($1).
TEXT_FUNCTIONS = (
    ("left", ("integer",), "pg_catalog.left($1, $2)"),  # r_LEFT.html
    ("right", ("integer",), "pg_catalog.right($1, $2)"),  # r_RIGHT.html
    ("substr", ("integer",), "pg_catalog.substr($1, $2)"),  # r_SUBSTR.html (and SUBSTRING: dialect.py)
    ("substr", ("integer", "integer"), "pg_catalog.substr($1, $2, $3)"),
    ("len", (), "pg_catalog.length($1)"),  # r_LEN.html
    ("strpos", ("text",), "pg_catalog.strpos($1, $2)"),  # r_STRPOS.html
)
# DECODE(expression, search, result [, search, result ...] [, default]): one overload per number of pairs.
DECODE_PAIRS = 20

# Redshift functions the emulator does not emulate: a call fails naming the function as unsupported here,
# never with PostgreSQL's "function does not exist / add explicit type casts", which would send a learner
# looking for a cast. https://docs.aws.amazon.com/redshift/latest/dg/c_SQL_functions.html
UNSUPPORTED_FUNCTIONS = frozenset(
    (
        # window and aggregate functions
        "ratio_to_report", "hll", "hll_create_sketch", "hll_combine", "hll_cardinality",
        "hll_combine_sketches",
        # string and hash functions
        "strtol", "fnv_hash", "crc32", "func_sha1", "sha1", "sha2", "checksum", "octetindex", "difference",
        "soundex", "texttoint_alt", "texttonumeric_alt", "bpcharcmp", "bttext_pattern_cmp",
        # SUPER (the rest: super.sql)
        "json_serialize_to_varbyte", "array_flatten", "object_transform", "array_sort", "array_distinct",
        # VARBYTE
        "to_varbyte", "from_varbyte", "varbyte_length",
        # dates
        "next_day", "interval_cmp", "timestamp_cmp_date", "timestamp_cmp_timestamptz",
        "timestamptz_cmp", "timestamptz_cmp_date", "timestamptz_cmp_timestamp", "date_cmp_timestamp",
        "date_cmp_timestamptz", "add_months_to_timestamptz",
        # system information
        "slice_num", "current_user_id", "pg_last_copy_id", "pg_last_copy_count", "pg_last_query_id",
        "pg_last_unload_id", "pg_last_unload_count", "pg_get_cols",
        "pg_get_grantee_by_iam_role", "pg_get_iam_role_by_user", "pg_get_session_roles",
        "current_aws_account", "current_namespace", "has_assumerole_privilege", "get_config",
        # machine learning
        "ml_predict",
    )
)  # fmt: skip
# The emulated names PostgreSQL has too, with forms of its own that a call may also match.
ALSO_POSTGRESQL = frozenset(
    ("avg", "date_part", "date_trunc", "json_array_length", "json_extract_path_text", "json_typeof", "left",
     "regexp_replace", "right", "round", "strpos", "substr", "sum", "trunc")
)  # fmt: skip
# Families refused by their prefix: spatial (ST_), H3 indexes, geohashes.
UNSUPPORTED_PREFIXES = ("st_", "h3_", "geohash")

UNDEFINED_FUNCTION = "42883"
INVALID_PARAMETER_VALUE = "22023"  # what _refuse_datepart raises
# The SQLSTATEs of upstream errors that explained_error() may answer in its own words: a client's statement
# pays for the look-up only when upstream refuses it with one of these.
EXPLAINED_SQLSTATES = frozenset((UNDEFINED_FUNCTION, INVALID_PARAMETER_VALUE))
_MISSING_FUNCTION = re.compile(r'^function (?:[\w"]+\.)?"?([\w$]+)"?\((.*)\) does not exist$', re.DOTALL)
_UNSUPPORTED_DATEPART = re.compile(r'^\w+: unsupported datepart ".*"$', re.DOTALL)
_DEFINITION = re.compile(
    rf"^CREATE (?:FUNCTION|AGGREGATE) {FUNCTION_SCHEMA}\.([a-z]\w*)\s*\(([^)]*)\)", re.MULTILINE
)


@functools.cache
def library_sql() -> str:
    """Every statement that creates the library, FUNCTION_SCHEMA itself excepted."""
    parts = [_datepart_sql()]
    parts += [(SQL_DIR / name).read_text() for name in LIBRARY_FILES]
    parts.append(_implicit_text_sql())
    parts.append(_decode_sql())
    parts.append((SQL_DIR / "pass_through.sql").read_text())
    return "\n".join(parts)


@functools.cache
def library_version() -> str:
    """Changes whenever the library does: installed databases hold it as their schema's comment."""
    return hashlib.sha256(library_sql().encode()).hexdigest()[:16]


async def library_installed(conn: psycopg.AsyncConnection) -> bool:
    """Whether this version of the library is installed in ``conn``'s database (its schema's comment)."""
    cur = await conn.execute(
        "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s", (FUNCTION_SCHEMA,)
    )
    row = await cur.fetchone()
    return row is not None and row[0] == library_version()


async def install_library(conn: psycopg.AsyncConnection) -> None:
    """Install the library unless this version already is. Run in the caller's transaction, which holds the
    lock that serialises creating the system tables: two emulators never install it at once."""
    if await library_installed(conn):
        return
    # Drop the old library whole: CREATE OR REPLACE cannot change a function's result type. Every DROP is
    # spelled out before the first runs (an aggregate may be gone with its function by then: IF EXISTS).
    # The system tables stay. A learner's view that uses one of these goes with it (CASCADE), as it would
    # with a dropped function of their own.
    cur = await conn.execute(
        """
        SELECT format('DROP VIEW IF EXISTS %%s CASCADE', c.oid::regclass) FROM pg_class c
        WHERE c.relnamespace = to_regnamespace(%(schema)s) AND c.relkind = 'v' AND c.relname <> 'stl_query'
        UNION ALL
        SELECT format('DROP %%s IF EXISTS %%s CASCADE',
                      CASE p.prokind WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, p.oid::regprocedure)
        FROM pg_proc p WHERE p.pronamespace = to_regnamespace(%(schema)s)
        """,
        {"schema": FUNCTION_SCHEMA},
    )
    for (drop,) in await cur.fetchall():
        await conn.execute(drop)
    await conn.execute(library_sql())
    await conn.execute(f"COMMENT ON SCHEMA {FUNCTION_SCHEMA} IS '{library_version()}'")


def _datepart_sql() -> str:
    """_datepart(caller, spelling): the canonical name of any of Redshift's spellings of a datepart, from
    dateparts.py's one table; any other spelling fails naming the caller and the datepart.

    Both are IMMUTABLE (the refusal too, though it only raises): a constant datepart is then resolved once,
    when the statement is planned, and a function using them (DATEDIFF's CASE on the datepart) is inlined
    into the statement. A volatile call anywhere in its body would keep PostgreSQL from inlining it, and
    calling it per row is two hundred times slower. Planning never reaches a refusal the datepart does not
    lead to: PostgreSQL simplifies a CASE only up to the branch a constant selects, and a COALESCE only up to
    its first non-NULL constant."""
    spellings = json.dumps(DATEPARTS, sort_keys=True).replace("'", "''")
    return f"""
-- Dateparts: https://docs.aws.amazon.com/redshift/latest/dg/r_Dateparts_for_datetime_functions.html
CREATE FUNCTION {FUNCTION_SCHEMA}._refuse_datepart(text, text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RAISE EXCEPTION '%: unsupported datepart "%"', $1, $2 USING ERRCODE = '22023',
        HINT = 'Redshift''s dateparts: https://docs.aws.amazon.com/redshift/latest/dg/r_Dateparts_for_datetime_functions.html';
END
$$;
CREATE FUNCTION {FUNCTION_SCHEMA}._datepart(text, text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce('{spellings}'::jsonb ->> lower(btrim($2)), {FUNCTION_SCHEMA}._refuse_datepart($1, $2))
$$;
"""


def _implicit_text_sql() -> str:
    """TEXT_FUNCTIONS for each IMPLICITLY_TEXT type, and CHARINDEX, whose converted argument is its second."""
    statements = []
    for type_name in IMPLICITLY_TEXT:
        for name, others, call in TEXT_FUNCTIONS:
            arguments = ", ".join((type_name, *others))
            body = call.replace("$1", f"{FUNCTION_SCHEMA}._text($1)")
            result = "integer" if name in ("len", "strpos") else "text"
            statements.append(_sql_function(name, arguments, result, body))
        body = f"pg_catalog.strpos({FUNCTION_SCHEMA}._text($2), $1)"
        statements.append(_sql_function("charindex", f"text, {type_name}", "integer", body))
    return "-- Implicit conversion to text: sql/strings.sql\n" + "\n".join(statements)


def _decode_sql() -> str:
    """DECODE: https://docs.aws.amazon.com/redshift/latest/dg/r_DECODE_expression.html

    The expression and the searches are compared as one type (anycompatible: a smallint column matches an
    integer literal); a NULL search matches a NULL expression, as the page says. The results and the
    default are of one type too: each overload comes twice, with results of any one type (anyelement) and
    with text results, which PostgreSQL picks when they are all string literals (anyelement cannot take
    those). PostgreSQL's two-argument decode(text, text) stays as it is."""
    statements = ["-- DECODE: https://docs.aws.amazon.com/redshift/latest/dg/r_DECODE_expression.html"]
    for pairs in range(1, DECODE_PAIRS + 1):
        whens = " ".join(
            f"WHEN $1 IS NOT DISTINCT FROM ${2 * k} THEN ${2 * k + 1}" for k in range(1, pairs + 1)
        )
        for result in ("anyelement", "text"):
            arguments = ["anycompatible"] + ["anycompatible", result] * pairs
            statements.append(_sql_function("decode", ", ".join(arguments), result, f"CASE {whens} END"))
            default = f"CASE {whens} ELSE ${len(arguments) + 1} END"
            statements.append(_sql_function("decode", ", ".join([*arguments, result]), result, default))
    return "\n".join(statements)


def _sql_function(name: str, arguments: str, result: str, body: str) -> str:
    # STABLE, not IMMUTABLE: _text() reads the session's time zone for a timestamptz.
    return (
        f"CREATE FUNCTION {FUNCTION_SCHEMA}.{name}({arguments}) RETURNS {result}\n"
        f"LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT {body} $$;"
    )


@functools.cache
def emulated_signatures() -> dict[str, tuple[str, ...]]:
    """Each function and aggregate the library gives the learner, with the argument types of each form."""
    signatures: dict[str, list[str]] = {}
    for name, arguments in _DEFINITION.findall(library_sql()):
        if not name.startswith("_"):
            signatures.setdefault(name, []).append(" ".join(arguments.split()))
    return {name: tuple(dict.fromkeys(forms)) for name, forms in signatures.items()}


def explained_error(fields: dict[str, str]) -> RedshiftError | None:
    """The error the client gets in place of upstream's (its fields by code), or None to pass it on.
    ``fields["C"]`` is one of EXPLAINED_SQLSTATES."""
    message = fields.get("M", "")
    if fields["C"] == UNDEFINED_FUNCTION:
        return _explain_missing_function(message)
    if _UNSUPPORTED_DATEPART.match(message):
        # The same error without its CONTEXT, which names the library's inner functions.
        return RedshiftError(message, INVALID_PARAMETER_VALUE, hint=fields.get("H"))
    return None


def _explain_missing_function(message: str) -> RedshiftError | None:
    """In place of PostgreSQL's 42883 `function f(types) does not exist`, whose hint (add explicit type
    casts) is wrong here; None if ``message`` is not that error (e.g. an operator's)."""
    match = _MISSING_FUNCTION.match(message)
    if match is None:
        return None
    name, given = match.group(1).lower(), match.group(2)
    if name in UNSUPPORTED_FUNCTIONS or name.startswith(UNSUPPORTED_PREFIXES):
        return RedshiftError(
            f"{name.upper()} is a Redshift function that the lab's Redshift emulator does not support",
            "0A000",
            hint="The emulator's README lists the Redshift SQL it speaks (emulators/redshift/README.md).",
        )
    forms = emulated_signatures().get(name)
    if forms is not None:
        if name == "decode":
            forms = ("expression, search, result [, search, result ...] [, default]",)
        accepted = "; ".join(f"{name}({form})" for form in forms)
        besides = ", besides PostgreSQL's own forms" if name in ALSO_POSTGRESQL else ""
        return RedshiftError(
            f"{name}({given}): no form of {name.upper()} takes these arguments",
            UNDEFINED_FUNCTION,
            detail=f"The emulator's {name.upper()} takes {accepted}{besides}.",
        )
    return RedshiftError(
        message,
        UNDEFINED_FUNCTION,
        detail=(
            f"Neither Redshift's SQL as the lab's emulator speaks it nor PostgreSQL's has a function {name} "
            f"taking ({given}); the emulator's README lists the Redshift SQL it speaks."
        ),
    )
