"""Redshift's SUPER syntax in PostgreSQL's jsonb forms: token rewrites, called once per statement by
rewrite.py. SUPER is jsonb under the domain redshift_emulator.super (sql/super.sql).

- `ARRAY(a, b, ...)` (r_array.html) becomes `CAST(jsonb_build_array(a, b, ...) AS super)`; ARRAY[...] and
  ARRAY(SELECT ...) stay PostgreSQL's.
- `x::super` and `CAST(x AS SUPER)` become `redshift_emulator.to_super(x)`: a string is a string scalar, a
  number a number (limitations-super.html), where PostgreSQL would parse the string as JSON.
- PartiQL navigation (query-super.html, navigating with dot and bracket notation): `c.a.b` and `c.a[1].b` on a
  SUPER column become `c['a']['b']` and `c['a'][1]['b']`, PostgreSQL's jsonb subscripts, which give NULL for a
  path that is not there, as Redshift's lax mode does. `c[0]` is already a jsonb subscript.
- A navigated value compared with a literal (`c.a = 'x'`, `c.a > 2`) is compared with the literal as a SUPER
  scalar (to_jsonb); cast to another type (`c.a::int`) it is read through redshift_emulator._super_as, NULL
  where the value is not of that type (limitations-super.html).
- Unnesting (query-super.html, unnesting queries): `FROM t, t.arr AS x [AT i]` reads each element of the
  array as x (and its 0-based place as i), through a LATERAL subquery; an alias of an unnested element is a
  value, navigated in turn (`x.field`).

What is a navigation, without the catalog (rewrite() is a pure function of the text): a dotted name
`p1.p2...` outside a relation's place. Its first parts up to the last that names a relation of the
statement (a table as written in a FROM, JOIN, UPDATE, INTO or USING, any suffix of it, an alias, a CTE) say
which column it is; the parts after that column navigate into it. A name whose first part names no relation
of the statement is itself a column (`c.a`, c a SUPER column of the one table read). Never navigated: names
in pg_catalog, information_schema, public or the emulator's schema, a function's name (followed by "("), a
type (after "::", AS or COLLATE), and anything in a statement other than a query, INSERT, UPDATE, DELETE, or
the query of a CREATE ... AS.
"""

from __future__ import annotations

import re

from emulators.redshift.sql.dialect import Statement
from emulators.redshift.sql.functions import FUNCTION_SCHEMA
from emulators.redshift.tokens import (
    NUMBER,
    QIDENT,
    STRING,
    WORD,
    Token,
    closing_bracket,
    closing_parenthesis,
    quote_literal,
)

# Substrings (of the lower-cased statement) that ARRAY(...) and casts to SUPER need; navigation and unnesting
# need a dotted name outside a relation's place (may_navigate).
TRIGGER_WORDS = ("array", "super")
# A dotted name (its first part and the dot), in the lower-cased text, and the word just before it.
_DOTTED_NAME = re.compile(r'(?:(\w+)\s+)?(?:[a-z_][\w$]*|"[^"]*")\s*\.\s*[a-z_"\[]')

