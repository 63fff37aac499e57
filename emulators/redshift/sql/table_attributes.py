"""What a CREATE TABLE declares of Redshift's storage, kept for the catalog: DISTSTYLE, DISTKEY, SORTKEY and
each column's ENCODE (r_CREATE_TABLE_NEW.html).

PostgreSQL has no place for them: rewrite.py leaves them out of the statement, and this module writes them
into a comment beside the table's name, `/* redshift_emulator.table_attributes {json} */`, which the event
trigger of sql/table_attributes.sql reads when the statement ends, in the client's own transaction. The
catalog then shows them (pg_class.reldiststyle, pg_attribute.attencodingtype / attisdistkey / attsortkeyord,
PG_TABLE_DEF, SVV_TABLE_INFO). Pure functions on tokens, like the rest of the rewriting.
"""

from __future__ import annotations

import json

from emulators.redshift.tokens import HASH, QIDENT, WORD, Token, closing_parenthesis

COMMENT_TAG = "redshift_emulator.table_attributes"
_NOT_A_COLUMN = frozenset(("CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "LIKE", "EXCLUDE"))
_DISTSTYLES = frozenset(("EVEN", "KEY", "ALL", "AUTO"))


def name_of(token: Token) -> str:
    """The name PostgreSQL stores for an identifier: unquoted names fold to lower case."""
    if token.kind == QIDENT:
        return token.text[1:-1].replace('""', '"')
    return token.text.lower() if token.kind in (WORD, HASH) else token.text


def declared_comment(words: list[Token], name: int) -> str | None:
    """The comment that records what `CREATE TABLE` (``words``, its significant tokens; ``name``: where the
    table's name is) declares, or None if it declares none of Redshift's attributes."""
    last = name
    while last + 2 < len(words) and words[last + 1].text == ".":
        last += 2
    declared: dict = {}
    columns: dict[str, dict] = {}
    k = last + 1
    if k < len(words) and words[k].text == "(":
        closing = closing_parenthesis(words, k)
        _column_attributes(words, k, closing, columns)
        k = closing + 1
    _table_attributes(words, k, declared, columns)
    if not declared and not columns:
        return None
    if "diststyle" not in declared:
        has_distkey = any(column.get("distkey") for column in columns.values())
        declared["diststyle"] = "KEY" if has_distkey else "AUTO"
    if "sortkind" not in declared and any(column.get("sortkey") for column in columns.values()):
        declared["sortkind"] = "COMPOUND"
    return _comment({"table": name_of(words[last]), **declared, "columns": columns})


def _comment(declared: dict) -> str:
    # No "/" in the comment, so that no name can end it ("*/") or nest another ("/*"): JSON reads "\/" as "/".
    text = json.dumps(declared, separators=(",", ":")).replace("/", "\\/")
    return f"/* {COMMENT_TAG} {text} */"


def _column_attributes(words: list[Token], opening: int, closing: int, columns: dict[str, dict]) -> None:
    """ENCODE, DISTKEY and SORTKEY written in a column's definition."""
    elements: list[list[int]] = [[]]
    depth = 0
    for k in range(opening + 1, closing):
        if depth == 0 and words[k].text == ",":
            elements.append([])
            continue
        depth += (words[k].text == "(") - (words[k].text == ")")
        if depth == 0 and words[k].text != ")":  # the column's own words, not a type's (10, 2)
            elements[-1].append(k)
    for element in elements:
        if not element or words[element[0]].upper in _NOT_A_COLUMN:
            continue
        attributes: dict = {}
        for k in element[1:]:
            if words[k].upper == "ENCODE" and words[k + 1].kind == WORD:
                attributes["encoding"] = words[k + 1].text.lower()
            elif words[k].upper == "DISTKEY":
                attributes["distkey"] = True
            elif words[k].upper == "SORTKEY":
                attributes["sortkey"] = 1
        if attributes:
            columns[name_of(words[element[0]])] = attributes


def _table_attributes(words: list[Token], k: int, declared: dict, columns: dict[str, dict]) -> None:
    """DISTSTYLE, DISTKEY (column), [COMPOUND | INTERLEAVED] SORTKEY (columns) | AUTO, ENCODE AUTO: after the
    column list, up to a CTAS's AS."""
    while k < len(words) and words[k].upper != "AS":
        word = words[k].upper
        following = words[k + 1] if k + 1 < len(words) else None
        if word == "DISTSTYLE" and following is not None and following.upper in _DISTSTYLES:
            declared["diststyle"] = following.upper
        elif word == "DISTKEY" and following is not None and following.text == "(":
            columns.setdefault(name_of(words[k + 2]), {})["distkey"] = True
            declared.setdefault("diststyle", "KEY")
        elif word == "SORTKEY" and following is not None and following.upper == "AUTO":
            declared["sortkind"] = None
        elif word == "SORTKEY" and following is not None and following.text == "(":
            kind = words[k - 1].upper if words[k - 1].upper in ("COMPOUND", "INTERLEAVED") else "COMPOUND"
            declared["sortkind"] = kind
            names = [
                words[j] for j in range(k + 2, closing_parenthesis(words, k + 1)) if words[j].text != ","
            ]
            for place, token in enumerate(names, start=1):
                # r_PG_TABLE_DEF.html: an interleaved key's places alternate in sign.
                sign = -1 if kind == "INTERLEAVED" and place % 2 == 0 else 1
                columns.setdefault(name_of(token), {})["sortkey"] = sign * place
        k += 1


def altered_table_sql(words: list[Token]) -> str | None:
    """What PostgreSQL runs for Redshift's `ALTER TABLE t ALTER DISTSTYLE / DISTKEY / SORTKEY / ENCODE` and
    `ALTER TABLE t ALTER COLUMN c ENCODE e` (r_ALTER_TABLE.html), or None for any other statement. ``words``:
    the statement's significant tokens, no semicolon. An ALTER TABLE that changes nothing, so that the event
    trigger sees the table, with what changed in its comment."""
    if [word.upper for word in words[:2]] != ["ALTER", "TABLE"]:
        return None
    last = 2
    while last + 2 < len(words) and words[last + 1].text == ".":
        last += 2
    rest = words[last + 1 :]
    if len(rest) < 3 or rest[0].upper != "ALTER":
        return None
    changed = _altered(rest[1:])
    if changed is None:
        return None
    table = "".join(
        f'"{word.text.lower()}"' if word.kind == HASH else word.text for word in words[2 : last + 1]
    )
    comment = _comment({"table": name_of(words[last]), "alter": True, **changed})
    return f"ALTER TABLE {table} RESET (fillfactor) {comment}"


def _altered(words: list[Token]) -> dict | None:
    kinds = [word.upper for word in words]
    if kinds[0] == "DISTSTYLE" and kinds[1] in _DISTSTYLES:
        distkey = name_of(words[3]) if kinds[1] == "KEY" and kinds[2:3] == ["DISTKEY"] else None
        return {"diststyle": kinds[1], "distkey": distkey}
    if kinds[0] == "DISTKEY":
        return {"diststyle": "KEY", "distkey": name_of(words[1])}
    if kinds[0] == "COMPOUND" and kinds[1:2] == ["SORTKEY"]:
        words, kinds = words[1:], kinds[1:]
    if kinds[0] == "SORTKEY" and kinds[1] in ("AUTO", "NONE"):
        return {"sortkind": None if kinds[1] == "AUTO" else "NONE", "sortkeys": {}}
    if kinds[0] == "SORTKEY" and words[1].text == "(":
        names = [name_of(word) for word in words[2:-1] if word.text != ","]
        return {
            "sortkind": "COMPOUND",
            "sortkeys": {name: place for place, name in enumerate(names, start=1)},
        }
    if kinds[0] == "COLUMN" and kinds[2:3] == ["ENCODE"] and len(words) == 4:
        return {"encodings": {name_of(words[1]): words[3].text.lower()}}
    if kinds == ["ENCODE", "AUTO"]:
        return {"encodings": None}
    return None
