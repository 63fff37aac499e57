"""Redshift SQL -> the SQL PostgreSQL receives, statement by statement, token by token.

Pure functions: no I/O, no state. What changes:
- `#name` (a Redshift session temporary table) becomes the quoted identifier "#name"; `CREATE TABLE #t`
  and `SELECT ... INTO #t` create it TEMP, as Redshift does (r_CREATE_TABLE_NEW.html: "a table name
  beginning with '#' indicates a temporary table").
- COPY from S3 becomes `COPY ... FROM STDIN` fed by the loader, UNLOAD becomes `COPY (query) TO STDOUT`
  written by the unloader (copy_options.py holds the parameter rules).
- Redshift-only table attributes (DISTSTYLE, DISTKEY, SORTKEY, ENCODE, BACKUP) are dropped: they tune
  storage, not results. What they declared goes along in a comment, for the catalog
  (table_attributes.py). IDENTITY(seed, step), GETDATE() and SYSDATE get their PostgreSQL spelling.
- Redshift syntax PostgreSQL lacks (SELECT TOP, LISTAGG, SHOW TABLES, bare dateparts, ...): dialect.py.
- SUPER's syntax (ARRAY(...), `::super`, PartiQL navigation and unnesting): super_paths.py.
- Calls of the emulator's Redshift functions are qualified with their schema, so that no user's function of
  the same name answers in their place (builtins.py).
- Key constraints stay in the catalog (information_schema lists them, as Redshift's does) but are not
  enforced, as on Redshift (t_Defining_constraints.html): PRIMARY KEY and UNIQUE, in CREATE TABLE and in
  ALTER TABLE ... ADD, become DEFERRABLE INITIALLY DEFERRED, whose check the session keeps from running
  (session.py). CREATE TABLE leaves out REFERENCES / FOREIGN KEY, which PostgreSQL cannot point at a
  deferrable key. A primary key's columns are NOT NULL, which Redshift enforces too.
Literals, comments, dollar-quoted bodies and quoted identifiers are never changed.
"""

from __future__ import annotations

import re

from emulators.redshift.load.copy_options import (
    copy_from_stdin_sql,
    copy_to_stdout_sql,
    parse_copy,
    parse_unload,
)
from emulators.redshift.plan import CopyFromS3, Rewritten, UnloadToS3
from emulators.redshift.sql.builtins import (
    LIBRARY_NAMES,
    LIBRARY_RELATIONS,
    qualify_library_calls,
    qualify_library_relations,
)
from emulators.redshift.sql.catalog_queries import TRIGGER_WORDS as CATALOG_TRIGGER_WORDS
from emulators.redshift.sql.dialect import (
    Statement,
    rewrite_expressions,
    rewrite_search_path,
    show_command_sql,
)
from emulators.redshift.sql.super_paths import TRIGGER_WORDS as SUPER_TRIGGER_WORDS
from emulators.redshift.sql.super_paths import may_navigate, rewrite_super
from emulators.redshift.sql.table_attributes import altered_table_sql, declared_comment
from emulators.redshift.tokens import (
    DOLLAR,
    HASH,
    INSIGNIFICANT,
    NUMBER,
    QIDENT,
    SEMI,
    STRING,
    WORD,
    WS,
    Token,
    closing_parenthesis,
    erase,
    quote_hash_name,
    split_statements,
    tokenize,
    with_leading_blanks,
    with_trailing_blanks,
)

# Every statement passes through rewrite(); substring tests on the lower-cased text (far cheaper than a
# case-insensitive regex) let the plain ones through untouched.
_MAY_NEED_REWRITING = (
    "#", "copy", "unload", "distkey", "diststyle", "sortkey", "encode", "backup", "identity", "getdate",
    "sysdate", "credentials", "access_key", "session_token", "password", "primary", "unique", "references",
    # dialect.py
    "top", "dateadd", "datediff", "date_part", "extract", "approximate", "nvl", "substring", "listagg",
    "show", "search_path",
    # catalog_queries.py
    *CATALOG_TRIGGER_WORDS,
    # super_paths.py
    *SUPER_TRIGGER_WORDS,
    # builtins.py
    *sorted(LIBRARY_NAMES), *sorted(LIBRARY_RELATIONS),
)  # fmt: skip
_SYSTEM_TABLES = ("stl_load_errors", "sys_query_history", "stl_query", "sys_load_error_detail")
_SECRET_WORDS = re.compile(r"credentials|access_key|session_token|password|token=", re.IGNORECASE)
_SECRET_IN_LITERAL = re.compile(r"aws_secret_access_key|aws_access_key_id|token\s*=|password", re.IGNORECASE)
_SECRET_OPTIONS = frozenset(
    ("CREDENTIALS", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "SESSION_TOKEN", "PASSWORD")
)
MASK = "'***'"

