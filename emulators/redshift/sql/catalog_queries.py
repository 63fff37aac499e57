"""Queries of Redshift's catalog, as clients send them, made into PostgreSQL's: token rewrites.

sqlalchemy-redshift (what pandas uses through SQLAlchemy) and dbt-redshift read columns that only Redshift's
catalog has, and write SQL that only Redshift accepts:
- `pg_catalog.pg_class.reldiststyle`, `pg_attribute.attencodingtype / attisdistkey / attsortkeyord`,
  `pg_attrdef.adsrc`: the relation is read from the emulator's view that adds them (sql/table_attributes.sql),
  and only in a statement that names such a column, so every other catalog query runs as it came;
- `WHERE 1 AND ...`: Redshift takes the integer 1 as true there, PostgreSQL refuses it;
- a select-list alias used in the same SELECT's WHERE (`SELECT n.nspname AS "schema" ... WHERE schema =
  'public'`): Redshift resolves it to the aliased expression (r_SELECT_list.html, lateral column alias
  reference); rewritten in statements that read Redshift's catalog only, where no catalog column has the
  alias's name.
And psql's listings without a pattern (`\\dt`, `\\dv`, `\\df`, `\\dn`) leave out the emulator's own schema, as
they leave out pg_catalog and information_schema: on Redshift the system tables are not the learner's.
Pure functions on tokens; each takes a statement's significant ``words``, their ``positions`` in the token
list, and ``out``, the tokens' texts, changed in place.
"""

from __future__ import annotations

from emulators.redshift.tokens import NUMBER, QIDENT, WORD, Token

FUNCTION_SCHEMA = "redshift_emulator"  # functions.FUNCTION_SCHEMA, which imports nothing from here
# A catalog relation -> (its view with Redshift's columns, the columns that call for it).
_REDSHIFT_COLUMNS = {
    "PG_CLASS": ("_pg_class", ("reldiststyle",)),
    "PG_ATTRIBUTE": ("_pg_attribute", ("attencodingtype", "attisdistkey", "attsortkeyord")),
    "PG_ATTRDEF": ("_pg_attrdef", ("adsrc",)),
}
# Redshift's system views that the emulator keeps in its own schema (sql/*.sql): a client may qualify them
# with pg_catalog, where Redshift has them (dbt-redshift reads pg_catalog.svv_external_columns).
SYSTEM_VIEWS = frozenset(
    ("SVV_EXTERNAL_COLUMNS", "SVV_EXTERNAL_TABLES", "SVV_EXTERNAL_SCHEMAS", "SVV_TABLE_INFO", "SVV_COLUMNS",
     "PG_TABLE_DEF", "PG_CLASS_INFO", "STV_RECENTS", "STL_LOAD_ERRORS", "SYS_QUERY_HISTORY", "STL_QUERY",
     "SYS_LOAD_ERROR_DETAIL")
)  # fmt: skip
# Lower-case words whose presence sends a statement through these rules (rewrite.py's fast path).
TRIGGER_WORDS = (
    *(column for _, columns in _REDSHIFT_COLUMNS.values() for column in columns),
    "svv_external",
    "pg_get_late_binding_view_cols",
    *(f"pg_catalog.{view.lower()}" for view in SYSTEM_VIEWS),
    "where 1",
    "information_schema",
)
_READS_REDSHIFT_CATALOG = tuple(
    word for word in TRIGGER_WORDS if word not in ("where 1", "information_schema")
)
# What may follow `WHERE 1` for the 1 to stand alone as the condition.
_AFTER_CONDITION = frozenset(("AND", "OR", "ORDER", "GROUP", "UNION", "LIMIT", "HAVING", ")", ";", ""))
_ENDS_WHERE = frozenset(("GROUP", "ORDER", "UNION", "INTERSECT", "EXCEPT", "LIMIT", "HAVING", "WINDOW"))


def rewrite_catalog_reads(sql_lower: str, words: list[Token], positions: list[int], out: list[str]) -> None:
    """Every rule of this module that ``sql_lower`` (the statement's text, lower case) calls for."""
    if "where 1" in sql_lower:
        _where_one(words, positions, out)
    if "information_schema" in sql_lower:
        _hide_emulator_schema_from_psql_listings(words, positions, out)
    if any(word in sql_lower for word in _READS_REDSHIFT_CATALOG):
        _redshift_catalog_relations(sql_lower, words, positions, out)
        _lateral_aliases_in_where(words, positions, out)


