"""Records of a data file as Redshift splits them, and the same rows written back in the PostgreSQL COPY
format the emulator declared upstream (``copy_options.copy_from_stdin_sql``).

Used by the loader's row-by-row path only (see conversion.py); the default path passes bytes through.

copy-parameters-data-format.html: CSV (RFC 4180 quoting, QUOTE, DELIMITER), and the default text format
(DELIMITER, default '|'; with ESCAPE a backslash makes the next character data, newline included).
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence

from emulators.redshift.load.json_records import json_records
from emulators.redshift.plan import CopyFromS3

# (line_number, raw, fields): a plain tuple, the cheapest object to make for every row.
#   line_number: the file's line the record starts on, counting data lines only (after IGNOREHEADER)
#   raw: the record's text as in the file, without its final newline
#   fields: None for a field that was the NULL AS string as written in the file (ESCAPE)
Record = tuple[int, str, list[str | None]]


def read_records(lines: Iterable[str], plan: CopyFromS3) -> Iterator[Record]:
    """One file's lines (each ending with a newline) -> its records; a JSON record's third item is its
    parsed value (json_load.py)."""
    if plan.format == "json":
        return json_records(lines)
    if plan.format == "csv":
        return _csv_records(lines, plan.delimiter, plan.quote)
    null_as = "\\N" if plan.null_as is None else plan.null_as
    return _text_records(lines, plan.delimiter, null_as if plan.escape else None)


def _csv_records(lines: Iterable[str], delimiter: str, quote: str) -> Iterator[Record]:
    lines, raw_lines = itertools.tee(lines)
    reader = csv.reader(lines, delimiter=delimiter, quotechar=quote, strict=False)
    line_number = 1
    for fields in reader:
        # csv.reader pulls exactly the lines of one record before it returns it; line_num counts them.
        last_line = reader.line_num
        if last_line == line_number:  # the usual single line: next() costs far less than join(islice())
            raw = next(raw_lines)
        else:
            raw = "".join(itertools.islice(raw_lines, last_line - line_number + 1))
        yield line_number, raw.rstrip("\r\n"), fields or [""]
        line_number = last_line + 1


def _text_records(lines: Iterable[str], delimiter: str, escaped_null: str | None) -> Iterator[Record]:
    """``escaped_null``: with ESCAPE, the NULL AS string, compared with each field before its escapes."""
    if escaped_null is None:  # without ESCAPE every line is a record
        for line_number, line in enumerate(lines, 1):
            raw = line.removesuffix("\n")
            yield line_number, raw, raw.split(delimiter)
        return
    line_number, pending = 1, ""
    for line in lines:
        pending += line
        if _ends_escaped(pending):
            continue  # a backslash before the newline: the newline is data, the record goes on
        raw = pending.removesuffix("\n")
        yield line_number, raw, _escaped_fields(raw, delimiter, escaped_null)
        line_number += pending.count("\n")
        pending = ""
    if pending:  # the file's last newline was escaped: the record ends with the file
        yield line_number, pending, _escaped_fields(pending, delimiter, escaped_null)


def _ends_escaped(text: str) -> bool:
    body = text[:-1] if text.endswith("\n") else text
    return text.endswith("\n") and (len(body) - len(body.rstrip("\\"))) % 2 == 1


def _escaped_fields(raw: str, delimiter: str, null_as: str) -> list[str | None]:
    fields: list[str | None] = []
    current: list[str] = []
    start, position = 0, 0
    while position < len(raw):
        character = raw[position]
        if character == "\\":
            current.append(raw[position + 1 : position + 2])
            position += 2
            continue
        if character == delimiter:
            fields.append(None if raw[start:position] == null_as else "".join(current))
            current, start = [], position + 1
        else:
            current.append(character)
        position += 1
    fields.append(None if raw[start:] == null_as else "".join(current))
    return fields


class RowWriter:
    """Converted rows (None for NULL) -> lines of the COPY FROM STDIN format declared upstream."""

    def __init__(self, plan: CopyFromS3, declared_null: str) -> None:
        self.csv = plan.sends_csv
        self.delimiter = plan.delimiter
        self.quote = plan.quote
        self.null = declared_null
        self._escapes = str.maketrans(
            {"\\": "\\\\", "\n": "\\n", "\r": "\\r", plan.delimiter: "\\" + plan.delimiter}
        )
        # Most rows have no NULL and no character to quote or escape: line() writes those with one join,
        # between (start, separator, end); in CSV they quote every value all the same.
        special = plan.quote if self.csv else "\\\n\r" + plan.delimiter
        self._has_special = re.compile(f"[{re.escape(special)}]").search
        if self.csv:
            self._plain = (self.quote, self.quote + self.delimiter + self.quote, self.quote + "\n")
        else:
            self._plain = ("", self.delimiter, "\n")

    def line(self, values: Sequence[str | None]) -> str:
        if None not in values and not self._has_special("".join(values)):
            start, separator, end = self._plain
            return start + separator.join(values) + end
        return self.delimiter.join(map(self._field, values)) + "\n"

    def _field(self, value: str | None) -> str:
        if value is None:
            return self.null
        if self.csv:
            # Always quoted: a quoted value never matches the NULL string, whatever it is.
            return self.quote + value.replace(self.quote, self.quote * 2) + self.quote
        return value.translate(self._escapes)