_TEMP_WORDS = frozenset(("GLOBAL", "LOCAL", "TEMP", "TEMPORARY", "UNLOGGED"))
# r_CREATE_TABLE_NEW.html: distribution, sort key, compression and backup attributes.
_DISTSTYLES = frozenset(("EVEN", "KEY", "ALL", "AUTO"))
# r_GETDATE.html: the start of the current statement, to the second; r_SYSDATE.html: the start of the
# current transaction. Both are timestamps without time zone in the session time zone.
_GETDATE = "CAST(date_trunc('second', statement_timestamp()) AS timestamp)"
_SYSDATE = "CAST(transaction_timestamp() AS timestamp)"


def rewrite(sql: str) -> Rewritten:
    """The client's SQL as PostgreSQL must receive it; raises RedshiftError for refused input."""
    lowered = sql.lower()
    touches_system_tables = any(name in lowered for name in _SYSTEM_TABLES)
    if not any(word in lowered for word in _MAY_NEED_REWRITING) and not may_navigate(lowered):
        return Rewritten(sql, (), sql, touches_system_tables)
    tokens = tokenize(sql)
    pieces: list[str] = []
    actions: list[CopyFromS3 | UnloadToS3 | None] = []
    for statement in split_statements(tokens):
        text, is_copy, action = _rewrite_statement(statement)
        pieces.append(text)
        if is_copy:
            actions.append(action)
    return Rewritten("".join(pieces), tuple(actions), _mask(tokens), touches_system_tables)


def mask_secrets(sql: str) -> str:
    """``sql`` with credentials and passwords replaced by '***', for anything that may reach a log."""
    if not _SECRET_WORDS.search(sql):
        return sql
    return _mask(tokenize(sql))


def _mask(tokens: list[Token]) -> str:
    out = []
    previous_words: list[str] = []
    for token in tokens:
        text = token.text
        if token.kind in (STRING, DOLLAR) and (
            _SECRET_IN_LITERAL.search(text) or (previous_words and previous_words[-1] in _SECRET_OPTIONS)
        ):
            text = MASK
        out.append(text)
        if token.kind not in INSIGNIFICANT and token.upper != "AS":
            previous_words = [token.upper]
    return "".join(out)


def _rewrite_statement(tokens: list[Token]) -> tuple[str, bool, CopyFromS3 | UnloadToS3 | None]:
    """(PostgreSQL text, whether PostgreSQL will run it as a COPY, the emulator's part in that COPY)."""
    body = [index for index, token in enumerate(tokens) if token.kind not in INSIGNIFICANT | {SEMI}]
    if not body:
        return "".join(token.text for token in tokens), False, None
    keyword = tokens[body[0]].upper
    if keyword == "COPY":
        arguments = [_with_quoted_hash(tokens[index]) for index in body[1:]]
        plan = parse_copy(arguments)
        if plan is None:
            return _rewrite_plain(tokens), True, None
        return _replace_body(tokens, body, copy_from_stdin_sql(plan)), True, plan
    if keyword == "UNLOAD":
        unload = parse_unload([tokens[index] for index in body[1:]], _rewrite_query)
        return _replace_body(tokens, body, copy_to_stdout_sql(unload)), True, unload
    if keyword == "ALTER" and (query := altered_table_sql([tokens[index] for index in body])) is not None:
        return _replace_body(tokens, body, query), False, None
    if keyword == "SHOW" and (query := show_command_sql([tokens[index] for index in body])) is not None:
        return _replace_body(tokens, body, query), False, None
    return _rewrite_plain(tokens), False, None


def _with_quoted_hash(token: Token) -> Token:
    return Token(QIDENT, quote_hash_name(token)) if token.kind == HASH else token


def _replace_body(tokens: list[Token], body: list[int], replacement: str) -> str:
    """Keep what surrounds the statement (leading comments, the semicolon, trailing blanks)."""
    before = "".join(token.text for token in tokens[: body[0]])
    after = "".join(token.text for token in tokens[body[-1] + 1 :])
    return before + replacement + after


def _rewrite_query(query: str) -> str:
    return _rewrite_plain(tokenize(query))


