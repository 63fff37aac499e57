"""COPY ... JSON: records of JSON text -> the fields of the target columns, as Redshift maps them.

copy-usage_notes-copy-from-json.html
(https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-json.html):
* 'auto' matches each object's keys to the column names ('auto ignorecase': whatever their case); a
  missing key loads NULL, a key without a column is ignored.
* 's3://.../jsonpaths.json' holds {"jsonpaths": [...]}: one JSONPath a column, in column order, in
  bracket ($['a']['b'][0]) or dot ($.a.b[0]) notation; the data may then be objects or arrays.
* An object or array value loads as its JSON text; strings load unquoted, with \\n and \\t decoded.

The file is a stream of JSON texts, usually one a line (what SqlToS3Operator writes with
df_kwargs={"orient": "records", "lines": True}) but an object may span lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence

from emulators.redshift.errors import RedshiftError
from emulators.redshift.load.conversion import BadField, Column, RowConverter
from emulators.redshift.plan import CopyFromS3

AUTO = "auto"
AUTO_IGNORECASE = "auto ignorecase"
# r_Load_Error_Reference.html: 1216, "Invalid input line", is the code of every JSON parsing failure.
INVALID_INPUT = 1216
NOT_AN_OBJECT = "Invalid JSONPath format: Member is not an object."
MAX_RECORD_CHARS = 4 * 1024 * 1024  # Redshift's limit on one JSON object or array
_DECODER = json.JSONDecoder()
_BRACKET_STEP = re.compile(r"\[(?:'((?:[^'\\]|\\.)*)'|(\d+))\]")
_DOT_STEP = re.compile(r"\.([^.'\[\]]+)|\[(\d+)\]")

# A record: (line_number, raw text, the parsed JSON value or the ValueError that parsing raised).
JsonRecord = tuple[int, str, object]
JsonPath = tuple[str | int, ...]


def parse_jsonpaths(document: bytes, url: str, column_count: int) -> list[JsonPath] | None:
    """A JSONPaths file -> one path a column; None if its object is not named "jsonpaths", which makes
    COPY fall back to 'auto'. RedshiftError for a file Redshift refuses."""
    try:
        parsed = json.loads(document)
    except ValueError as error:
        raise RedshiftError(f"Invalid JSONPath format: {error}. JSONPaths file: {url}") from None
    if not isinstance(parsed, dict) or "jsonpaths" not in parsed:
        return None
    expressions = parsed["jsonpaths"]
    if not isinstance(expressions, list) or not all(isinstance(item, str) for item in expressions):
        raise RedshiftError(f"Invalid JSONPath format: jsonpaths must be an array of strings. File: {url}")
    if len(expressions) != column_count:
        raise RedshiftError(
            "Number of jsonpaths and the number of columns should match. "
            f"JSONPath size: {len(expressions)}, Number of columns in table or column list: {column_count}"
        )
    return [parse_jsonpath(expression) for expression in expressions]


def parse_jsonpath(expression: str) -> JsonPath:
    """ "$['a']['b'][0]" or "$.a.b[0]" -> ('a', 'b', 0); wildcards, filters and mixed notations refused."""
    text = expression.strip()
    if not text.startswith("$"):
        raise RedshiftError(f"Invalid JSONPath format: {expression}")
    rest = text[1:]
    step = _BRACKET_STEP if rest.startswith("['") else _DOT_STEP
    steps: list[str | int] = []
    position = 0
    while position < len(rest):
        match = step.match(rest, position)
        if match is None:
            raise RedshiftError(f"Invalid JSONPath format: {expression}")
        name, index = match.groups()
        steps.append(int(index) if index is not None else name.replace("\\'", "'"))
        position = match.end()
    if not steps:
        raise RedshiftError(f"Invalid JSONPath format: {expression}")
    return tuple(steps)


def json_records(lines: Iterable[str]) -> Iterator[JsonRecord]:
    """One file's lines (each ending with a newline) -> its JSON texts, where each one starts."""
    pending, start_line = "", 1
    for line_number, line in enumerate(lines, 1):
        if not pending:
            if not line.strip():
                continue
            start_line = line_number
        pending += line
        position = 0
        while True:
            position = _skip_space(pending, position)
            if position == len(pending):
                pending = ""
                break
            try:
                value, end = _DECODER.raw_decode(pending, position)
            except ValueError as error:
                if error.pos >= len(pending.rstrip()) and len(pending) < MAX_RECORD_CHARS:
                    pending = pending[position:]  # the text goes on in the next line
                    break
                yield start_line, pending[position:].rstrip("\r\n"), error
                pending = ""
                break
            yield start_line, pending[position:end], value
            start_line = line_number
            position = end
    if pending.strip():
        yield start_line, pending.strip(), ValueError("Unexpected end of file")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


class JsonRowConverter:
    """A record's JSON value -> the converted fields of the load's columns (RowConverter's rules)."""

    def __init__(self, plan: CopyFromS3, columns: Sequence[Column], paths: list[JsonPath] | None) -> None:
        self._fields = RowConverter(plan, columns)
        self._paths = paths
        self._names = [column.name for column in columns]
        self._ignore_case = paths is None and plan.json_paths == AUTO_IGNORECASE

    def convert(self, value: object) -> list[str | None]:
        if isinstance(value, ValueError):
            raise BadField(None, "", INVALID_INPUT, f"Invalid JSON: {value}")
        if self._paths is not None:
            return self._fields.convert([_field_text(_follow(value, path)) for path in self._paths])
        if not isinstance(value, dict):
            raise BadField(None, "", INVALID_INPUT, NOT_AN_OBJECT)
        if self._ignore_case:
            value = {key.lower(): item for key, item in value.items()}
        return self._fields.convert([_field_text(value.get(name)) for name in self._names])


def _follow(value: object, path: JsonPath) -> object:
    for step in path:
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and step < len(value) else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def _field_text(value: object) -> str | None:
    """A JSON value as the text of a field: JSON's own text for numbers, objects and arrays."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
