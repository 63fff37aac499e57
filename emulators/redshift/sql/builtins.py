"""Built-ins that no user can shadow: Redshift's functions win over any function of the same name in public
or in a learner's own schema, and unqualified CREATEs still land in the learner's schema or public.

On Redshift a built-in runs before a UDF of the same name and arguments: "Amazon Redshift searches the
pg_catalog schema first by default" (udf-naming-udfs.html); pg_catalog is searched before the path's
schemas unless the path names it (r_search_path.html). The emulator leaves pg_catalog off the path it
appends (functions.SEARCH_PATH_TAIL), so PostgreSQL searches pg_catalog first in the same way: its
functions, operators (a user's `public.=` never answers for `1 = 1`), types and tables win for every user.

The emulator's own Redshift functions live in FUNCTION_SCHEMA, after the learner's schemas: first on the
path, it would receive every unqualified CREATE TABLE, VIEW, FUNCTION, CTAS and SELECT INTO (PostgreSQL
creates in the first schema of the path). So the rewriting qualifies each call of one of their names here:
`len(x)` becomes `redshift_emulator.len(x)`. A name PostgreSQL has too (LEFT, ROUND, AVG, SUM ...) would
then lose PostgreSQL's forms of it; the library carries a pass-through for each pg_catalog form it does not
replace (sql/pass_through.sql), so a qualified call resolves among exactly the forms the unqualified call
did: `left('abc', 2)` is PostgreSQL's LEFT, `left(created_at, 10)` the emulator's.

What is a call: an unqualified name of the library followed by "(", unless the statement names something
by it (the table of `CREATE TABLE len (...)`, `INSERT INTO len (...)`, the function of `CREATE FUNCTION
len(...)` or `DROP FUNCTION len(...)`, a CTE `WITH len (a) AS (...)`, an alias `AS len(a)`). The system
tables and views of FUNCTION_SCHEMA (STL_LOAD_ERRORS, PG_TABLE_DEF, SVV_TABLE_INFO ...), which Redshift keeps
in pg_catalog, are qualified the same way where a FROM or JOIN reads them, unless a CTE of the statement has
the name. Pure functions on tokens, like rewrite.py.
"""

from __future__ import annotations

import re

from emulators.redshift.sql.catalog_queries import SYSTEM_VIEWS
from emulators.redshift.sql.functions import FUNCTION_SCHEMA, emulated_signatures
from emulators.redshift.tokens import QIDENT, WORD, Token

