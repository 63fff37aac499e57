"""Redshift syntax PostgreSQL lacks, where a function in FUNCTION_SCHEMA cannot help: token rewrites.

The emulator's SQL functions (functions.py) give DATEADD, NVL2, MEDIAN ... their Redshift meaning from a
schema of their own, each call qualified with it (builtins.py). Left for this module: keywords (TOP,
APPROXIMATE), a datepart written as a bare word, LISTAGG's WITHIN GROUP, SUBSTRING's FROM ... FOR, the SHOW
commands, and the search_path, which must keep FUNCTION_SCHEMA whatever a learner sets. Each rule names its
Redshift reference page (https://docs.aws.amazon.com/redshift/latest/dg/<page>). Literals, comments and
quoted identifiers are never changed; what cannot be rewritten is refused by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from emulators.redshift.errors import RedshiftError
from emulators.redshift.sql.builtins import is_a_name
from emulators.redshift.sql.catalog_queries import rewrite_catalog_reads
from emulators.redshift.sql.dateparts import canonical_datepart
from emulators.redshift.sql.functions import FUNCTION_SCHEMA, SEARCH_PATH_TAIL
from emulators.redshift.tokens import (
    NUMBER,
    QIDENT,
    SEMI,
    STRING,
    WORD,
    Token,
    closing_parenthesis,
    erase,
    quote_literal,
    with_leading_blanks,
    with_trailing_blanks,
)

# r_search_path.html: Redshift's default search_path.
DEFAULT_SEARCH_PATH = '"$user", public'
# SHOW search_path answers what the learner set: the entries the emulator appends are its own business.
SHOW_SEARCH_PATH_SQL = (
    f"SELECT regexp_replace(current_setting('search_path'), ', {SEARCH_PATH_TAIL}$', '') AS search_path"
)

_SET_OPERATORS = frozenset(("UNION", "INTERSECT", "EXCEPT"))
# What comes just before the SELECT of a set operation's second member (`UNION ALL SELECT ...`).
_BEFORE_SECOND_MEMBER = _SET_OPERATORS | {"ALL", "DISTINCT"}
# What may follow an item of a SELECT list that has no alias ("": the end of the statement).
_AFTER_SELECT_ITEM = frozenset((",", ")", "", "FROM", "INTO", "UNION", "INTERSECT", "EXCEPT"))
# The keywords that start a clause: the first one before an expression tells which clause it is in.
_CLAUSES = frozenset(
    ("SELECT", "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "WINDOW", "LIMIT", "ON", "USING", "VALUES", "SET")
)
# Redshift's own SHOW commands besides SCHEMAS, TABLES and COLUMNS: no PostgreSQL setting has these names.
_SHOW_NOT_EMULATED = frozenset(
    ("DATABASES", "DATASHARES", "EXTERNAL", "FUNCTIONS", "GRANTS", "MODEL", "PROCEDURE", "PROCEDURES",
     "TABLE", "VIEW")
)  # fmt: skip


@dataclass
class Statement:
    """One statement being rewritten: ``out`` holds its tokens' texts, changed in place; ``words`` are its
    significant tokens and ``positions`` their indexes in ``tokens``."""

    tokens: list[Token]
    words: list[Token]
    positions: list[int]
    out: list[str]

    def word(self, k: int) -> Token:
        return self.words[k] if k < len(self.words) else Token(SEMI, "")

    def text(self, first: int, last: int) -> str:
        """The current text from words[first] to words[last], what lies between included."""
        return "".join(self.out[self.positions[first] : self.positions[last] + 1])

    def replace(self, first: int, last: int, text: str, moved: list[tuple[int, int]]) -> None:
        """words[first..last] become ``text``, which holds the ``moved`` word ranges; the comments of the
        rest stay where they were."""
        start, end = self.positions[first], self.positions[last]
        moved_tokens = {index for a, b in moved for index in range(self.positions[a], self.positions[b] + 1)}
        erase(self.tokens, self.out, start, end)
        for index in moved_tokens:
            self.out[index] = ""
        self.out[start] = text

    def erase_words(self, first: int, last: int) -> None:
        """Erase words[first..last] and the blanks before them."""
        erase(
            self.tokens,
            self.out,
            with_leading_blanks(self.tokens, self.positions[first]),
            self.positions[last],
        )


def rewrite_expressions(statement: Statement) -> None:
    """Rewrite every Redshift-only expression of ``statement``."""
    words = statement.words
    rewrite_catalog_reads(
        "".join(token.text for token in statement.tokens).lower(), words, statement.positions, statement.out
    )
    # Right to left: a construct inside another is rewritten first, and the outer one carries its new text.
    for k in range(len(words) - 1, -1, -1):
        rule = _EXPRESSION_RULES.get(words[k].upper)
        if rule is not None and (k == 0 or words[k - 1].text != ".") and not is_a_name(words, k):
            rule(statement, k)


def rewrite_search_path(statement: Statement) -> None:
    """`SET [SESSION | LOCAL] search_path {TO | =} ... | DEFAULT` and `RESET search_path` keep
    FUNCTION_SCHEMA after the learner's schemas (r_search_path.html, r_SET.html)."""
    words, out, positions = statement.words, statement.out, statement.positions
    if _keywords(words) == ["RESET", "SEARCH_PATH"]:
        out[positions[0]] = "SET"
        out[positions[1]] += f" TO {DEFAULT_SEARCH_PATH}, {SEARCH_PATH_TAIL}"
        return
    k = 2 if statement.word(1).upper in ("SESSION", "LOCAL") else 1
    if statement.word(k).upper != "SEARCH_PATH" or statement.word(k + 1).text.upper() not in ("TO", "="):
        return
    values = words[k + 2 :]
    if len(values) == 1 and values[0].upper == "DEFAULT":
        out[positions[k + 2]] = f"{DEFAULT_SEARCH_PATH}, {SEARCH_PATH_TAIL}"
    elif values:
        out[positions[-1]] += f", {SEARCH_PATH_TAIL}"


