"""The JSON and Parquet rules as pure functions: COPY's format options, JSONPath expressions, how a
stream splits into JSON texts, how JSON values become fields, and which Parquet types suit which column."""

from __future__ import annotations

import pyarrow as pa
import pytest

from emulators.redshift.errors import RedshiftError
from emulators.redshift.load.conversion import BadField, Column
from emulators.redshift.load.copy_options import copy_from_stdin_sql, parse_copy
from emulators.redshift.load.json_records import (
    JsonRowConverter,
    json_records,
    parse_jsonpath,
    parse_jsonpaths,
)
from emulators.redshift.load.parquet import compatible
from emulators.redshift.tokens import significant, tokenize

NPS_COLUMNS = [Column("id", "integer", True), Column("created_at", "timestamp without time zone", False)]


def copy_plan(text: str):
    return parse_copy(significant(tokenize(text)))


@pytest.mark.parametrize(
    ("options", "data_format", "json_paths"),
    [
        ("FORMAT AS PARQUET", "parquet", None),
        ("PARQUET", "parquet", None),
        ("FORMAT AS JSON", "json", "auto"),
        ("JSON 'auto'", "json", "auto"),
        ("FORMAT JSON AS 'AUTO IGNORECASE'", "json", "auto ignorecase"),
        ("JSON 's3://b/paths.json' GZIP", "json", "s3://b/paths.json"),
    ],
)
def test_format_options(options, data_format, json_paths):
    plan = copy_plan(f"t FROM 's3://b/k' {options}")
    assert (plan.format, plan.json_paths) == (data_format, json_paths)
    # Their rows go upstream as CSV with PostgreSQL's defaults: NULL is an unquoted empty field.
    assert copy_from_stdin_sql(plan) == "COPY t FROM STDIN WITH (FORMAT csv)"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("FORMAT AS PARQUET MAXERROR 3", "MAXERROR argument is not supported for PARQUET based COPY"),
        ("FORMAT AS PARQUET BZIP2", "BZIP2 argument is not supported for PARQUET based COPY"),
        ("JSON 'auto' DELIMITER '|'", "DELIMITER argument is not supported for JSON based COPY"),
        ("JSON 'auto' NULL AS 'x'", "NULL AS argument is not supported for JSON based COPY"),
        ("JSON 'auto' CSV", "more than one data format"),
        ("JSON 'noshred'", "COPY option JSON 'noshred' is not supported"),
        ("JSON 'maybe'", "JSON option 'maybe' is none of"),
        ("FORMAT AS ORC", "COPY option FORMAT ORC is not supported"),
        ("FORMAT AS AVRO 'auto'", "COPY option FORMAT AVRO is not supported"),
        ("PARQUET SERIALIZETOJSON", "COPY option SERIALIZETOJSON is not supported"),
        ("FIXEDWIDTH 'a:1'", "COPY option FIXEDWIDTH is not supported"),
    ],
)
def test_refused(options, message):
    with pytest.raises(RedshiftError) as raised:
        copy_plan(f"t FROM 's3://b/k' {options}")
    assert message in raised.value.message


@pytest.mark.parametrize(
    ("expression", "steps"),
    [
        ("$['id']", ("id",)),
        ("$['store']['book']['title']", ("store", "book", "title")),
        ("$['location'][0]", ("location", 0)),
        ("$.store.book.title", ("store", "book", "title")),
        ("$.location[0]", ("location", 0)),
    ],
)
def test_jsonpath(expression, steps):
    assert parse_jsonpath(expression) == steps


@pytest.mark.parametrize("expression", ["$", "id", "$.a[*]", "$..a", "$['a'].b", "$[?(@.a)]"])
def test_jsonpath_refused(expression):
    with pytest.raises(RedshiftError, match="Invalid JSONPath format"):
        parse_jsonpath(expression)


def test_jsonpaths_file():
    assert parse_jsonpaths(b'{"jsonpaths": ["$.id", "$.when"]}', "s3://b/p", 2) == [("id",), ("when",)]
    # Any other name: COPY falls back to 'auto' (copy-usage_notes-copy-from-json.html).
    assert parse_jsonpaths(b'{"paths": ["$.id"]}', "s3://b/p", 2) is None
    with pytest.raises(RedshiftError, match="JSONPath size: 1, Number of columns in table or column list: 2"):
        parse_jsonpaths(b'{"jsonpaths": ["$.id"]}', "s3://b/p", 2)