# Every function and aggregate name of the library (its inner _helpers excepted).
LIBRARY_NAMES = frozenset(emulated_signatures())
LIBRARY_RELATIONS = frozenset(view.lower() for view in SYSTEM_VIEWS)
# A word just before a name that the statement defines or refers to as a relation, not calls.
_BEFORE_A_NAME = frozenset(
    ("FUNCTION", "PROCEDURE", "AGGREGATE", "ROUTINE", "TABLE", "VIEW", "INTO", "REFERENCES", "COPY", "EXISTS",
     "TYPE", "DOMAIN", "WITH", "RECURSIVE", "ONLY", "AS", "ANALYZE", "VACUUM", "INHERITS")
)  # fmt: skip
# Statements that name functions rather than call them (DROP FUNCTION a(int), b(text); GRANT EXECUTE ON ...).
_NAMING_STATEMENTS = frozenset(("DROP", "COMMENT", "GRANT", "REVOKE", "SECURITY"))
_NAMING_ALTERS = frozenset(("FUNCTION", "AGGREGATE", "PROCEDURE", "ROUTINE"))
# The keywords that start a clause: the first before a comma tells whether it separates a FROM list's items.
_CLAUSES = frozenset(
    ("SELECT", "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "ON", "USING", "VALUES", "SET")
)
_BARE_NAME = re.compile(r'[^\W\d][\w$]*|"[^"]+"')


def is_a_name(words: list[Token], k: int, closings: dict[int, int] | None = None) -> bool:
    """Whether words[k], followed by "(", is what the statement defines or refers to (a table, a function
    being created or dropped, an alias with its columns; a CTE too when given the statement's ``closings``)
    rather than a function call."""
    first = words[0].upper
    if first in _NAMING_STATEMENTS or (first == "ALTER" and words[1:2] and words[1].upper in _NAMING_ALTERS):
        return True
    if k == 0:
        return False
    before = words[k - 1]
    if before.upper in _BEFORE_A_NAME or before.kind == QIDENT or before.text == ")":
        return True  # after ")" or a quoted name: an alias with its columns, `FROM f(x) len(a)`
    if before.upper == "ON" and first == "CREATE" and "INDEX" in (words[1].upper, words[2].upper):
        return True  # CREATE [UNIQUE] INDEX ... ON len (a)
    return closings is not None and _starts_a_cte(words, k, closings)  # WITH a AS (...), len (x) AS (...)


def qualify_library_calls(words: list[Token], positions: list[int], out: list[str]) -> None:
    """Prefix FUNCTION_SCHEMA to each call of a library function: ``out`` holds the statement's texts,
    changed in place (a name another rule put there, SUBSTRING's substr, is qualified too)."""
    closings = None
    for k in range(len(words) - 1):
        text = out[positions[k]]
        if words[k].kind not in (WORD, QIDENT) or out[positions[k + 1]] != "(":
            continue
        if not _BARE_NAME.fullmatch(text):
            continue
        name = text[1:-1] if text.startswith('"') else text.lower()
        if name not in LIBRARY_NAMES or (k > 0 and words[k - 1].text == "."):
            continue
        closings = _closings(words) if closings is None else closings
        if not is_a_name(words, k, closings):
            out[positions[k]] = f"{FUNCTION_SCHEMA}.{text}"


def qualify_library_relations(words: list[Token], positions: list[int], out: list[str]) -> None:
    """Prefix FUNCTION_SCHEMA to each system table or view a FROM or JOIN (or a comma of a FROM list)
    reads unqualified, unless a CTE of the statement has that name (``WITH stl_query AS (...)``)."""
    clauses = ctes = None
    for k in range(1, len(words)):
        word = words[k]
        if word.kind != WORD or word.text.lower() not in LIBRARY_RELATIONS or out[positions[k]] != word.text:
            continue
        if words[k - 1].text == "." or (k + 1 < len(words) and words[k + 1].text in (".", "(")):
            continue
        if clauses is None:
            closings = _closings(words)
            clauses = _clauses(words)
            ctes = {
                w.text.lower()
                for j, w in enumerate(words)
                if w.kind == WORD and _starts_a_cte(words, j, closings)
            }
        after_comma = words[k - 1].text == "," and clauses[k - 1] in (
            "FROM",
            "ON",
            "USING",
        )  # a JOIN's ON ends there
        if (words[k - 1].upper in ("FROM", "JOIN") or after_comma) and word.text.lower() not in ctes:
            out[positions[k]] = f"{FUNCTION_SCHEMA}.{word.text}"


def _starts_a_cte(words: list[Token], k: int, closings: dict[int, int]) -> bool:
    """Whether words[k] is the name of a CTE: `name [(columns)] AS [[NOT] MATERIALIZED] (`, after WITH,
    RECURSIVE or a comma."""
    if k == 0 or (words[k - 1].upper not in ("WITH", "RECURSIVE") and words[k - 1].text != ","):
        return False
    j = closings.get(k + 1, len(words)) + 1 if k + 1 < len(words) and words[k + 1].text == "(" else k + 1
    following = [word.upper or word.text for word in words[j : j + 4]]
    return following[:1] == ["AS"] and "(" in following[1:] and following[1] in ("(", "NOT", "MATERIALIZED")


def _closings(words: list[Token]) -> dict[int, int]:
    """Where each "(" of the statement is closed, in one pass (an unclosed one is left out)."""
    opened: list[int] = []
    closings: dict[int, int] = {}
    for j, word in enumerate(words):
        if word.text == "(":
            opened.append(j)
        elif word.text == ")" and opened:
            closings[opened.pop()] = j
    return closings


def _clauses(words: list[Token]) -> list[str]:
    """The clause keyword each word stands in, at its own depth of parentheses ("" before any)."""
    outer: list[str] = []
    current, clauses = "", []
    for word in words:
        if word.text == "(":
            outer.append(current)
            current = ""
        elif word.text == ")":
            current = outer.pop() if outer else ""
        elif word.upper in _CLAUSES:
            current = word.upper
        clauses.append(current)
    return clauses