def show_command_sql(words: list[Token]) -> str | None:
    """The query that answers a Redshift SHOW command (``words``: the statement's significant tokens, no
    semicolon); None for PostgreSQL's own `SHOW <setting>`."""
    what = words[1].upper if len(words) > 1 else ""
    if what == "SEARCH_PATH" and len(words) == 2:
        return SHOW_SEARCH_PATH_SQL
    if what in _SHOW_NOT_EMULATED:
        raise RedshiftError(f"SHOW {what} is not supported by the lab's Redshift emulator", "0A000")
    show = _SHOWS.get(what)
    if show is None:
        return None
    k, names = _dotted_name(words, 4)
    if _keywords(words[2:4]) != ["FROM", show.container] or len(names) not in show.name_parts:
        raise show.syntax_error()
    names = [None] * (max(show.name_parts) - len(names)) + names  # the database name may be left out
    conditions = [] if names[0] is None else [f"current_database() = {quote_literal(names[0])}"]
    if _keywords(words[k : k + 1]) == ["LIKE"] and k + 1 < len(words) and words[k + 1].kind == STRING:
        conditions.append(f"{show.name_column} LIKE {words[k + 1].text}")
        k += 2
    limit = ""
    if _keywords(words[k : k + 1]) == ["LIMIT"] and k + 1 < len(words) and words[k + 1].text.isdigit():
        limit = f" LIMIT {words[k + 1].text}"
        k += 2
    if k != len(words):
        raise show.syntax_error()
    where = "".join(f" AND {condition}" for condition in conditions)
    return show.query.format(*[quote_literal(name) for name in names[1:]], where=where) + limit


def _keywords(words: list[Token]) -> list[str]:
    return [word.upper for word in words]


def _dotted_name(words: list[Token], k: int) -> tuple[int, list[str]]:
    """(the index after it, its parts) for the dotted name at words[k]; parts fold to lower case unless
    quoted."""
    parts: list[str] = []
    while k < len(words) and words[k].kind in (WORD, QIDENT):
        token = words[k]
        parts.append(token.text[1:-1].replace('""', '"') if token.kind == QIDENT else token.text.lower())
        k += 1
        if k + 1 < len(words) and words[k].text == ".":
            k += 1
        else:
            break
    return k, parts


