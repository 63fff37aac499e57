"""Redshift's per-field COPY rules, the record splitter and the row writer: pure, no socket."""

from __future__ import annotations

from datetime import datetime

import pytest

from emulators.redshift.errors import RedshiftError
from emulators.redshift.load.conversion import (
    BadField,
    Column,
    RowConverter,
    datetime_parser,
    load_columns,
    needs_row_conversion,
)
from emulators.redshift.load.copy_options import declared_null
from emulators.redshift.load.records import RowWriter, read_records
from emulators.redshift.plan import CopyFromS3, S3Credentials

NPS = [Column("id", "integer", True), Column("created_at", "timestamp without time zone", False)]
PEOPLE = [Column("id", "integer", True), Column("name", "character varying(5)", False)]


def plan(**options) -> CopyFromS3:
    return CopyFromS3("s.t", "t", (), "s3://b/k", S3Credentials(), **options)


def test_empty_fields_load_as_redshift_loads_them():
    converter = RowConverter(plan(format="csv"), PEOPLE)
    # An empty VARCHAR field is '' (PostgreSQL's CSV would say NULL); blanks are data there.
    assert converter.convert(["1", ""]) == ["1", ""]
    assert converter.convert(["1", "  "]) == ["1", "  "]
    assert converter.convert(["1", "\\N"]) == ["1", None]
    # Empty and blank fields of other types are always NULL.
    assert RowConverter(plan(), NPS).convert([" 2 ", "   "]) == ["2", None]


@pytest.mark.parametrize(
    ("options", "fields", "expected"),
    [
        ({"empty_as_null": True}, ["1", ""], ["1", None]),
        ({"blanks_as_null": True}, ["1", "   "], ["1", None]),
        ({"empty_as_null": True, "null_as": "none"}, ["1", "none"], ["1", None]),
        ({"empty_as_null": True, "null_as": "none"}, ["1", ""], ["1", None]),
        ({"null_as": "none"}, ["1", "\\N"], ["1", "\\N"]),
        ({"null_as": ""}, ["1", ""], ["1", None]),  # NULL AS '' wins over the '' of an empty VARCHAR
        ({}, ["1", None], ["1", None]),  # the NULL AS string as written, seen by the ESCAPE reader
    ],
)
def test_null_options(options, fields, expected):
    assert RowConverter(plan(format="csv", **options), PEOPLE).convert(fields) == expected


@pytest.mark.parametrize(
    ("columns", "fields", "code", "reason"),
    [
        (NPS, ["x1", ""], 1207, "Invalid digit, Value 'x', Pos 0, Type: Integer"),
        (NPS, ["99999999999", ""], 1204, "Overflow, Value '99999999999', Type: Integer"),
        (NPS, ["", "2024-01-01 10:00:00"], 1213, "Missing data for not-null field"),
        (NPS, ["1", "2024-13-01 10:00:00"], 1206, "Invalid timestamp format or value"),
        (NPS, ["1"], 1214, "Delimiter not found"),
        (NPS, ["1", "", "extra"], 1202, "Extra column(s) found"),
        (PEOPLE, ["1", "ééé"], 1204, "String length exceeds DDL length"),  # 6 bytes in VARCHAR(5)
        ([Column("ok", "boolean", False)], ["maybe"], 1210, "Invalid boolean value 'maybe'"),
        ([Column("n", "numeric(4,2)", False)], ["123.4"], 1216, "Numeric data overflow"),
        ([Column("d", "date", False)], ["2024-02-30"], 1205, "Invalid Date Format"),
    ],
)
def test_bad_fields_are_named(columns, fields, code, reason):
    with pytest.raises(BadField) as raised:
        RowConverter(plan(), columns).convert(fields)
    assert raised.value.code == code
    assert raised.value.reason.startswith(reason)


