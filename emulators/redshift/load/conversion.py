"""Redshift's per-field COPY rules that PostgreSQL's COPY has no switch for, as pure functions.

A COPY takes this path (row by row, instead of passing bytes through) when its options or its table need
it (``needs_row_conversion``): BLANKSASNULL, EMPTYASNULL together with NULL AS, an explicit DATEFORMAT or
TIMEFORMAT, MAXERROR above 0, or a CHAR/VARCHAR column, which Redshift fills with '' from an empty field
where PostgreSQL's CSV would load NULL.

Each field is checked against its column's type as Redshift checks it, so that a bad row is caught here,
named in stl_load_errors, and skipped while MAXERROR allows it.

copy-parameters-data-conversion.html: BLANKSASNULL, EMPTYASNULL, NULL AS, DATEFORMAT, TIMEFORMAT, MAXERROR
r_DATEFORMAT_and_TIMEFORMAT_strings.html: the dateparts and timeparts of a format string
r_Load_Error_Reference.html: the error codes
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from emulators.redshift.errors import RedshiftError
from emulators.redshift.plan import CopyFromS3
from emulators.redshift.tokens import quote_literal

# Sent upstream in the client's own session just before the COPY: the target's columns in load order.
# to_regclass() never raises for a missing table, so this query cannot abort the client's transaction.
_COLUMNS_SQL = (
    "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull FROM pg_attribute a "
    "WHERE a.attrelid = to_regclass({target}) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
)
_INTEGER_RANGES = {
    "smallint": (-(2**15), 2**15 - 1, "int2", "Short"),
    "integer": (-(2**31), 2**31 - 1, "int4", "Integer"),
    "bigint": (-(2**63), 2**63 - 1, "int8", "Long"),
}
_BOOLEANS = {
    **dict.fromkeys(("t", "true", "y", "yes", "on", "1"), "t"),
    **dict.fromkeys(("f", "false", "n", "no", "off", "0"), "f"),
}
_CHAR_TYPE = re.compile(r"(character varying|character|varchar|char|bpchar|text)(?:\((\d+)\))?$")
_NUMERIC_TYPE = re.compile(r"numeric(?:\((\d+),(\d+)\))?$")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# copy-parameters-data-conversion.html: the default formats, and what 'auto' recognises here.
DEFAULT_DATE_FORMAT = "YYYY-MM-DD"
DEFAULT_TIME_FORMAT = "YYYY-MM-DD HH:MI:SS"
_AUTO_DATE_FORMATS = ("YYYY-MM-DD", "YYYYMMDD", "YYYY/MM/DD", "MM/DD/YYYY", "MM-DD-YYYY", "MON DD, YYYY")
_AUTO_TIME_FORMATS = (
    "YYYY-MM-DD HH:MI:SS",
    "YYYY-MM-DDTHH:MI:SS",
    "YYYY-MM-DD",
    "YYYYMMDD HH:MI:SS",
    "MM/DD/YYYY HH:MI:SS",
    "MM/DD/YYYY",
)
# ISO 8601's own format, and the exact text it writes (ASCII digits, no fraction): see _datetime_converter.
_ISO_DATE_FORMATS = ("YYYY-MM-DD",)
_ISO_TIME_FORMATS = ("YYYY-MM-DD HH:MI:SS", "YYYY-MM-DD HH24:MI:SS")
_ISO_DATE_TEXT = re.compile(r"\d{4}-\d\d-\d\d", re.ASCII)
_ISO_TIMESTAMP_TEXT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", re.ASCII)
_EPOCH = datetime(1970, 1, 1)


def columns_sql(plan: CopyFromS3) -> str:
    return _COLUMNS_SQL.format(target=quote_literal(plan.target))


@dataclass(frozen=True)
class Column:
    """One target column as upstream describes it: name, format_type() text, NOT NULL."""

    name: str
    type: str
    not_null: bool

    @property
    def is_character(self) -> bool:
        return _CHAR_TYPE.match(self.type) is not None


def load_columns(plan: CopyFromS3, described: Sequence[Column]) -> list[Column]:
    """The columns the file's fields go to, in order: the COPY's column list, or the whole table."""
    if not plan.columns:
        return list(described)
    by_name = {column.name: column for column in described}
    # Unquoted names fold to lower case, as PostgreSQL folds them.
    return [by_name.get(name.lower(), by_name.get(name, Column(name, "", False))) for name in plan.columns]


def needs_row_conversion(plan: CopyFromS3, columns: Sequence[Column]) -> bool:
    """JSON and Parquet always need the target's columns: to find each field, and to check its type."""
    return bool(
        plan.format in ("json", "parquet")
        or plan.blanks_as_null
        or (plan.empty_as_null and plan.null_as is not None)
        or _explicit(plan.date_format)
        or _explicit(plan.time_format)
        or plan.max_error > 0
        or any(column.is_character for column in columns)
    )