@dataclass(frozen=True)
class _Show:
    """A Redshift SHOW command: `SHOW <what> FROM <container> name [LIKE 'pattern'] [LIMIT n]`."""

    container: str
    syntax: str
    name_parts: tuple[int, ...]  # how many parts its name may have (the database's may be left out)
    query: str  # {0}, {1}: the name's parts after the database; {where}: the conditions LIKE adds
    name_column: str  # what LIKE filters

    def syntax_error(self) -> RedshiftError:
        return RedshiftError(
            f"syntax error: {self.syntax} [LIKE 'filter_pattern'] [LIMIT row_limit]", "42601"
        )


# r_SHOW_SCHEMAS.html, r_SHOW_TABLES.html, r_SHOW_COLUMNS.html: each page's columns, in its order. The
# emulator's own schema and PostgreSQL's internal ones (TOAST, other sessions' temporary schemas) are
# left out; pg_catalog and information_schema are listed, as on Redshift. ACLs read as Redshift prints
# them: the entries joined by '~'. Like Redshift, only what the user may use is listed.
_SHOW_SCHEMAS_SQL = (
    "SELECT current_database()::varchar(128) AS database_name, n.nspname::varchar(128) AS schema_name,"
    " n.nspowner::integer AS schema_owner, 'local'::varchar(16) AS schema_type,"
    " array_to_string(n.nspacl, '~')::varchar(128) AS schema_acl, NULL::varchar(128) AS source_database,"
    " NULL::varchar(128) AS schema_option"
    " FROM pg_catalog.pg_namespace n"
    f" WHERE n.nspname <> '{FUNCTION_SCHEMA}' AND n.nspname !~ '^pg_(toast|temp_)'"
    " AND (pg_has_role(n.nspowner, 'USAGE') OR has_schema_privilege(n.oid, 'USAGE')){where}"
    " ORDER BY n.nspname"
)
_SHOW_TABLES_SQL = (
    "SELECT current_database()::varchar(128) AS database_name, n.nspname::varchar(128) AS schema_name,"
    " c.relname::varchar(128) AS table_name,"
    " (CASE WHEN c.relkind IN ('v', 'm') THEN 'VIEW' ELSE 'TABLE' END)::varchar(128) AS table_type,"
    " array_to_string(c.relacl, '~')::varchar(128) AS table_acl,"
    " obj_description(c.oid, 'pg_class')::varchar(128) AS remarks"
    " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = {0} AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
    " AND has_any_column_privilege(c.oid, 'SELECT'){where}"
    " ORDER BY c.relname"
)
_SHOW_COLUMNS_SQL = (
    "SELECT c.table_catalog::varchar(128) AS database_name, c.table_schema::varchar(128) AS schema_name,"
    " c.table_name::varchar(128) AS table_name, c.column_name::varchar(128) AS column_name,"
    " c.ordinal_position::integer AS ordinal_position, c.column_default::varchar(4000) AS column_default,"
    " c.is_nullable::varchar(3) AS is_nullable, c.data_type::varchar(128) AS data_type,"
    " c.character_maximum_length::integer AS character_maximum_length,"
    " c.numeric_precision::integer AS numeric_precision, c.numeric_scale::integer AS numeric_scale,"
    " col_description(format('%I.%I', c.table_schema, c.table_name)::regclass,"
    " c.ordinal_position::integer)::varchar(256) AS remarks"
    " FROM information_schema.columns c"
    " WHERE c.table_schema = {0} AND c.table_name = {1}{where}"
    " ORDER BY c.ordinal_position"
)
_SHOWS = {
    "SCHEMAS": _Show(
        "DATABASE", "SHOW SCHEMAS FROM DATABASE database_name", (1,), _SHOW_SCHEMAS_SQL, "n.nspname"
    ),
    "TABLES": _Show(
        "SCHEMA", "SHOW TABLES FROM SCHEMA database_name.schema_name", (1, 2), _SHOW_TABLES_SQL, "c.relname"
    ),
    "COLUMNS": _Show(
        "TABLE",
        "SHOW COLUMNS FROM TABLE database_name.schema_name.table_name",
        (2, 3),
        _SHOW_COLUMNS_SQL,
        "c.column_name",
    ),
}