def _rewrite_plain(tokens: list[Token]) -> str:
    out = [token.text for token in tokens]
    positions = [index for index, token in enumerate(tokens) if token.kind not in INSIGNIFICANT]
    words = [tokens[index] for index in positions]
    for position, token in zip(positions, words, strict=True):
        if token.kind == HASH:
            out[position] = quote_hash_name(token)
    keyword = words[0].upper if words else ""
    if keyword == "CREATE":
        _create_hash_table_as_temp(words, positions, out)
        _drop_table_attributes(tokens, words, positions, out)
        _identity(words, positions, out)
        if (name := _created_table_name(words)) is not None:
            _drop_foreign_keys(tokens, words, positions, out, name)
            _defer_key_checks(words, positions, out)
            if (declared := declared_comment(words, name)) is not None:  # what was dropped, for the catalog
                out[positions[_name_end(words, name)]] += " " + declared
    elif keyword == "ALTER" and len(words) > 1 and words[1].upper == "TABLE":
        _defer_key_checks(words, positions, out)
    elif keyword in ("SELECT", "WITH"):
        _select_into_hash_table_as_temp(words, positions, out)
    _date_functions(words, positions, out)
    # dialect.py sees the statement without its semicolon
    kept = [position for position, word in zip(positions, words, strict=True) if word.kind != SEMI]
    statement = Statement(tokens, [tokens[index] for index in kept], kept, out)
    if keyword in ("SET", "RESET"):
        rewrite_search_path(statement)
    else:
        rewrite_super(statement)
        rewrite_expressions(statement)
        qualify_library_calls(statement.words, statement.positions, out)
        qualify_library_relations(statement.words, statement.positions, out)
    return "".join(out)


def _created_table_name(words: list[Token]) -> int | None:
    """Where the name is in `CREATE [LOCAL | TEMP ...] TABLE [IF NOT EXISTS] name`; None for other CREATEs."""
    k = 1
    while k < len(words) and words[k].upper in _TEMP_WORDS:
        k += 1
    if k >= len(words) or words[k].upper != "TABLE":
        return None
    k += 1
    if [word.upper for word in words[k : k + 3]] == ["IF", "NOT", "EXISTS"]:
        k += 3
    return k if k < len(words) else None


def _create_hash_table_as_temp(words: list[Token], positions: list[int], out: list[str]) -> None:
    name = _created_table_name(words)
    if name is None or words[name].kind != HASH:
        return
    table = next(k for k, word in enumerate(words) if word.upper == "TABLE")
    if not any(word.upper in ("TEMP", "TEMPORARY") for word in words[1:table]):
        out[positions[table]] = "TEMP " + out[positions[table]]


def _select_into_hash_table_as_temp(words: list[Token], positions: list[int], out: list[str]) -> None:
    for k in range(1, len(words) - 1):
        if (
            words[k].upper == "INTO"
            and words[k + 1].kind == HASH
            and words[k - 1].upper not in ("INSERT", "MERGE")
        ):
            out[positions[k]] += " TEMP"


def _drop_table_attributes(
    tokens: list[Token], words: list[Token], positions: list[int], out: list[str]
) -> None:
    k = 0
    while k < len(words):
        end = _attribute_end(words, k)
        if end is None:
            k += 1
            continue
        start = (
            k - 1 if words[k].upper == "SORTKEY" and words[k - 1].upper in ("COMPOUND", "INTERLEAVED") else k
        )
        erase(tokens, out, with_leading_blanks(tokens, positions[start]), positions[end])
        k = end + 1


def _attribute_end(words: list[Token], k: int) -> int | None:
    """Index of the last word of the table attribute starting at words[k], or None."""
    word = words[k].upper
    following = words[k + 1] if k + 1 < len(words) else Token(WS, "")
    if word == "DISTSTYLE" and following.upper in _DISTSTYLES:
        return k + 1
    if word == "ENCODE" and following.kind == WORD:  # ENCODE ( ... ) is PostgreSQL's encode() function
        return k + 1
    if word == "BACKUP" and following.upper in ("YES", "NO"):
        return k + 1
    if word in ("DISTKEY", "SORTKEY"):
        if following.text == "(":
            return closing_parenthesis(words, k + 1)
        return k + 1 if following.upper == "AUTO" else k
    return None


def _drop_foreign_keys(
    tokens: list[Token], words: list[Token], positions: list[int], out: list[str], name: int
) -> None:
    """CREATE TABLE without its REFERENCES / FOREIGN KEY constraints.

    t_Defining_constraints.html: foreign keys are informational only on Redshift. PostgreSQL cannot keep one
    without enforcing it here: it refuses a reference to a deferrable key ("cannot use a deferrable primary
    key for referenced table"), and every key the emulator creates is deferrable (see _defer_key_checks).
    ``name``: where the table's name is in ``words``.
    """
    opening = _name_end(words, name) + 1
    if opening >= len(words) or words[opening].text != "(":
        return  # CREATE TABLE ... AS query
    elements = _elements(words, opening, closing_parenthesis(words, opening))
    dropped = [_is_foreign_key(words, first) for first, _ in elements]
    for index, (first, last) in enumerate(elements):
        if not dropped[index]:
            _drop_column_references(tokens, words, positions, out, first, last)
        elif not all(dropped[:index]):  # a kept element comes before: take the comma in front
            erase(tokens, out, with_leading_blanks(tokens, positions[first - 1]), positions[last])
        elif index + 1 < len(elements):  # the first kept element comes after: take the comma behind
            erase(tokens, out, positions[first], with_trailing_blanks(tokens, positions[last + 1]))
        else:
            erase(tokens, out, positions[first], positions[last])