def _explicit(format_string: str | None) -> bool:
    return format_string is not None and format_string.lower() != "auto"


# The files are decoded with surrogateescape: each byte that is not part of valid UTF-8 is one of these.
_INVALID_BYTE = re.compile("[\udc80-\udcff]")


def invalid_utf8_reason(value: str, at: int) -> str:
    """multi-byte-character-load-errors.html: error 1220's reason, with the bad bytes in hex and the kind
    of fault: 2, a multi-byte sequence cut short; 3, a byte that starts no character."""
    run = re.match("[\udc80-\udcff]+", value[at:]).group()
    bad = bytes(ord(char) - 0xDC00 for char in run)
    fault = 2 if 0xC2 <= bad[0] <= 0xF4 else 3
    return (
        "String contains invalid or unsupported UTF-8 codepoints. "
        f"Bad UTF-8 hex sequence: {bad.hex(' ')} (error {fault})"
    )


def printable(text: str) -> str:
    """``text`` with its invalid bytes as U+FFFD, so it can be stored (stl_load_errors) and shown."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class BadField(Exception):
    """A field Redshift would refuse: what stl_load_errors records about it."""

    def __init__(
        self, column: Column | None, value: str, code: int, reason: str, type_name: str = ""
    ) -> None:
        reason, value = printable(reason), printable(value)
        super().__init__(reason)
        self.column = column
        self.value = value
        self.code = code
        self.reason = reason
        self.type_name = type_name


class RowConverter:
    """Checks and converts the fields of one row for the load's columns; the result goes to PostgreSQL
    as text it reads unaided (ISO dates), None for NULL."""

    def __init__(self, plan: CopyFromS3, columns: Sequence[Column]) -> None:
        self.plan = plan
        self.columns = list(columns)
        # JSON has its own null; no string stands for it (None never equals a field).
        self.null_as = None if plan.format == "json" else "\\N" if plan.null_as is None else plan.null_as
        # Each column's type converter, and whether a blank field is NULL there (BLANKSASNULL applies to
        # CHAR/VARCHAR; other types always load a blank field as NULL).
        self._rules = [
            (_converter(column, plan), plan.blanks_as_null or not column.is_character, column)
            for column in self.columns
        ]

    def convert(self, fields: Sequence[str | None]) -> list[str | None]:
        if len(fields) != len(self.columns):
            if len(fields) > len(self.columns):
                raise BadField(None, "", 1202, "Extra column(s) found")
            raise BadField(self.columns[len(fields)], "", 1214, "Delimiter not found")
        null_as = self.null_as
        # Checked inline rather than in a function a field: this runs for every field of the load.
        return [
            convert(value)
            if value and value != null_as and not (blank_is_null and value.isspace())
            else self._missing(column, value)
            for (convert, blank_is_null, column), value in zip(self._rules, fields, strict=True)
        ]

    def _missing(self, column: Column, value: str | None) -> str | None:
        """A field with no data (NULL, the NULL AS string, empty or blank): None, or '' for an empty
        CHAR/VARCHAR field without EMPTYASNULL."""
        if value == "" and value != self.null_as and column.is_character and not self.plan.empty_as_null:
            return ""
        if column.not_null:
            raise BadField(column, value or "", 1213, "Missing data for not-null field")
        return None


def _converter(column: Column, plan: CopyFromS3) -> Callable[[str], str]:
    """The check-and-convert function for the column's type; unknown types pass to PostgreSQL as they are."""
    column_type = column.type
    if column_type in _INTEGER_RANGES:
        return _integer_converter(column, *_INTEGER_RANGES[column_type])
    if numeric := _NUMERIC_TYPE.match(column_type):
        precision, scale = numeric.groups()
        return _numeric_converter(column, int(precision) if precision else None, int(scale or 0))
    if column_type in ("real", "double precision"):
        return _float_converter(column)
    if column_type == "boolean":
        return _boolean_converter(column)
    if column_type == "date":
        return _datetime_converter(column, plan.date_format, is_date=True)
    if column_type == "timestamp without time zone":
        return _datetime_converter(column, plan.time_format, is_date=False)
    if character := _CHAR_TYPE.match(column_type):
        length = int(character.group(2)) if character.group(2) else None
        return _character_converter(column, length, plan.accept_inv_chars)
    return str