def _word(words: list[Token], k: int) -> Token:
    return words[k] if 0 <= k < len(words) else Token(WORD, "")


def _where_one(words: list[Token], positions: list[int], out: list[str]) -> None:
    for k, word in enumerate(words):
        one = _word(words, k + 1)
        alone = _word(words, k + 2).text.upper() in _AFTER_CONDITION
        if word.upper == "WHERE" and one.kind == NUMBER and one.text == "1" and alone:
            out[positions[k + 1]] = "true"


def _hide_emulator_schema_from_psql_listings(
    words: list[Token], positions: list[int], out: list[str]
) -> None:
    """psql's `n.nspname <> 'information_schema'`, which only its listings without a pattern write."""
    shape = ["n", ".", "nspname", "<", ">", "'information_schema'"]  # the tokenizer splits <> in two
    for k in range(len(words) - len(shape) + 1):
        if [token.text.lower() for token in words[k : k + len(shape)]] == shape:
            out[positions[k + len(shape) - 1]] += f" AND n.nspname <> '{FUNCTION_SCHEMA}'"


def _redshift_catalog_relations(
    sql_lower: str, words: list[Token], positions: list[int], out: list[str]
) -> None:
    for k, word in enumerate(words):
        qualified = _word(words, k - 1).text == "." and _word(words, k - 2).upper == "PG_CATALOG"
        if word.upper in SYSTEM_VIEWS and qualified:
            out[positions[k - 2]] = FUNCTION_SCHEMA
            continue
        relation = _REDSHIFT_COLUMNS.get(word.upper) if word.kind == WORD else None
        if relation is None or _word(words, k + 1).text in ("(", "."):
            continue
        view, columns = relation
        if not any(column in sql_lower for column in columns):
            continue
        if _word(words, k - 1).text == ".":
            if _word(words, k - 2).upper != "PG_CATALOG":
                continue
            out[positions[k - 2]] = ""
            out[positions[k - 1]] = ""
        out[positions[k]] = f"{FUNCTION_SCHEMA}.{view}"


def _lateral_aliases_in_where(words: list[Token], positions: list[int], out: list[str]) -> None:
    """In each SELECT, an unqualified name in its WHERE that is an alias of its own select list becomes the
    aliased expression."""
    depth = 0
    depths = []
    for word in words:
        depth -= word.text == ")"
        depths.append(depth)
        depth += word.text == "("
    for k, word in enumerate(words):
        if word.upper == "SELECT":
            _rewrite_member(words, positions, out, depths, k)


def _rewrite_member(
    words: list[Token], positions: list[int], out: list[str], depths: list[int], select: int
) -> None:
    level = depths[select]
    aliases: dict[str, str] = {}
    start = k = select + 1
    while k < len(words) and not (depths[k] == level and words[k].upper == "FROM"):
        if depths[k] < level:
            return
        item_ends = depths[k] == level and _word(words, k + 1).text.upper() in (",", "FROM")
        if item_ends and _word(words, k - 1).upper == "AS" and (name := _name(words[k])) is not None:
            aliases[name] = "".join(out[positions[start] : positions[k - 2] + 1])
        if depths[k] == level and words[k].text == ",":
            start = k + 1
        k += 1
    while k < len(words) and depths[k] >= level and not (depths[k] == level and words[k].upper == "WHERE"):
        if depths[k] == level and words[k].upper in _ENDS_WHERE:
            return
        k += 1
    if not aliases or k >= len(words) or depths[k] != level:
        return
    for j in range(k + 1, len(words)):
        if depths[j] < level or (depths[j] == level and words[j].upper in _ENDS_WHERE):
            return
        qualified = _word(words, j - 1).text == "." or _word(words, j + 1).text in (".", "(")
        if (name := _name(words[j])) in aliases and not qualified:
            out[positions[j]] = f"({aliases[name]})"


def _name(token: Token) -> str | None:
    if token.kind == QIDENT:
        return token.text[1:-1].replace('""', '"')
    return token.text.lower() if token.kind == WORD else None
