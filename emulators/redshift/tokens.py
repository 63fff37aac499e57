"""A small SQL tokenizer, exact enough that rewriting never touches what it must not.

Every character of the input belongs to exactly one token, so joining the tokens' texts gives the input
back. String literals (standard '' and E'' with backslash escapes), comments (-- and nested /* */),
dollar-quoted bodies and quoted identifiers are single tokens. Redshift's temporary table names
(`#name`) are tokens of their own kind. The tokenizer never raises: an unterminated construct runs to
the end of the text and PostgreSQL reports it. The helpers at the end edit a statement token by token.
"""

from __future__ import annotations

import re
from typing import NamedTuple

WS = "ws"
COMMENT = "comment"
STRING = "string"
DOLLAR = "dollar"
QIDENT = "qident"
HASH = "hash"
WORD = "word"
NUMBER = "number"
PARAM = "param"
SEMI = "semi"
OP = "op"

INSIGNIFICANT = frozenset((WS, COMMENT))


class Token(NamedTuple):
    kind: str
    text: str

    @property
    def upper(self) -> str:
        """The keyword spelling of a word token (case-insensitive comparisons)."""
        return self.text.upper() if self.kind == WORD else ""


_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>--[^\n]*)
    | (?P<string>[eE]'(?:[^'\\]+|\\.|'')*'?|(?:[bBxXnN]|[uU]&)?'(?:[^']+|'')*'?)
    | (?P<qident>(?:[uU]&)?"(?:[^"]+|"")*"?)
    | (?P<hash>\#[^\W\d][\w$]*)
    | (?P<word>[^\W\d][\w$]*)
    | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<param>\$\d+)
    | (?P<semi>;)
    | (?P<op>.)
    """,
    re.S | re.X,
)
_DOLLAR_TAG = re.compile(r"\$(?:[^\W\d]\w*)?\$")
_COMMENT_MARK = re.compile(r"/\*|\*/")
# `a#b` is PostgreSQL's XOR operator; `#b` after a space, comma or parenthesis is a Redshift temp table.
_HASH_IS_OPERATOR_AFTER = frozenset((WORD, QIDENT, NUMBER, HASH, PARAM))


def tokenize(sql: str) -> list[Token]:
    tokens: list[Token] = []
    pos, end_of_text = 0, len(sql)
    while pos < end_of_text:
        char = sql[pos]
        if char == "/" and sql.startswith("/*", pos):
            kind, end = COMMENT, _block_comment_end(sql, pos)
        elif char == "$" and (tag := _DOLLAR_TAG.match(sql, pos)):
            close = sql.find(tag.group(), tag.end())
            kind, end = DOLLAR, end_of_text if close < 0 else close + len(tag.group())
        else:
            match = _TOKEN.match(sql, pos)
            kind, end = match.lastgroup, match.end()
            if kind == HASH and tokens and _glued_to_operand(tokens[-1]):
                kind, end = OP, pos + 1
        tokens.append(Token(kind, sql[pos:end]))
        pos = end
    return tokens


def _glued_to_operand(previous: Token) -> bool:
    return previous.kind in _HASH_IS_OPERATOR_AFTER or previous.text == ")"


def _block_comment_end(sql: str, start: int) -> int:
    """PostgreSQL block comments nest: /* a /* b */ c */ is one comment."""
    depth, pos = 0, start
    for mark in _COMMENT_MARK.finditer(sql, start):
        if mark.start() < pos:
            continue
        depth += 1 if mark.group() == "/*" else -1
        pos = mark.end()
        if depth == 0:
            return pos
    return len(sql)


def split_statements(tokens: list[Token]) -> list[list[Token]]:
    """Tokens grouped per statement; each group keeps its terminating semicolon."""
    statements: list[list[Token]] = [[]]
    for token in tokens:
        statements[-1].append(token)
        if token.kind == SEMI:
            statements.append([])
    if not statements[-1]:
        statements.pop()
    return statements


def significant(tokens: list[Token]) -> list[Token]:
    return [token for token in tokens if token.kind not in INSIGNIFICANT]


def string_value(token: Token) -> str:
    """The value of a string literal token: '' undoubled; E'' escapes decoded."""
    text = token.text
    if text[:1] in "eE":
        return _decode_backslashes(text[2:-1])
    if text[:1] in "nN":
        text = text[1:]
    return text[1:-1].replace("''", "'")


_BACKSLASH = re.compile(r"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))", re.S)
_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _decode_backslashes(body: str) -> str:
    def replace(match: re.Match[str]) -> str:
        octal, hexa, other = match.groups()
        if octal:
            return chr(int(octal, 8))
        if hexa:
            return chr(int(hexa, 16))
        return _SIMPLE_ESCAPES.get(other, other)

    return _BACKSLASH.sub(replace, body.replace("''", "'"))


def quote_literal(value: str) -> str:
    """A standard SQL string literal (standard_conforming_strings is on in PostgreSQL)."""
    return "'" + value.replace("'", "''") + "'"


def quote_hash_name(token: Token) -> str:
    """`#Name` -> `"#name"`: unquoted names fold to lower case in Redshift and PostgreSQL alike."""
    return '"' + token.text.lower() + '"'


# Editing a statement: rewrite.py and dialect.py change ``out``, the list of its tokens' texts, in place,
# and address the significant tokens ("words") through ``positions``, their indexes in ``tokens``.


def closing_parenthesis(words: list[Token], opening: int) -> int:
    """Index of the ")" that closes the "(" at words[opening] (the last word if it is never closed)."""
    return closing_bracket(words, opening, "(", ")")


def closing_bracket(words: list[Token], opening: int, opener: str, closer: str) -> int:
    """Index of the `closer` that closes the `opener` at words[opening] (the last word if never closed)."""
    depth = 0
    for k in range(opening, len(words)):
        depth += (words[k].text == opener) - (words[k].text == closer)
        if depth == 0:
            return k
    return len(words) - 1


def erase(tokens: list[Token], out: list[str], start: int, end: int) -> None:
    """Blank tokens[start..end] but their comments and the blanks on either side of a comment (the line
    break that ends a -- comment must stay)."""
    for index in range(start, end + 1):
        beside_comment = tokens[index].kind == WS and COMMENT in (
            tokens[index - 1].kind if index > 0 else None,
            tokens[index + 1].kind if index + 1 < len(tokens) else None,
        )
        if tokens[index].kind != COMMENT and not beside_comment:
            out[index] = ""


def with_leading_blanks(tokens: list[Token], index: int) -> int:
    while index > 0 and tokens[index - 1].kind == WS:
        index -= 1
    return index


def with_trailing_blanks(tokens: list[Token], index: int) -> int:
    while index + 1 < len(tokens) and tokens[index + 1].kind == WS:
        index += 1
    return index