def _integer_converter(column: Column, low: int, high: int, type_name: str, type_word: str):
    always_fits = len(str(high)) - 1  # digits that no value of the type can overflow: no int() needed

    def convert(value: str) -> str:
        text = value.strip()
        if text.isdecimal() and len(text) <= always_fits:
            return text  # most values: unsigned and short
        if not _is_integer_text(text):
            position = next((i for i, char in enumerate(text) if not (char.isdigit() or char in "+-")), 0)
            reason = (
                f"Invalid digit, Value '{text[position : position + 1]}', Pos {position}, Type: {type_word}"
            )
            raise BadField(column, value, 1207, reason, type_name)
        if not low <= int(text) <= high:
            raise BadField(column, value, 1204, f"Overflow, Value '{text}', Type: {type_word}", type_name)
        return text

    return convert


def _is_integer_text(text: str) -> bool:
    # A sign, then decimal digits (any script's, as int() reads them): faster than a regular expression.
    return text.isdecimal() or (text[1:].isdecimal() and text[0] in "+-")


def _numeric_converter(column: Column, precision: int | None, scale: int):
    def convert(value: str) -> str:
        text = value.strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            position = next((i for i, char in enumerate(text) if not (char.isdigit() or char in "+-.")), 0)
            reason = f"Invalid digit, Value '{text[position : position + 1]}', Pos {position}, Type: Decimal"
            raise BadField(column, value, 1207, reason, "numeric")
        if precision is not None and number.adjusted() >= precision - scale:
            raise BadField(column, value, 1216, "Numeric data overflow (result precision)", "numeric")
        return text

    return convert


def _float_converter(column: Column):
    def convert(value: str) -> str:
        try:
            float(value)
        except ValueError:
            raise BadField(column, value, 1208, f"Invalid float value '{value}'", "float8") from None
        return value.strip()

    return convert


def _boolean_converter(column: Column):
    def convert(value: str) -> str:
        result = _BOOLEANS.get(value.strip().lower())
        if result is None:
            raise BadField(column, value, 1210, f"Invalid boolean value '{value}'", "bool")
        return result

    return convert


def _character_converter(column: Column, length: int | None, replacement: str | None):
    def convert(value: str) -> str:
        if (invalid := _INVALID_BYTE.search(value)) is not None:
            if replacement is None:
                raise BadField(column, value, 1220, invalid_utf8_reason(value, invalid.start()), "varchar")
            # ACCEPTINVCHARS: each invalid byte becomes one replacement character, so the length holds.
            value = _INVALID_BYTE.sub(replacement, value)
        # Redshift's CHAR/VARCHAR lengths count bytes, not characters (r_Character_types.html).
        if length is not None and len(value.encode()) > length:
            raise BadField(column, value, 1204, "String length exceeds DDL length", "varchar")
        return value

    return convert


def _datetime_converter(column: Column, format_string: str | None, is_date: bool):
    lowered = (format_string or "").lower()
    if lowered == "auto":
        formats = _AUTO_DATE_FORMATS if is_date else _AUTO_TIME_FORMATS
    elif format_string is None:
        # Without TIMEFORMAT a date alone loads into a timestamp too, as midnight.
        formats = (DEFAULT_DATE_FORMAT,) if is_date else (DEFAULT_TIME_FORMAT, DEFAULT_DATE_FORMAT)
    else:
        formats = (format_string,)
    if lowered in ("epochsecs", "epochmillisecs"):
        parsers = [_epoch_parser(1000 if lowered == "epochmillisecs" else 1)]
    else:
        parsers = [datetime_parser(item) for item in formats]
    # Most files write ISO 8601's exact text, which the first format, when it is ISO's, reads unchanged:
    # C's fromisoformat then only has to confirm the date is real, several times faster than the parsers.
    # (fromisoformat alone reads more forms than the format does: 'T', UTC offsets, week dates...)
    iso_text = iso_type = None
    if formats[0].upper() in (_ISO_DATE_FORMATS if is_date else _ISO_TIME_FORMATS):
        iso_text, iso_type = (_ISO_DATE_TEXT, date) if is_date else (_ISO_TIMESTAMP_TEXT, datetime)
    if is_date:
        code, reason, type_name = 1205, "Invalid Date Format - length must be 10 or more", "date"
    else:
        code, reason, type_name = (
            1206,
            "Invalid timestamp format or value [YYYY-MM-DD HH24:MI:SS]",
            "timestamp",
        )

    def convert(value: str) -> str:
        text = value.strip()
        if iso_text is not None and iso_text.fullmatch(text):
            try:
                iso_type.fromisoformat(text)
                return text
            except ValueError:
                pass  # not a real date: the parsers refuse it as well
        for parse in parsers:
            if (moment := parse(text)) is not None:
                return moment.date().isoformat() if is_date else moment.isoformat(sep=" ")
        raise BadField(column, value, code, reason, type_name)

    return convert