def _top(statement: Statement, k: int) -> None:
    """r_SELECT_list.html: `SELECT TOP n ...` is `SELECT ... LIMIT n`; the LIMIT closes the SELECT that has
    the TOP, inside its parentheses when it is a subquery."""
    words = statement.words
    count = statement.word(k + 1)
    if k == 0 or words[k - 1].upper != "SELECT" or count.kind != NUMBER or not count.text.isdigit():
        return
    end = _select_end(statement, k)
    in_set_operation = k >= 2 and words[k - 2].upper in _BEFORE_SECOND_MEMBER
    if in_set_operation or statement.word(end + 1).upper in _SET_OPERATORS:
        raise RedshiftError(
            "SELECT TOP in a UNION, INTERSECT or EXCEPT is not supported by the lab's Redshift emulator:"
            " put the SELECT in parentheses",
            "0A000",
        )
    statement.out[statement.positions[end]] += f" LIMIT {count.text}"
    statement.erase_words(k, k + 1)


def _select_end(statement: Statement, k: int) -> int:
    """The last word of the SELECT whose list starts at words[k]: before the parenthesis that closes the
    subquery, a set operator, or the end of the statement."""
    depth = 0
    words = statement.words
    for j in range(k, len(words)):
        text = words[j].text
        depth += (text == "(") - (text == ")")
        if depth < 0 or words[j].kind == SEMI or (depth == 0 and words[j].upper in _SET_OPERATORS):
            return j - 1
    return len(words) - 1


def _bare_datepart(statement: Statement, k: int) -> None:
    """r_DATEADD_function.html, r_DATEDIFF_function.html, r_DATE_PART_function.html: the datepart may be
    a bare word. It becomes the string literal the emulator's functions read (dateparts.py), spelled as
    written; a quoted datepart is left as it is."""
    words = statement.words
    if (
        statement.word(k + 1).text == "("
        and statement.word(k + 2).kind == WORD
        and statement.word(k + 3).text == ","
    ):
        statement.out[statement.positions[k + 2]] = quote_literal(words[k + 2].text.lower())


def _extract(statement: Statement, k: int) -> None:
    """r_EXTRACT_function.html: `EXTRACT(datepart FROM source)` takes Redshift's abbreviations, PostgreSQL's
    EXTRACT only some: the datepart gets its canonical name. PostgreSQL refuses an unknown one."""
    part = statement.word(k + 2)
    if statement.word(k + 1).text == "(" and part.kind == WORD and statement.word(k + 3).upper == "FROM":
        canonical = canonical_datepart(part.text)
        if canonical is not None:
            statement.out[statement.positions[k + 2]] = canonical


def _approximate(statement: Statement, k: int) -> None:
    """r_COUNT.html (APPROXIMATE COUNT(DISTINCT ...)), r_APPROXIMATE_PERCENTILE_DISC.html: the exact
    aggregate answers what the approximation estimates."""
    if statement.word(k + 1).upper in ("COUNT", "PERCENTILE_DISC") and statement.word(k + 2).text == "(":
        position = statement.positions[k]
        erase(statement.tokens, statement.out, position, with_trailing_blanks(statement.tokens, position))


def _nvl(statement: Statement, k: int) -> None:
    """r_NVL_function.html: NVL is identical to COALESCE, with any number of arguments."""
    if statement.word(k + 1).text == "(":
        statement.out[statement.positions[k]] = "COALESCE"


def _substring(statement: Statement, k: int) -> None:
    """r_SUBSTRING.html: `SUBSTRING(x FROM start [FOR length])` and `SUBSTRING(x, start[, length])` become
    substr(x, start[, length]). PostgreSQL binds its FROM ... FOR syntax to pg_catalog.substring, past
    the search_path, and Redshift's SUBSTRING also takes numbers, dates and timestamps (converted to
    text), which the emulator's substr overloads accept. PostgreSQL's own `FOR ... FROM` order, which
    Redshift lacks, is left to PostgreSQL."""
    words = statement.words
    if statement.word(k + 1).text != "(":
        return
    depth, keywords = 0, []
    for j in range(k + 2, closing_parenthesis(words, k + 1)):
        depth += (words[j].text == "(") - (words[j].text == ")")
        if depth == 0 and words[j].upper in ("FROM", "FOR"):
            keywords.append(j)
    if keywords and words[keywords[0]].upper == "FOR":
        return
    for j in keywords:
        statement.erase_words(j, j)
        statement.out[statement.positions[j]] = ","
    statement.out[statement.positions[k]] = "substr"