@pytest.mark.parametrize(
    ("format_string", "text", "expected"),
    [
        ("DD.MM.YYYY", "31.03.2003", datetime(2003, 3, 31)),
        ("MON DD, YYYY", "March 31, 2003", datetime(2003, 3, 31)),
        ("MON-DD-YY", "jan-01-99", datetime(1999, 1, 1)),
        ("MM.DD.YYYY HH:MI:SS", "03.31.2003 18:45:05.123456", datetime(2003, 3, 31, 18, 45, 5, 123456)),
        ("MM/DD/YYYY HH12:MI:SS AM", "03/31/2003 06:45:05 PM", datetime(2003, 3, 31, 18, 45, 5)),
        ("YYYY-MM-DDTHH24:MI:SS", "2003-03-31T18:45:05", datetime(2003, 3, 31, 18, 45, 5)),
    ],
)
def test_datetime_formats(format_string, text, expected):
    assert datetime_parser(format_string)(text) == expected


TIMESTAMP = [Column("t", "timestamp without time zone", False)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-29 23:59:59", "2024-02-29 23:59:59"),  # ISO's exact text: passed on as it is
        (" 2024-01-01 10:00:00 ", "2024-01-01 10:00:00"),
        ("2024-1-2 3:04:05", "2024-01-02 03:04:05"),  # not ISO's exact text: the parsers read it
        ("2024-01-01 10:00:00.5", "2024-01-01 10:00:00.500000"),
        ("2024-01-01 10:00:00.000000", "2024-01-01 10:00:00"),
        ("2024-01-01", "2024-01-01 00:00:00"),
    ],
)
def test_default_timeformat_values(text, expected):
    assert RowConverter(plan(), TIMESTAMP).convert([text]) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        # Python's fromisoformat reads all of these; Redshift's default 'YYYY-MM-DD HH:MI:SS' does not.
        "2024-01-01T10:00:00",
        "2024-01-01 10:00:00+02:00",
        "2024-01-01 10:00:00Z",
        "2024-01-01 10:00",
        "2024-01-01 10:00:00,5",
        "2024-W01-1 10:00:00",
        "20240101 10:00:00",
        # In the right shape, but no such moment.
        "2024-01-01 24:00:00",
        "2023-02-29 10:00:00",
    ],
)
def test_default_timeformat_refuses_other_iso_forms(text):
    with pytest.raises(BadField) as raised:
        RowConverter(plan(), TIMESTAMP).convert([text])
    assert raised.value.code == 1206


@pytest.mark.parametrize(
    ("options", "text", "expected"),
    [
        ({}, "2024-02-29", "2024-02-29"),
        ({}, "2024-2-9", "2024-02-09"),
        ({"date_format": "auto"}, "20240209", "2024-02-09"),
        ({"date_format": "auto"}, "2024-02-09", "2024-02-09"),
        ({}, "20240209", None),
        ({}, "2024-W06-5", None),
        ({}, "2023-02-29", None),
    ],
)
def test_default_and_auto_dateformat_values(options, text, expected):
    converter = RowConverter(plan(**options), [Column("d", "date", False)])
    if expected is None:
        with pytest.raises(BadField, match="Invalid Date Format"):
            converter.convert([text])
    else:
        assert converter.convert([text]) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("9999", "9999"), ("32767", "32767"), ("-32768", "-32768"), ("+7", "+7"), ("00012", "00012")],
)
def test_smallint_values_in_range(text, expected):
    assert RowConverter(plan(), [Column("s", "smallint", False)]).convert([text]) == [expected]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("32768", "Overflow, Value '32768', Type: Short"),
        ("-32769", "Overflow, Value '-32769', Type: Short"),
        ("1_0", "Invalid digit, Value '_', Pos 1, Type: Short"),
        ("+-1", "Invalid digit, Value '+', Pos 0, Type: Short"),
        ("-", "Invalid digit, Value '-', Pos 0, Type: Short"),
    ],
)
def test_smallint_values_refused(text, reason):
    with pytest.raises(BadField) as raised:
        RowConverter(plan(), [Column("s", "smallint", False)]).convert([text])
    assert raised.value.reason == reason


def test_a_value_that_does_not_match_its_format_is_refused():
    assert datetime_parser("DD.MM.YYYY")("2003-03-31") is None
    converter = RowConverter(plan(date_format="DD.MM.YYYY"), [Column("d", "date", False)])
    assert converter.convert(["31.03.2003"]) == ["2003-03-31"]
    with pytest.raises(BadField):
        converter.convert(["2003-03-31"])