SUPER_TYPE = f"{FUNCTION_SCHEMA}.super"
_STATEMENTS = frozenset(("SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "CREATE", "("))
# A word before a relation's name (FROM, JOIN and a FROM list's comma are handled with unnesting).
_BEFORE_RELATION = frozenset(("UPDATE", "INTO", "USING", "TABLE", "ONLY", "LIKE", "REFERENCES", "VIEW"))
# A word before a type or a name that is not a column.
_BEFORE_TYPE_OR_NAME = frozenset(("AS", "COLLATE", "AT"))
_BEFORE_A_TABLE = frozenset(
    ("from", "join", "into", "update", "table", "only", "view", "references", "using")
)
_NEVER_NAVIGATED = frozenset(("pg_catalog", "information_schema", "public", FUNCTION_SCHEMA))
# Words that follow a FROM item and so are no alias of it.
_NOT_AN_ALIAS = frozenset(
    ("WHERE", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "ON", "USING", "GROUP", "ORDER",
     "HAVING", "LIMIT", "OFFSET", "UNION", "INTERSECT", "EXCEPT", "WINDOW", "SET", "VALUES", "SELECT", "AT",
     "RETURNING", "FOR", "QUALIFY", "TABLESAMPLE", "WITH", "LATERAL", "OUTER")
)  # fmt: skip
_CLAUSE_ENDS = frozenset(
    ("WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "UNION", "INTERSECT", "EXCEPT", "WINDOW",
     "QUALIFY", "RETURNING")
)  # fmt: skip
_COMPARISONS = frozenset(("=", "<", ">", "<>", "!=", "<=", ">="))
# Types of more than one word: the words that may follow the first, in order.
_LONG_TYPES = {
    "DOUBLE": ("PRECISION",),
    "CHARACTER": ("VARYING",),
    "TIMESTAMP": ("WITH", "WITHOUT", "TIME", "ZONE"),
    "TIME": ("WITH", "WITHOUT", "TIME", "ZONE"),
}


def may_navigate(lowered: str) -> bool:
    """Whether the lower-cased statement has a dotted name outside a relation's place (`c.a`, `t.c.a`, but
    not `FROM schema.table`), or a subscript followed by a dot (`c[0].a`): a cheap test, on the text, before
    any tokenizing; literals and comments may make it say yes for nothing."""
    if "." not in lowered:
        return False
    if "]." in lowered:
        return True
    return any(match.group(1) not in _BEFORE_A_TABLE for match in _DOTTED_NAME.finditer(lowered))


def rewrite_super(statement: Statement) -> None:
    """Rewrite the SUPER syntax of ``statement`` (its ``out`` changed in place)."""
    words = statement.words
    if not words or words[0].upper not in _STATEMENTS:
        return
    _array_constructors(statement)
    _casts_to_super(statement)
    first = 0
    if words[0].upper == "CREATE":
        first = next((k for k, word in enumerate(words) if word.upper in ("SELECT", "WITH")), len(words))
    relations = _Relations(words, first)
    for start, end in _chains(words, first, relations.positions):
        _navigate(statement, relations, start, end)
    for item in relations.unnested:
        _unnest(statement, *item)


def _array_constructors(statement: Statement) -> None:
    words, out, positions = statement.words, statement.out, statement.positions
    for k in range(len(words) - 2):
        if words[k].upper != "ARRAY" or words[k + 1].text != "(" or (k > 0 and words[k - 1].text == "."):
            continue
        if words[k + 2].upper in ("SELECT", "WITH", "VALUES") or words[k + 2].text == "(":
            continue  # PostgreSQL's ARRAY(subquery)
        out[positions[k]] = "CAST(jsonb_build_array"
        out[positions[closing_parenthesis(words, k + 1)]] += f" AS {SUPER_TYPE})"


def _casts_to_super(statement: Statement) -> None:
    words, out, positions = statement.words, statement.out, statement.positions
    for k in range(len(words) - 2):
        if words[k].text == ":" and words[k + 1].text == ":" and words[k + 2].upper == "SUPER" and k > 0:
            start = _operand_start(words, k - 1)
            out[positions[start]] = f"{FUNCTION_SCHEMA}.to_super(" + out[positions[start]]
            out[positions[k]] = ")"
            out[positions[k + 1]] = out[positions[k + 2]] = ""
        elif words[k].upper == "CAST" and words[k + 1].text == "(":
            closing = closing_parenthesis(words, k + 1)
            if words[closing - 1].upper == "SUPER" and words[closing - 2].upper == "AS":
                out[positions[k]] = f"{FUNCTION_SCHEMA}.to_super"
                out[positions[closing - 2]] = out[positions[closing - 1]] = ""


def _operand_start(words: list[Token], last: int) -> int:
    """The first word of the operand of `::` that ends at words[last]: a literal, a dotted name with its
    subscripts, a parenthesized expression or a function call, itself maybe cast (`x::int::super`)."""
    k = last
    while True:
        if words[k].text in (")", "]"):
            k = _opening(words, k)
            if k > 0 and words[k - 1].kind in (WORD, QIDENT) and words[k].text == "(":
                k -= 1  # a function call
            elif words[k].text == "[":
                k -= 1  # a subscript: its operand goes on
                continue
        while k >= 2 and words[k - 1].text == "." and words[k - 2].kind in (WORD, QIDENT):
            k -= 2
        if k >= 3 and words[k - 1].text == ":" and words[k - 2].text == ":":
            k -= 3
            continue
        return k


def _opening(words: list[Token], closing: int) -> int:
    """Index of the "(" or "[" that the ")" or "]" at words[closing] closes."""
    pair = {")": "(", "]": "["}[words[closing].text]
    depth = 0
    for k in range(closing, -1, -1):
        depth += (words[k].text == words[closing].text) - (words[k].text == pair)
        if depth == 0:
            return k
    return 0


def _part(token: Token) -> str:
    return token.text[1:-1].replace('""', '"') if token.kind == QIDENT else token.text.lower()


def _name_end(words: list[Token], k: int) -> int:
    while k + 2 < len(words) and words[k + 1].text == "." and words[k + 2].kind in (WORD, QIDENT):
        k += 2
    return k


class _Relations:
    """What the statement names as relations: their names as written and every suffix of them, aliases
    and CTEs; where those names stand; and the FROM items that unnest a SUPER array."""

    def __init__(self, words: list[Token], first: int) -> None:
        self.names: set[tuple[str, ...]] = {("excluded",)}
        self.values: set[str] = set()  # aliases of unnested elements: values, not relations
        self.positions: set[int] = set()  # words that are part of a relation's name or alias
        # (first word, last word of its path, alias word or None, AT word or None)
        self.unnested: list[tuple[int, int, int | None, int | None]] = []
        from_depths: list[int] = []  # depths at which a FROM list is open
        depth = 0
        for k in range(first, len(words)):
            word = words[k]
            if word.text == "(":
                depth += 1
            elif word.text == ")":
                from_depths = [d for d in from_depths if d < depth]
                depth -= 1
                self._alias(words, k + 1)
            elif word.upper in ("FROM", "JOIN"):
                from_depths = [d for d in from_depths if d != depth] + [depth]
                self._item(words, k + 1)
            elif word.text == "," and depth in from_depths:
                self._item(words, k + 1)
            elif word.upper in _CLAUSE_ENDS:
                from_depths = [d for d in from_depths if d != depth]
            elif (
                word.upper in _BEFORE_RELATION and k + 1 < len(words) and words[k + 1].kind in (WORD, QIDENT)
            ):
                self._relation(words, k + 1, _name_end(words, k + 1))
            elif word.upper == "AS" and k > 0 and k + 1 < len(words) and words[k + 1].text == "(":
                self.names.add((_part(words[k - 1]),))  # a CTE
            elif word.upper == "AS" and k + 1 < len(words) and words[k + 1].kind in (WORD, QIDENT):
                self.names.add((_part(words[k + 1]),))  # any alias: at worst a navigation left alone

    def _item(self, words: list[Token], k: int) -> None:
        if k >= len(words) or words[k].kind not in (WORD, QIDENT) or words[k].upper == "LATERAL":
            return
        end = _name_end(words, k)
        if end + 1 < len(words) and words[end + 1].text == "(":
            return  # a function in FROM: its alias follows its ")"
        head = _part(words[k])
        if end > k and ((head,) in self.names or head in self.values):
            alias = self._alias(words, end + 1, value=True)
            at = None
            if alias is not None and alias + 2 < len(words) and words[alias + 1].upper == "AT":
                at = alias + 2
            self.unnested.append((k, end, alias, at))
            return
        self._relation(words, k, end)

    def _relation(self, words: list[Token], k: int, end: int) -> None:
        parts = tuple(_part(words[j]) for j in range(k, end + 1, 2))
        self.names.update(parts[i:] for i in range(len(parts)))
        self.positions.update(range(k, end + 1))
        self._alias(words, end + 1)

    def _alias(self, words: list[Token], k: int, value: bool = False) -> int | None:
        """Record the alias at words[k] (after an optional AS); its index, or None if there is none."""
        if k < len(words) and words[k].upper == "AS":
            k += 1
        if k >= len(words) or words[k].kind not in (WORD, QIDENT) or words[k].upper in _NOT_AN_ALIAS:
            return None
        self.positions.add(k)
        if value:
            self.values.add(_part(words[k]))
        else:
            self.names.add((_part(words[k]),))
        return k


def _chains(words: list[Token], first: int, taken: set[int]) -> list[tuple[int, int]]:
    """(first, last word) of each dotted name with its subscripts, outside the places of relations."""
    chains, k = [], first
    while k < len(words):
        word = words[k]
        before = words[k - 1] if k > 0 else Token(WORD, "")
        if (
            word.kind not in (WORD, QIDENT)
            or k in taken
            or before.text in (".", ":")
            or before.upper in _BEFORE_TYPE_OR_NAME
        ):
            k += 1
            continue
        end = k
        while end + 1 < len(words):
            following = words[end + 1]
            if following.text == "." and end + 2 < len(words) and words[end + 2].kind in (WORD, QIDENT):
                end += 2
            elif following.text == "[":
                end = closing_bracket(words, end + 1, "[", "]")
            else:
                break
        after = words[end + 1] if end + 1 < len(words) else Token(WORD, "")
        if after.text != "(" and after.kind != STRING:
            chains.append((k, end))
        k = end + 1
    return chains


def _navigate(statement: Statement, relations: _Relations, start: int, end: int) -> None:
    """Rewrite the dotted name at words[start..end] if it navigates into a SUPER value."""
    words, out, positions = statement.words, statement.out, statement.positions
    dotted = [start]  # where each dotted part is, up to the first subscript
    while dotted[-1] + 2 <= end and words[dotted[-1] + 1].text == ".":
        dotted.append(dotted[-1] + 2)
    parts = [_part(words[j]) for j in dotted]
    if parts[0] in relations.values:
        column = 0  # an unnested element
    elif parts[0] in _NEVER_NAVIGATED:
        return
    else:
        named = [n for n in range(1, len(parts)) if tuple(parts[:n]) in relations.names]
        column = named[-1] if named else 0
    steps, j = [], dotted[column] + 1
    while j <= end:
        if words[j].text == "[":
            j = closing_bracket(words, j, "[", "]")
        elif words[j].text == ".":
            steps.append(j)
        j += 1
    if not steps and parts[0] not in relations.values:
        return
    for dot in steps:
        out[positions[dot]] = ""
        out[positions[dot + 1]] = "[" + quote_literal(_part(words[dot + 1])) + "]"
    _compare_as_super(statement, start, end)
    _cast_from_super(statement, start, end)


def _compare_as_super(statement: Statement, start: int, end: int) -> None:
    """A literal compared with the navigated value at words[start..end] becomes a SUPER scalar."""
    words = statement.words
    operator = _operator_length(words, end + 1, 1)
    if operator:
        _literal_as_super(statement, end + 1 + operator)
    operator = _operator_length(words, start - 1, -1)
    if operator:
        _literal_as_super(statement, start - 1 - operator)


def _operator_length(words: list[Token], k: int, direction: int) -> int:
    """How many words the comparison operator that starts at words[k] has, reading in ``direction``; 0 if
    there is none (operators are a word a character: `<=` is two)."""
    if not 0 <= k < len(words) or words[k].text not in "=<>!":
        return 0
    other = k + direction
    if 0 <= other < len(words):
        pair = "".join(words[j].text for j in sorted((k, other)))
        if pair in _COMPARISONS:
            return 2
    return 1 if words[k].text in "=<>" else 0


def _literal_as_super(statement: Statement, k: int) -> None:
    word, position = statement.words[k], statement.positions[k]
    if word.kind == STRING:
        statement.out[position] = f"to_jsonb(CAST({statement.out[position]} AS text))"
    elif word.kind == NUMBER or word.upper in ("TRUE", "FALSE"):
        statement.out[position] = f"to_jsonb({statement.out[position]})"


def _cast_from_super(statement: Statement, start: int, end: int) -> None:
    """`value::type` after the navigated value at words[start..end]: NULL where it is not of the type."""
    words, out, positions = statement.words, statement.out, statement.positions
    first = end + 3
    if first >= len(words) or words[end + 1].text != ":" or words[end + 2].text != ":":
        return
    if words[first].upper == "SUPER" or words[first].kind not in (WORD, QIDENT):
        return
    last = first
    for following in _LONG_TYPES.get(words[first].upper, ()):
        if last + 1 < len(words) and words[last + 1].upper == following:
            last += 1
    if last + 1 < len(words) and words[last + 1].text == "(":
        last = closing_parenthesis(words, last + 1)
    type_text = statement.text(first, last)
    out[positions[start]] = f"{FUNCTION_SCHEMA}._super_as(" + out[positions[start]]
    out[positions[end]] += ", NULL"
    out[positions[last]] += ")::" + type_text


def _unnest(statement: Statement, start: int, end: int, alias: int | None, at: int | None) -> None:
    """`FROM ..., path [AS] x [AT i]`: each element of the array at the path as x, its 0-based place as i
    (query-super.html). The path's text is already navigated."""
    out, positions = statement.out, statement.positions
    path = statement.text(start, end)
    name = out[positions[alias]] if alias is not None else "element"
    columns = f"element AS {name}"
    if at is not None:
        columns += f", place - 1 AS {out[positions[at]]}"
    statement.replace(
        start,
        at if at is not None else alias if alias is not None else end,
        f"LATERAL (SELECT {columns} FROM {FUNCTION_SCHEMA}._elements({path}) WITH ORDINALITY"
        f" AS elements(element, place)) AS {name}",
        [(start, end)],
    )