def _elements(words: list[Token], opening: int, closing: int) -> list[tuple[int, int]]:
    """(first, last) word of each comma-separated element between two matching parentheses."""
    elements, first, depth = [], opening + 1, 0
    for k in range(opening + 1, closing):
        depth += (words[k].text == "(") - (words[k].text == ")")
        if depth == 0 and words[k].text == ",":
            elements.append((first, k - 1))
            first = k + 1
    elements.append((first, closing - 1))
    return [(first, last) for first, last in elements if first <= last]


def _is_foreign_key(words: list[Token], first: int) -> bool:
    """Whether the CREATE TABLE element at words[first] is a `[CONSTRAINT name] FOREIGN KEY` constraint."""
    body = first + 2 if words[first].upper == "CONSTRAINT" else first
    return [word.upper for word in words[body : body + 2]] == ["FOREIGN", "KEY"]


def _drop_column_references(
    tokens: list[Token], words: list[Token], positions: list[int], out: list[str], first: int, last: int
) -> None:
    """Erase the column's `[CONSTRAINT name] REFERENCES table [(column)]` (r_CREATE_TABLE_NEW.html)."""
    for k in range(first + 1, last + 1):
        if words[k].upper != "REFERENCES" or k == last:
            continue
        start = k - 2 if k - 2 > first and words[k - 2].upper == "CONSTRAINT" else k
        end = _name_end(words, k + 1)
        if end < last and words[end + 1].text == "(":
            end = closing_parenthesis(words, end + 1)
        erase(tokens, out, with_leading_blanks(tokens, positions[start]), positions[end])


def _defer_key_checks(words: list[Token], positions: list[int], out: list[str]) -> None:
    """Make every PRIMARY KEY and UNIQUE constraint DEFERRABLE INITIALLY DEFERRED, unless it says otherwise.

    t_Defining_constraints.html: Redshift keeps these keys in its catalog but never enforces them. The index
    of a deferrable key takes a duplicate in and leaves the check to a trigger, and no trigger fires in the
    sessions the emulator opens (session_replication_role = replica, see session.py): the key stays in
    information_schema and a duplicate loads. Nor does the planner take a deferrable key as proof that a
    column holds no duplicates, so a duplicate never makes a query's answer wrong.
    """
    for k, word in enumerate(words):
        if word.upper == "UNIQUE":
            end = k
        elif word.upper == "PRIMARY" and k + 1 < len(words) and words[k + 1].upper == "KEY":
            end = k + 1
        else:
            continue
        if end + 1 < len(words) and words[end + 1].text == "(":  # a table constraint: its column list
            end = closing_parenthesis(words, end + 1)
        following = [token.upper for token in words[end + 1 : end + 3]]
        if following[:1] not in (["DEFERRABLE"], ["INITIALLY"]) and following != ["NOT", "DEFERRABLE"]:
            out[positions[end]] += " DEFERRABLE INITIALLY DEFERRED"


def _name_end(words: list[Token], k: int) -> int:
    """Last word of the possibly schema-qualified name that starts at words[k]."""
    while k + 2 < len(words) and words[k + 1].text == ".":
        k += 2
    return k


def _identity(words: list[Token], positions: list[int], out: list[str]) -> None:
    # r_CREATE_TABLE_NEW.html: IDENTITY(seed, step) and GENERATED BY DEFAULT AS IDENTITY(seed, step).
    for k in range(len(words) - 5):
        shape = [word.text for word in words[k + 1 : k + 6]]
        if words[k].upper != "IDENTITY" or shape[0] != "(" or shape[2] != "," or shape[4] != ")":
            continue
        if words[k + 2].kind != NUMBER or words[k + 4].kind != NUMBER:
            continue
        identity = f"IDENTITY (START WITH {shape[1]} INCREMENT BY {shape[3]})"
        if k == 0 or words[k - 1].upper != "AS":
            identity = "GENERATED BY DEFAULT AS " + identity
        out[positions[k]] = identity
        for index in range(positions[k] + 1, positions[k + 5] + 1):
            out[index] = ""


def _date_functions(words: list[Token], positions: list[int], out: list[str]) -> None:
    for k, word in enumerate(words):
        if k > 0 and words[k - 1].text == ".":
            continue
        following = [token.text for token in words[k + 1 : k + 3]]
        if word.upper == "GETDATE" and following == ["(", ")"]:
            out[positions[k]] = _GETDATE
            for index in range(positions[k] + 1, positions[k + 2] + 1):
                out[index] = ""
        elif word.upper == "SYSDATE" and following[:1] != ["("]:
            out[positions[k]] = _SYSDATE
