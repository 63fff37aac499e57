"""Redshift's COPY and UNLOAD parameters: parsed into plans, and rendered as the PostgreSQL COPY that
runs instead. All of the emulator's knowledge of these parameters lives here, each rule with the AWS
page it follows; a parameter without a rule here is refused by name, never ignored.

COPY:   https://docs.aws.amazon.com/redshift/latest/dg/r_COPY.html (its pages copy-parameters-*.html)
UNLOAD: https://docs.aws.amazon.com/redshift/latest/dg/r_UNLOAD.html
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import fields

from emulators.redshift.errors import RedshiftError
from emulators.redshift.load.conversion import check_format_string
from emulators.redshift.plan import CopyFromS3, S3Credentials, UnloadToS3
from emulators.redshift.tokens import NUMBER, OP, QIDENT, STRING, WORD, Token, quote_literal, string_value

SYNTAX_ERROR = "42601"
FEATURE_NOT_SUPPORTED = "0A000"

# copy-parameters-authorization.html: the keys of a CREDENTIALS string.
CREDENTIAL_KEYS = {
    "aws_access_key_id": "access_key_id",
    "aws_secret_access_key": "secret_access_key",
    "token": "session_token",
    "aws_iam_role": "iam_role",
}
_KEY_NAME = re.compile(r"[a-z_]{1,40}")
_SINGLE_CHAR_ESCAPES = {"\\t": "\t", "\\n": "\n", "\\r": "\r", "\\\\": "\\"}
_OCTAL_CHAR = re.compile(r"\\([0-7]{3})")


class _Cursor:
    """Reads a statement's significant tokens left to right."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise RedshiftError("syntax error at end of input", SYNTAX_ERROR)
        self.pos += 1
        return token

    def accept(self, *words: str) -> str | None:
        token = self.peek()
        if token is not None and (token.upper in words or (token.kind == OP and token.text in words)):
            self.pos += 1
            return token.upper or token.text
        return None

    def expect(self, word: str) -> None:
        if not self.accept(word):
            raise _unexpected(self.peek())

    def string(self) -> str:
        """[AS] 'value'"""
        self.accept("AS")
        token = self.next()
        if token.kind != STRING:
            raise _unexpected(token)
        return string_value(token)

    def integer(self) -> int:
        """[AS] n"""
        self.accept("AS")
        token = self.next()
        if token.kind != NUMBER or not token.text.isdigit():
            raise _unexpected(token)
        return int(token.text)

    def name(self) -> list[Token]:
        """A possibly qualified table name: its tokens, dots included."""
        parts = [self.next()]
        if parts[0].kind not in (WORD, QIDENT):
            raise _unexpected(parts[0])
        while self.accept("."):
            part = self.next()
            if part.kind not in (WORD, QIDENT):
                raise _unexpected(part)
            parts += [Token(OP, "."), part]
        return parts

    def column_list(self) -> tuple[str, ...]:
        columns = []
        if self.accept("("):
            while True:
                token = self.next()
                if token.kind not in (WORD, QIDENT):
                    raise _unexpected(token)
                columns.append(token.text)
                if self.accept(")"):
                    break
                self.expect(",")
        return tuple(columns)

    def at(self, text: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == OP and token.text == text

    def skip_parenthesized(self) -> None:
        depth = 0
        while True:
            token = self.next()
            depth += (token.text == "(") - (token.text == ")") if token.kind == OP else 0
            if depth == 0:
                return


def _unexpected(token: Token | None) -> RedshiftError:
    if token is None:
        return RedshiftError("syntax error at end of input", SYNTAX_ERROR)
    return RedshiftError(f'syntax error at or near "{token.text}"', SYNTAX_ERROR)


def _unsupported(statement: str, option: str, why: str = "") -> RedshiftError:
    reason = f": {why}" if why else ""
    message = f"{statement} option {option} is not supported by the Redshift emulator{reason}"
    return RedshiftError(message, FEATURE_NOT_SUPPORTED)


# ---------------------------------------------------------------------------------------------------------
# Authorization, shared by COPY and UNLOAD (copy-parameters-authorization.html)


def _credentials_string(value: str, options: dict) -> None:
    # 'aws_access_key_id=..;aws_secret_access_key=..[;token=..]' or 'aws_iam_role=arn:...'
    for number, pair in enumerate(filter(None, (part.strip() for part in value.split(";"))), 1):
        key, equals, item = pair.partition("=")
        if not equals:
            # Named by position only: an element without '=' is most likely a secret cut off its key.
            raise RedshiftError(
                f"CREDENTIALS element {number} is not of the form key=value "
                "(copy-parameters-authorization.html: 'aws_access_key_id=...;aws_secret_access_key=...')"
            )
        field_name = CREDENTIAL_KEYS.get(key.strip().lower())
        if field_name is None:
            # A mistyped key name (lowercase words, as the docs spell every key) is named; anything else
            # may be a secret on the wrong side of '=' and is named by its position only.
            name = f"'{key.strip()}'" if _KEY_NAME.fullmatch(key.strip()) else f"of element {number}"
            raise RedshiftError(
                f"CREDENTIALS key {name} is not supported by the Redshift emulator "
                f"(supported: {', '.join(CREDENTIAL_KEYS)})"
            )
        options[field_name] = item.strip()


def _authorization(cursor: _Cursor, word: str, options: dict) -> bool:
    """Consume one authorization parameter; False if ``word`` is not one."""
    if word == "WITH" and cursor.accept("CREDENTIALS"):
        word = "CREDENTIALS"
    if word == "CREDENTIALS":
        _credentials_string(cursor.string(), options)
    elif word == "ACCESS_KEY_ID":
        options["access_key_id"] = cursor.string()
    elif word == "SECRET_ACCESS_KEY":
        options["secret_access_key"] = cursor.string()
    elif word == "SESSION_TOKEN":
        options["session_token"] = cursor.string()
    elif word == "IAM_ROLE":
        # IAM_ROLE default | 'arn': Redshift assumes the role; the emulator uses its ambient credentials.
        cursor.accept("AS")
        options["iam_role"] = "default" if cursor.accept("DEFAULT") else cursor.string()
    elif word == "REGION":
        options["region"] = cursor.string()
    else:
        return False
    return True


def _credentials(options: dict) -> S3Credentials:
    names = [field.name for field in fields(S3Credentials)]
    return S3Credentials(**{name: options.pop(name, None) for name in names})


def _single_char(statement: str, option: str, value: str) -> str:
    # Redshift reads '\t' and octal '\011' in DELIMITER / QUOTE as the character they name.
    value = _SINGLE_CHAR_ESCAPES.get(value, value)
    if octal := _OCTAL_CHAR.fullmatch(value):
        value = chr(int(octal.group(1), 8))
    if len(value) != 1:
        raise RedshiftError(f"{statement} {option} must be a single character, not '{value}'")
    return value


# ---------------------------------------------------------------------------------------------------------
# COPY


def parse_copy(tokens: Sequence[Token]) -> CopyFromS3 | None:
    """A COPY statement's significant tokens (after COPY; `#names` already quoted) -> its plan.

    None: the client's own `COPY ... FROM STDIN` / `COPY ... TO STDOUT`, which PostgreSQL runs as is.
    """
    cursor = _Cursor(tokens)
    if cursor.at("("):  # COPY (query) TO ...
        cursor.skip_parenthesized()
        return _client_copy_to(cursor)
    name = cursor.name()
    columns = cursor.column_list()
    if cursor.peek() is not None and cursor.peek().upper == "TO":
        return _client_copy_to(cursor)
    cursor.expect("FROM")
    if cursor.accept("STDIN"):
        return None
    source = cursor.next()
    if source.kind != STRING:
        # Redshift has no COPY FROM PROGRAM / file; PostgreSQL's would run on the server.
        raise _unexpected(source)
    url = string_value(source)
    if not url.startswith("s3://"):
        raise RedshiftError(
            f"COPY from '{url}' is not supported by the Redshift emulator: it loads from s3:// only",
            FEATURE_NOT_SUPPORTED,
        )
    options = _copy_parameters(cursor)
    last = name[-1]
    table_name = last.text[1:-1].replace('""', '"') if last.kind == QIDENT else last.text.lower()
    return CopyFromS3(
        target="".join(token.text for token in name),
        table_name=table_name,
        columns=columns,
        s3_url=url,
        credentials=_credentials(options),
        **options,
    )


def _client_copy_to(cursor: _Cursor) -> None:
    cursor.expect("TO")
    if not cursor.accept("STDOUT"):
        # Redshift writes files with UNLOAD; PostgreSQL's COPY TO 'file' would write on the server.
        raise RedshiftError("COPY ... TO is not supported by Redshift; use UNLOAD", FEATURE_NOT_SUPPORTED)


def _data_format(cursor: _Cursor, statement: str) -> str:
    """The rest of `FORMAT [AS] name` (copy-parameters-data-format.html, r_UNLOAD.html): CSV, JSON and
    PARQUET are loaded and unloaded here; AVRO, ORC, FIXEDWIDTH... are refused by name."""
    cursor.accept("AS")
    data_format = cursor.next()
    if data_format.upper not in ("CSV", "JSON", "PARQUET"):
        why = "only CSV, JSON, Parquet and text files"
        raise _unsupported(statement, f"FORMAT {data_format.text.upper()}", why)
    return data_format.upper


def _json_option(cursor: _Cursor) -> str:
    """The rest of `JSON [AS] 'json_option'` (copy-parameters-data-format.html#copy-json): 'auto',
    'auto ignorecase' or the s3:// URL of a JSONPaths file; `FORMAT AS JSON` alone means 'auto'."""
    cursor.accept("AS")
    token = cursor.peek()
    if token is None or token.kind != STRING:
        return "auto"
    cursor.next()
    value = string_value(token)
    if value.lower() in ("auto", "auto ignorecase"):
        return value.lower()
    if value.startswith("s3://"):
        return value
    if value.lower() == "noshred":
        raise _unsupported("COPY", "JSON 'noshred'", "it loads SUPER columns, which PostgreSQL lacks")
    raise RedshiftError(
        f"JSON option '{value}' is none of 'auto', 'auto ignorecase' or an s3:// JSONPaths file"
    )


def _copy_parameters(cursor: _Cursor) -> dict:
    options: dict = {}
    csv_quote: str | None = None
    given: list[str] = []  # the options named, for the checks of the JSON and Parquet formats
    while (token := cursor.peek()) is not None:
        cursor.next()
        word = token.upper
        if _authorization(cursor, word, options):
            continue
        if word == "FORMAT":
            word = _data_format(cursor, "COPY")
        given.append(word)
        if word == "JSON":
            options["format"] = "json"
            options["json_paths"] = _json_option(cursor)
        elif word == "PARQUET":
            options["format"] = "parquet"
        elif word == "CSV":
            options["format"] = "csv"
            if cursor.accept("QUOTE"):
                csv_quote = _single_char("COPY", "QUOTE", cursor.string())
        elif word == "QUOTE":
            csv_quote = _single_char("COPY", "QUOTE", cursor.string())
        elif word == "DELIMITER":
            options["delimiter"] = _single_char("COPY", "DELIMITER", cursor.string())
        elif word in ("GZIP", "BZIP2"):
            options["compression"] = word.lower()
        elif word == "MANIFEST":
            options["manifest"] = True
        elif word == "IGNOREHEADER":
            options["ignore_header"] = cursor.integer()
        elif word == "MAXERROR":
            options["max_error"] = cursor.integer()
        elif word == "NULL":
            options["null_as"] = cursor.string()
        elif word == "ACCEPTINVCHARS":
            # copy-parameters-data-conversion.html#acceptinvchars: ACCEPTINVCHARS [AS] ['replacement_char'],
            # any ASCII character but NULL, '?' by default.
            cursor.accept("AS")
            token = cursor.peek()
            replacement = "?"
            if token is not None and token.kind == STRING:
                replacement = _single_char("COPY", "ACCEPTINVCHARS", cursor.string())
                if not replacement.isascii() or replacement == "\0":
                    raise RedshiftError("ACCEPTINVCHARS replacement must be an ASCII character", SYNTAX_ERROR)
            options["accept_inv_chars"] = replacement
        elif word == "EMPTYASNULL":
            options["empty_as_null"] = True
        elif word == "BLANKSASNULL":
            options["blanks_as_null"] = True
        elif word == "ESCAPE":
            options["escape"] = True
        elif word == "DATEFORMAT":
            options["date_format"] = check_format_string("DATEFORMAT", cursor.string())
        elif word == "TIMEFORMAT":
            options["time_format"] = check_format_string("TIMEFORMAT", cursor.string())
        elif word in ("COMPUPDATE", "STATUPDATE"):
            # copy-parameters-data-load.html: choose compression encodings / refresh statistics; the
            # loaded rows are the same either way.
            cursor.accept("ON", "OFF", "TRUE", "FALSE", "PRESET")
        elif word == "EXPLICIT_IDS":
            # copy-parameters-data-conversion.html: load given values into IDENTITY columns, which
            # PostgreSQL's GENERATED BY DEFAULT AS IDENTITY (the emulator's IDENTITY) always does.
            pass
        elif word == "ENCODING":
            encoding = cursor.next()
            if encoding.text.upper().replace("-", "") != "UTF8":
                raise _unsupported("COPY", f"ENCODING {encoding.text}", "files must be UTF-8")
        elif word:
            raise _unsupported("COPY", word)
        else:
            raise _unexpected(token)
    _check_format_options(options.get("format", "text"), given)
    return _checked_copy_options(options, csv_quote)


# copy-usage_notes-copy-from-columnar.html: the only parameters COPY takes with Parquet (besides FROM
# and the authorization ones; FILLRECORD and ACCEPTINVCHARS, also listed there, are refused by name).
_PARQUET_OPTIONS = {"PARQUET", "MANIFEST", "STATUPDATE", "EXPLICIT_IDS"}
# copy-parameters-data-format.html: CSV, DELIMITER, ESCAPE, FIXEDWIDTH, IGNOREHEADER, NULL AS, QUOTE
# and REMOVEQUOTES describe delimited text; with JSON they are refused.
_NOT_WITH_JSON = {"CSV", "QUOTE", "DELIMITER", "ESCAPE", "IGNOREHEADER", "NULL"}


def _check_format_options(data_format: str, given: list[str]) -> None:
    if given.count("JSON") + given.count("PARQUET") + given.count("CSV") > 1:
        raise RedshiftError("conflicting or redundant options: more than one data format", SYNTAX_ERROR)
    if data_format == "parquet":
        refused = [word for word in given if word not in _PARQUET_OPTIONS]
    elif data_format == "json":
        refused = [word for word in given if word in _NOT_WITH_JSON]
    else:
        return
    if refused:
        argument = "NULL AS" if refused[0] == "NULL" else refused[0]
        raise RedshiftError(
            f"{argument} argument is not supported for {data_format.upper()} based COPY", SYNTAX_ERROR
        )


def _checked_copy_options(options: dict, csv_quote: str | None) -> dict:
    if options.get("format") in ("json", "parquet"):
        options["delimiter"] = ","  # the loader writes their rows upstream as CSV with the defaults
        return options
    csv = options.get("format") == "csv"
    if csv_quote is not None:
        if not csv:
            # copy-parameters-data-format.html: QUOTE is an argument of CSV.
            raise RedshiftError("QUOTE argument is only allowed with CSV format", SYNTAX_ERROR)
        options["quote"] = csv_quote
    if csv:
        options.setdefault("delimiter", ",")  # the CSV default delimiter is a comma
        if options.get("escape"):
            raise RedshiftError("CSV is not compatible with ESCAPE", SYNTAX_ERROR)
    if (null_as := options.get("null_as")) is not None and null_as in ("\\0", "\\000"):
        raise _unsupported("COPY", f"NULL AS '{null_as}'", "PostgreSQL text cannot hold NUL bytes")
    return options


def copy_from_stdin_sql(plan: CopyFromS3) -> str:
    """The PostgreSQL statement whose COPY data the loader supplies."""
    columns = f" ({', '.join(plan.columns)})" if plan.columns else ""
    return f"COPY {plan.target}{columns} FROM STDIN WITH ({', '.join(_pg_copy_from_options(plan))})"


def _pg_copy_from_options(plan: CopyFromS3) -> list[str]:
    null = declared_null(plan)
    if plan.sends_csv:
        options = ["FORMAT csv"]
        if plan.delimiter != ",":
            options.append(f"DELIMITER {quote_literal(plan.delimiter)}")
        if plan.quote != '"':
            options.append(f"QUOTE {quote_literal(plan.quote)}")
        if null:
            options.append(f"NULL {quote_literal(null)}")
        return options
    return ["FORMAT text", f"DELIMITER {quote_literal(plan.delimiter)}", f"NULL {quote_literal(null)}"]


def declared_null(plan: CopyFromS3) -> str:
    """The NULL string of the upstream COPY: what the loader's row-by-row path writes for NULL too."""
    if plan.sends_csv:
        # Redshift loads empty fields of non-character columns as NULL (copy-parameters-data-conversion
        # .html, BLANKSASNULL/EMPTYASNULL); PostgreSQL's CSV NULL '' does so for every column type.
        return "" if plan.null_as is None else plan.null_as
    # The default text format: '|' between fields, '\N' for NULL (copy-parameters-data-format.html).
    null = "" if plan.empty_as_null else ("\\N" if plan.null_as is None else plan.null_as)
    if not plan.escape:
        # Without ESCAPE a backslash is data (copy-parameters-data-conversion.html#copy-escape): the
        # loader doubles every backslash, and PostgreSQL matches NULL against the doubled raw text.
        null = null.replace("\\", "\\\\")
    return null


# ---------------------------------------------------------------------------------------------------------
# UNLOAD

# r_UNLOAD.html, MAXFILESIZE: between 5 MB and 6.2 GB, which is also the size at which UNLOAD starts a new
# file without it.
UNLOAD_MB = 1024 * 1024
UNLOAD_GB = 1024 * UNLOAD_MB
SMALLEST_UNLOAD_FILE = 5 * UNLOAD_MB
LARGEST_UNLOAD_FILE = int(6.2 * UNLOAD_GB)


def parse_unload(tokens: Sequence[Token], rewrite_query: Callable[[str], str]) -> UnloadToS3:
    """An UNLOAD statement's significant tokens (after UNLOAD) -> its plan; ``rewrite_query`` turns the
    quoted Redshift query into PostgreSQL's."""
    cursor = _Cursor(tokens)
    cursor.expect("(")
    query = cursor.next()
    if query.kind != STRING:
        raise _unexpected(query)
    cursor.expect(")")
    cursor.expect("TO")
    url = cursor.string()
    if not url.startswith("s3://"):
        raise RedshiftError(f"UNLOAD destination '{url}' must be an s3:// URL")
    options: dict = {}
    given: list[str] = []  # the options named, for the checks of the JSON and Parquet formats
    while (token := cursor.peek()) is not None:
        cursor.next()
        word = token.upper
        if _authorization(cursor, word, options):
            continue
        if word == "FORMAT":
            word = _data_format(cursor, "UNLOAD")
        given.append(word)
        if word in ("CSV", "JSON", "PARQUET"):
            options["format"] = word.lower()
        elif word == "HEADER":
            options["header"] = True
        elif word == "DELIMITER":
            options["delimiter"] = _single_char("UNLOAD", "DELIMITER", cursor.string())
        elif word == "NULL":
            options["null_as"] = cursor.string()
        elif word == "ADDQUOTES":
            options["add_quotes"] = True
        elif word == "ESCAPE":
            options["escape"] = True
        elif word == "GZIP":
            options["gzip"] = True
        elif word == "PARALLEL":
            # r_UNLOAD.html: PARALLEL [ON | TRUE] | OFF | FALSE; ON is the default.
            options["parallel"] = cursor.accept("ON", "TRUE", "OFF", "FALSE") in (None, "ON", "TRUE")
        elif word == "ALLOWOVERWRITE":
            options["allow_overwrite"] = True
        elif word == "MAXFILESIZE":
            options["max_file_size"] = _max_file_size(cursor)
        elif word == "MANIFEST":
            options["manifest"] = True
            options["manifest_verbose"] = bool(cursor.accept("VERBOSE"))
        elif word == "VERBOSE":
            raise _unexpected(token)  # r_UNLOAD.html: VERBOSE only follows MANIFEST
        elif word:
            raise _unsupported("UNLOAD", word)
        else:
            raise _unexpected(token)
    _check_unload_formats(options.get("format", "text"), given)
    _check_unload_text_options(options)
    return UnloadToS3(
        query=rewrite_query(string_value(query)), s3_url=url, credentials=_credentials(options), **options
    )


def _max_file_size(cursor: _Cursor) -> int:
    """The rest of `MAXFILESIZE [AS] max-size [MB | GB]` (r_UNLOAD.html): a decimal value between 5 MB and
    6.2 GB, in MB unless GB follows; in bytes."""
    cursor.accept("AS")
    size = cursor.next()
    if size.kind != NUMBER:
        raise _unexpected(size)
    unit = cursor.accept("MB", "GB") or "MB"
    size_bytes = int(float(size.text) * (UNLOAD_GB if unit == "GB" else UNLOAD_MB))
    if not SMALLEST_UNLOAD_FILE <= size_bytes <= LARGEST_UNLOAD_FILE:
        raise RedshiftError(f"MAXFILESIZE {size.text} {unit} is out of range: it must be from 5 MB to 6.2 GB")
    return size_bytes


# r_UNLOAD.html, FORMAT AS PARQUET | JSON: what each cannot be used with.
_NOT_WITH_UNLOAD = {
    "parquet": {"DELIMITER", "ADDQUOTES", "ESCAPE", "NULL", "HEADER", "GZIP", "BZIP2", "ZSTD"},
    "json": {"DELIMITER", "ADDQUOTES", "ESCAPE", "NULL", "HEADER"},
}


def _check_unload_formats(data_format: str, given: list[str]) -> None:
    if given.count("JSON") + given.count("PARQUET") + given.count("CSV") > 1:
        raise RedshiftError("conflicting or redundant options: more than one data format", SYNTAX_ERROR)
    refused = [word for word in given if word in _NOT_WITH_UNLOAD.get(data_format, ())]
    if refused:
        argument = "NULL AS" if refused[0] == "NULL" else refused[0]
        raise RedshiftError(
            f"{argument} argument is not supported for {data_format.upper()} based UNLOAD", SYNTAX_ERROR
        )


def _check_unload_text_options(options: dict) -> None:
    if options.get("format") != "csv":
        return
    options.setdefault("delimiter", ",")  # the CSV default delimiter is a comma
    if options.get("add_quotes"):
        # Redshift's own message; CSV quotes the fields that need it.
        raise RedshiftError("ADDQUOTES is not supported for UNLOAD to CSV", FEATURE_NOT_SUPPORTED)
    if options.get("escape"):
        # r_UNLOAD.html describes ESCAPE for delimited text only; what Redshift does with CSV is unknown.
        raise _unsupported("UNLOAD", "ESCAPE", "together with CSV")


def copy_to_stdout_sql(plan: UnloadToS3) -> str:
    """The PostgreSQL statement whose output the unloader writes to S3.

    A text unload asks for PostgreSQL's own text format with its defaults (tab-delimited, `\\N` for NULL,
    backslash escapes), which is unambiguous; unload.py rewrites each row as Redshift writes it. CSV comes
    out of PostgreSQL as Redshift writes it and passes through.

    Parquet and JSON need each value's type, which text does not tell: each row comes as one record in
    binary COPY (a record's binary form names each field's type), and the first one with the column
    names, as a JSON array (unload_formats.py).
    """
    if plan.format in ("parquet", "json"):
        names = (
            "CASE WHEN unload_first THEN (SELECT to_json(array_agg(name))"
            " FROM json_object_keys(to_json(unload_row)) AS name) END"
        )
        numbered = (
            f"SELECT unload_row, row_number() OVER () = 1 AS unload_first FROM ({plan.query}) AS unload_row"
        )
        return (
            f"COPY (SELECT unload_row, {names} FROM ({numbered}) AS numbered) TO STDOUT WITH (FORMAT binary)"
        )
    options = [f"FORMAT {plan.format}"]
    if plan.format == "csv":
        if plan.delimiter != ",":
            options.append(f"DELIMITER {quote_literal(plan.delimiter)}")
        # r_UNLOAD.html, NULL AS: without it, nulls are unloaded as zero-length strings.
        if plan.null_as:
            options.append(f"NULL {quote_literal(plan.null_as)}")
    if plan.copies_header:
        options.append("HEADER")
    return f"COPY ({plan.query}) TO STDOUT WITH ({', '.join(options)})"