def test_json_texts_one_a_line_spanning_lines_or_sharing_one():
    lines = ['{"id": 1}\n', "\n", '{"id":\n', " 2}\n", '{"id": 3} [4]\n', "not json\n", '{"id": 5\n']
    records = list(json_records(lines))
    assert [(line, value) for line, _raw, value in records[:4]] == [
        (1, {"id": 1}),
        (3, {"id": 2}),
        (5, {"id": 3}),
        (5, [4]),
    ]
    assert [(line, raw) for line, raw, _value in records[4:]] == [(6, "not json"), (7, '{"id": 5')]
    assert all(isinstance(value, ValueError) for _line, _raw, value in records[4:])


def json_plan(option: str = "auto"):
    return copy_plan(f"t FROM 's3://b/k' JSON '{option}'")


def test_json_values_become_fields():
    columns = [Column("a", "text", False), Column("b", "integer", False), Column("c", "boolean", False)]
    converter = JsonRowConverter(json_plan(), columns, None)
    assert converter.convert({"a": "x\ny", "b": 7, "c": True, "extra": 1}) == ["x\ny", "7", "t"]
    assert converter.convert({}) == [None, None, None]
    # An object or array loads as its JSON text; "\\N" is a string, not NULL.
    assert converter.convert({"a": {"k": [1, 2]}})[0] == '{"k":[1,2]}'
    assert converter.convert({"a": "\\N"})[0] == "\\N"


def test_auto_matches_keys_by_case_unless_ignorecase():
    assert JsonRowConverter(json_plan(), NPS_COLUMNS[:1], None).convert({"ID": 1, "id": 2}) == ["2"]
    ignoring = JsonRowConverter(json_plan("auto ignorecase"), NPS_COLUMNS[:1], None)
    assert ignoring.convert({"Id": 1}) == ["1"]


@pytest.mark.parametrize(
    ("value", "code", "reason"),
    [
        ([1, "x"], 1216, "Invalid JSONPath format: Member is not an object."),
        (ValueError("Expecting value"), 1216, "Invalid JSON: Expecting value"),
        ({"created_at": "2024-01-01 10:00:00"}, 1213, "Missing data for not-null field"),
        ({"id": "seven"}, 1207, "Invalid digit, Value 's', Pos 0, Type: Integer"),
    ],
)
def test_bad_records(value, code, reason):
    converter = JsonRowConverter(json_plan(), NPS_COLUMNS, None)
    with pytest.raises(BadField) as raised:
        converter.convert(value)
    assert (raised.value.code, raised.value.reason) == (code, reason)


def test_jsonpaths_reach_into_objects_and_arrays():
    converter = JsonRowConverter(json_plan("s3://b/p"), NPS_COLUMNS, [("k", "id"), ("when", 1)])
    assert converter.convert({"k": {"id": 3}, "when": ["x", "2024-01-01 10:00:00"]}) == [
        "3",
        "2024-01-01 10:00:00",
    ]
    # With JSONPaths the texts may be arrays (copy-usage_notes-copy-from-json.html).
    by_index = JsonRowConverter(json_plan("s3://b/p"), NPS_COLUMNS, [(0,), (1,)])
    assert by_index.convert([4, "2024-01-01 10:00:00"]) == ["4", "2024-01-01 10:00:00"]


@pytest.mark.parametrize(
    ("file_type", "column_type", "loads"),
    [
        (pa.int16(), "smallint", True),
        (pa.int32(), "smallint", False),
        (pa.int32(), "bigint", True),
        (pa.int64(), "integer", False),  # pandas' default integer into INTEGER: refused, as on Redshift
        (pa.uint16(), "integer", True),
        (pa.uint16(), "smallint", False),
        (pa.float32(), "real", True),
        (pa.float64(), "real", False),
        (pa.float32(), "double precision", True),
        (pa.decimal128(10, 2), "numeric(10,2)", True),
        (pa.int64(), "numeric(10,2)", False),
        (pa.string(), "character varying(20)", True),
        (pa.large_string(), "text", True),
        (pa.int32(), "character varying(20)", False),
        (pa.bool_(), "boolean", True),
        (pa.date32(), "date", True),
        (pa.timestamp("ms"), "date", False),
        (pa.timestamp("ns"), "timestamp without time zone", True),
        (pa.string(), "timestamp without time zone", False),
        (pa.null(), "integer", True),
    ],
)
def test_parquet_types(file_type, column_type, loads):
    assert compatible(file_type, column_type) == loads