def _listagg(statement: Statement, k: int) -> None:
    """r_LISTAGG.html: `LISTAGG([DISTINCT] expr [, 'delimiter']) [WITHIN GROUP (ORDER BY ...)]`, and as a
    window function with `OVER ([PARTITION BY ...])` (r_WF_LISTAGG.html), without DISTINCT there.

    NULLs and empty strings are left out, the delimiter defaults to none, and the column is named listagg.
    The values are gathered with array_agg and turned to text only at the end, so that DISTINCT and
    ORDER BY compare them as what they are (numbers in numeric order).
    """
    words = statement.words
    if statement.word(k + 1).text != "(":
        return
    closing = closing_parenthesis(words, k + 1)
    distinct = statement.word(k + 2).upper == "DISTINCT"
    arguments = _arguments(words, k + 3 if distinct else k + 2, closing)
    if len(arguments) not in (1, 2):
        raise RedshiftError("LISTAGG takes an expression and an optional delimiter", "42883")
    moved = list(arguments)
    end, order, window = closing, "", None
    if _keywords(words[end + 1 : end + 3]) == ["WITHIN", "GROUP"] and statement.word(end + 3).text == "(":
        group_closing = closing_parenthesis(words, end + 3)
        if group_closing > end + 4:
            order = " " + statement.text(end + 4, group_closing - 1)
            moved.append((end + 4, group_closing - 1))
        end = group_closing
    if statement.word(end + 1).upper == "OVER" and statement.word(end + 2).text == "(":
        window_closing = closing_parenthesis(words, end + 2)
        window = statement.text(end + 3, window_closing - 1) if window_closing > end + 3 else ""
        if window_closing > end + 3:
            moved.append((end + 3, window_closing - 1))
        end = window_closing
    expression = statement.text(*arguments[0])
    delimiter = statement.text(*arguments[1]) if len(arguments) == 2 else "''"
    if window is None:
        values = f"array_agg({'DISTINCT ' if distinct else ''}{expression}{order})"
    elif distinct:
        raise RedshiftError(
            "LISTAGG(DISTINCT ...) OVER (...) is not supported by the lab's Redshift emulator", "0A000"
        )
    else:
        frame = " ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING" if order else ""
        values = f"(array_agg({expression}) OVER ({window}{order}{frame}))"
    text = f"NULLIF(array_to_string(array_remove({values}::text[], ''), {delimiter}), '')"
    if _is_select_item(statement, k, end):
        text += " AS listagg"
    statement.replace(k, end, text, moved)


def _arguments(words: list[Token], first: int, closing: int) -> list[tuple[int, int]]:
    """(first, last) word of each comma-separated argument from words[first] to the ")" at words[closing]."""
    arguments, depth = [], 0
    for j in range(first, closing):
        depth += (words[j].text == "(") - (words[j].text == ")")
        if depth == 0 and words[j].text == ",":
            arguments.append((first, j - 1))
            first = j + 1
    arguments.append((first, closing - 1))
    return [(a, b) for a, b in arguments if a <= b]


def _is_select_item(statement: Statement, first: int, last: int) -> bool:
    """Whether words[first..last] is a whole item of a SELECT list, without an alias."""
    words = statement.words
    following = statement.word(last + 1)
    if (following.upper or following.text) not in _AFTER_SELECT_ITEM:
        return False
    depth = 0
    for j in range(first - 1, -1, -1):
        depth += (words[j].text == ")") - (words[j].text == "(")
        if depth < 0:
            return False
        if depth == 0 and words[j].upper in _CLAUSES:
            before = words[first - 1]
            return words[j].upper == "SELECT" and (
                j == first - 1
                or before.text == ","
                or before.upper in ("DISTINCT", "ALL")
                or (before.kind == NUMBER and first >= 2 and words[first - 2].upper == "TOP")
            )
    return False


_EXPRESSION_RULES = {
    "TOP": _top,
    "DATEADD": _bare_datepart,
    "DATEDIFF": _bare_datepart,
    "DATE_PART": _bare_datepart,
    "PGDATE_PART": _bare_datepart,
    "EXTRACT": _extract,
    "APPROXIMATE": _approximate,
    "NVL": _nvl,
    "SUBSTRING": _substring,
    "LISTAGG": _listagg,
}