def test_epoch_and_auto_time_formats():
    epoch = RowConverter(plan(time_format="epochsecs"), [Column("t", "timestamp without time zone", False)])
    assert epoch.convert(["1700000000"]) == ["2023-11-14 22:13:20"]
    auto = RowConverter(plan(time_format="auto"), [Column("t", "timestamp without time zone", False)])
    assert auto.convert(["03/31/2003 18:45:05"]) == ["2003-03-31 18:45:05"]


def test_format_strings_with_unknown_parts_are_refused():
    with pytest.raises(RedshiftError, match="Invalid datetime format string 'YYYY-QQ'"):
        datetime_parser("YYYY-QQ")


def test_which_loads_go_row_by_row():
    assert not needs_row_conversion(plan(format="csv"), NPS)
    assert needs_row_conversion(plan(format="csv"), PEOPLE)  # '' for empty VARCHAR fields
    assert needs_row_conversion(plan(max_error=3), NPS)
    assert needs_row_conversion(plan(date_format="DD.MM.YYYY"), NPS)
    assert not needs_row_conversion(plan(date_format="auto"), NPS)


def test_load_columns_follow_the_copy_column_list():
    columns = load_columns(
        CopyFromS3("s.t", "t", ("NAME", "id"), "s3://b/k", S3Credentials()), PEOPLE + NPS[1:]
    )
    assert [column.name for column in columns] == ["name", "id"]


def test_csv_records_keep_quoted_newlines_and_line_numbers():
    lines = ['1,"two\n', 'lines"\n', "3,plain\n", "\n"]
    records = list(read_records(lines, plan(format="csv", delimiter=",")))
    assert records == [
        (1, '1,"two\nlines"', ["1", "two\nlines"]),
        (3, "3,plain", ["3", "plain"]),
        (4, "", [""]),
    ]


def test_text_records_with_and_without_escape():
    lines = ["a\\|b|c\\\n", "d|e\n"]
    escaped = list(read_records(lines, plan(escape=True)))
    assert escaped == [(1, "a\\|b|c\\\nd|e", ["a|b", "c\nd", "e"])]
    raw = list(read_records(["a\\|b|c\n", "d\n"], plan()))
    assert raw == [(1, "a\\|b|c", ["a\\", "b", "c"]), (2, "d", ["d"])]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"format": "csv", "delimiter": ","}, '"1",,"",""""\n'),
        ({}, '1|\\\\N||"\n'),
        ({"escape": True}, '1|\\N||"\n'),
        ({"delimiter": "|", "null_as": "none"}, '1|none||"\n'),
    ],
)
def test_row_writer_speaks_the_declared_format(options, expected):
    spec = plan(**options)
    assert RowWriter(spec, declared_null(spec)).line(["1", None, "", '"']) == expected


@pytest.mark.parametrize(
    ("options", "values", "expected"),
    [
        ({"format": "csv", "delimiter": ","}, ["1", "x y", ""], '"1","x y",""\n'),
        ({"format": "csv", "delimiter": ","}, ["1", 'say "hi"'], '"1","say ""hi"""\n'),
        ({"format": "csv", "delimiter": "|", "quote": "'"}, ["it's", '"'], "'it''s'|'\"'\n"),
        ({}, ["1", "x y", ""], "1|x y|\n"),
        ({}, ["1", "a\rb"], "1|a\\rb\n"),
    ],
)
def test_row_writer_rows_without_null(options, values, expected):
    spec = plan(**options)
    assert RowWriter(spec, declared_null(spec)).line(values) == expected


def test_row_writer_escapes_text_data():
    spec = plan()
    assert RowWriter(spec, declared_null(spec)).line(["a|b\\c\nd"]) == "a\\|b\\\\c\\nd\n"


def test_with_escape_the_null_string_is_compared_before_escapes_are_read():
    [(_line_number, _raw, fields)] = read_records(["1|\\N|\\\\N|a\\|b\n"], plan(escape=True))
    assert fields == ["1", None, "\\N", "a|b"]
    converter = RowConverter(
        plan(escape=True), [*PEOPLE, Column("c", "text", False), Column("d", "text", False)]
    )
    # An escaped backslash followed by N reads as \N, which is the NULL AS string as well.
    assert converter.convert(fields) == ["1", None, None, "a|b"]