def _epoch_parser(units_per_second: int) -> Callable[[str], datetime | None]:
    def parse(text: str) -> datetime | None:
        if not _is_integer_text(text):
            return None
        return _EPOCH + timedelta(seconds=int(text) / units_per_second)

    return parse


# Longest first, so that HH24 is not read as HH followed by '24'.
_DATEPARTS = {
    "YYYY": r"(?P<year>\d{4})",
    "HH24": r"(?P<hour>\d{1,2})",
    "HH12": r"(?P<hour12>\d{1,2})",
    "MON": r"(?P<month_name>[A-Za-z]+)",
    "YY": r"(?P<year2>\d{2})",
    "MM": r"(?P<month>\d{1,2})",
    "DD": r"(?P<day>\d{1,2})",
    "HH": r"(?P<hour>\d{1,2})",
    "MI": r"(?P<minute>\d{1,2})",
    "SS": r"(?P<second>\d{1,2})(?:\.(?P<fraction>\d{1,6}))?",
    "AM": r"(?P<meridian>[AaPp][Mm])",
    "PM": r"(?P<meridian>[AaPp][Mm])",
}
_DATEPART = re.compile("|".join(_DATEPARTS))


def datetime_parser(format_string: str) -> Callable[[str], datetime | None]:
    """A DATEFORMAT/TIMEFORMAT string -> a parser returning None for a value that does not match it.
    RedshiftError for a string the emulator cannot read (an unknown part, or one part twice)."""
    pattern, position, seen = [], 0, set()
    upper = format_string.upper()
    for match in _DATEPART.finditer(upper):
        pattern.append(_separator(format_string, format_string[position : match.start()]))
        part = match.group()
        if part in seen or (part in ("AM", "PM") and seen & {"AM", "PM"}):
            raise RedshiftError(f"Invalid datetime format string '{format_string}': {part} appears twice")
        seen.add(part)
        pattern.append(_DATEPARTS[part])
        position = match.end()
    pattern.append(_separator(format_string, format_string[position:]))
    if not seen:
        raise RedshiftError(f"Invalid datetime format string '{format_string}'")
    compiled = re.compile("".join(pattern), re.IGNORECASE)

    def parse(text: str) -> datetime | None:
        match = compiled.fullmatch(text)
        if match is None:
            return None
        try:
            return _moment(match.groupdict())
        except ValueError:
            return None

    return parse


def _separator(format_string: str, text: str) -> str:
    # Between dateparts: separators such as '-', '/', ':', ',' or spaces, or the 'T' of ISO 8601.
    if any(character.isalnum() for character in text) and text.strip().upper() != "T":
        raise RedshiftError(f"Invalid datetime format string '{format_string}': '{text.strip()}'")
    return re.escape(text)


def _moment(parts: dict[str, str | None]) -> datetime:
    if parts.get("year"):
        year = int(parts["year"])
    elif parts.get("year2"):
        # Two-digit years: 70-99 are the 1900s, 00-69 the 2000s, as Python's and PostgreSQL's own %y.
        year = int(parts["year2"]) + (1900 if int(parts["year2"]) >= 70 else 2000)
    else:
        year = 1900
    month = int(parts["month"]) if parts.get("month") else _month_number(parts.get("month_name"))
    hour = int(parts.get("hour") or 0)
    if parts.get("hour12"):
        hour = int(parts["hour12"]) % 12 + (12 if (parts.get("meridian") or "").lower() == "pm" else 0)
    fraction = (parts.get("fraction") or "").ljust(6, "0")
    return datetime(
        year,
        month,
        int(parts.get("day") or 1),
        hour,
        int(parts.get("minute") or 0),
        int(parts.get("second") or 0),
        int(fraction or 0),
    )


def _month_number(name: str | None) -> int:
    if name is None:
        return 1
    prefix = name[:3].lower()
    if prefix not in _MONTHS:
        raise ValueError(name)
    return _MONTHS.index(prefix) + 1


def check_format_string(option: str, value: str) -> str:
    """DATEFORMAT/TIMEFORMAT at parse time: 'auto', the epoch formats (TIMEFORMAT), or a string this
    module can read; anything else is refused by name before any data moves."""
    lowered = value.lower()
    if lowered == "auto" or (option == "TIMEFORMAT" and lowered in ("epochsecs", "epochmillisecs")):
        return value
    datetime_parser(value)
    return value
