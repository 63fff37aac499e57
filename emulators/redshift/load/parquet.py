"""COPY ... FORMAT AS PARQUET: Parquet files on S3 -> the CSV rows of PostgreSQL's `COPY ... FROM STDIN`.

copy-usage_notes-copy-from-columnar.html
(https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-columnar.html): the file's
columns go to the table's (or the column list's) in order, and their numbers must match; each column's
Parquet type must suit the column's type, or COPY fails with Redshift Spectrum's error naming the file.

A file is read through ranged GETs of BUFFER_BYTES (its footer, then the pages of each column as the
rows are decoded), never whole; each batch of rows is written as CSV by Arrow, without a Python step per
row. The values need no conversion: PostgreSQL reads Arrow's CSV text of every accepted type as it is.
Instants (timestamps with a time zone) are written in UTC, whose 'Z' TIMESTAMP ignores: it keeps their UTC
time, as Redshift does.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from emulators.redshift.errors import RedshiftError
from emulators.redshift.load.conversion import Column

BATCH_ROWS = 64 * 1024
CHUNK_BYTES = 256 * 1024  # CSV sent upstream in one CopyData message, as s3_load's CHUNK_SIZE
BUFFER_BYTES = 1024 * 1024  # one ranged GET: column pages are read this much at a time
SPECTRUM_SCAN_ERROR = "Spectrum Scan Error"
# The codes Redshift Spectrum gives: 15001 a file it cannot read as the table (wrong column count, not
# Parquet), 15007 a column whose Parquet type does not suit the table's (re:Post knowledge center,
# redshift-spectrum-data-errors).
UNREADABLE_FILE = 15001
INCOMPATIBLE_SCHEMA = 15007
# NULLs are unquoted empty fields, strings always quoted: PostgreSQL's CSV with NULL '' tells them apart.
_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
_INTEGER_BITS = {"smallint": 16, "integer": 32, "bigint": 64}
_CHARACTER = re.compile(r"(character varying|character|text)\b")


class S3RangeFile(io.RawIOBase):
    """One S3 object as a seekable file: each read is a ranged GET, so only what Arrow asks for (the
    footer, then one row group's column chunks) is ever fetched."""

    def __init__(self, client, bucket: str, key: str, size: int) -> None:
        super().__init__()
        self._client, self._bucket, self._key = client, bucket, key
        self._size = size
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = base + offset
        return self._position

    def read(self, size: int = -1) -> bytes:
        end = self._size if size is None or size < 0 else min(self._size, self._position + size)
        if end <= self._position:
            return b""
        byte_range = f"bytes={self._position}-{end - 1}"
        body = self._client.get_object(Bucket=self._bucket, Key=self._key, Range=byte_range)["Body"]
        data = body.read()
        self._position += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def spectrum_error(context: str, code: int) -> RedshiftError:
    # Imported here: s3_load imports this module.
    from emulators.redshift.load.s3 import redshift_detail

    return RedshiftError(SPECTRUM_SCAN_ERROR, detail=redshift_detail(SPECTRUM_SCAN_ERROR, code, context))


def open_parquet(client, bucket: str, key: str, url: str) -> pq.ParquetFile:
    """The file's footer read; Spectrum's error if it is not Parquet (boto3's own if S3 refuses)."""
    size = client.head_object(Bucket=bucket, Key=key)["ContentLength"]
    try:
        # buffer_size: stream each column chunk's pages instead of reading whole row groups at once.
        file = S3RangeFile(client, bucket, key, size)
        return pq.ParquetFile(file, buffer_size=BUFFER_BYTES, pre_buffer=False)
    except (pa.ArrowException, OSError) as error:
        raise spectrum_error(f"File '{url}' is not a valid Parquet file: {error}", UNREADABLE_FILE) from error


def check_schema(schema: pa.Schema, columns: Sequence[Column], url: str) -> None:
    """Spectrum's errors for a column count or a type that does not match the load's columns."""
    if len(schema) != len(columns):
        raise spectrum_error(
            "Unmatched number of columns between table and file. "
            f"Table columns: {len(columns)}, Data columns: {len(schema)}, File name: {url}",
            UNREADABLE_FILE,
        )
    for field, column in zip(schema, columns, strict=True):
        if not compatible(field.type, column.type):
            raise spectrum_error(
                f"File '{url}' has an incompatible Parquet schema for column '{column.name}'. "
                f"Column type: {_redshift_type_name(column.type)}, Parquet schema: {field.type} {field.name}",
                INCOMPATIBLE_SCHEMA,
            )


def compatible(file_type: pa.DataType, column_type: str) -> bool:
    """Whether Redshift loads a Parquet column of ``file_type`` into a column of ``column_type``
    (format_type() text).

    Redshift reads Parquet by its physical and logical types, not by its values: an integer column loads
    into an integer column at least as wide (pandas' int64 into INTEGER is refused), a float into a
    floating column at least as wide, a string into CHAR/VARCHAR, a date, timestamp, decimal or boolean
    into the same kind. A column of nulls only (Parquet's NULL logical type) suits any column.
    """
    if pa.types.is_null(file_type):
        return True
    if column_type in _INTEGER_BITS:
        if not pa.types.is_integer(file_type):
            return False
        bits = file_type.bit_width + (0 if pa.types.is_signed_integer(file_type) else 1)
        return bits <= _INTEGER_BITS[column_type]
    if column_type in ("real", "double precision"):
        widest = 64 if column_type == "double precision" else 32
        return pa.types.is_floating(file_type) and file_type.bit_width <= widest
    if column_type.startswith("numeric"):
        return pa.types.is_decimal(file_type)
    if column_type == "boolean":
        return pa.types.is_boolean(file_type)
    if column_type == "date":
        return pa.types.is_date(file_type)
    if column_type.startswith("timestamp"):
        return pa.types.is_timestamp(file_type)
    if _CHARACTER.match(column_type):
        return pa.types.is_string(file_type) or pa.types.is_large_string(file_type)
    return False


def _redshift_type_name(column_type: str) -> str:
    return {"character varying": "VARCHAR", "double precision": "FLOAT8", "real": "FLOAT4"}.get(
        column_type.split("(")[0], column_type.split("(")[0].upper()
    )


def csv_batches(parquet: pq.ParquetFile, url: str) -> Iterator[tuple[int, bytes]]:
    """(rows, their CSV) in pieces of about CHUNK_BYTES: the queue between the reader thread and the
    sender (s3_load.py) then holds as little as for a CSV file."""
    rows_per_piece = 1024  # a first guess, then sized from the bytes a row took
    try:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, use_threads=False):
            batch = _for_postgres(batch)
            offset = 0
            while offset < batch.num_rows:
                piece = batch.slice(offset, rows_per_piece)
                out = io.BytesIO()
                pa_csv.write_csv(piece, out, _CSV_OPTIONS)
                data = out.getvalue()
                yield piece.num_rows, data
                offset += piece.num_rows
                rows_per_piece = max(1, CHUNK_BYTES * piece.num_rows // max(len(data), 1))
    except (pa.ArrowException, OSError) as error:
        raise spectrum_error(
            f"File '{url}' could not be read as Parquet: {error}", UNREADABLE_FILE
        ) from error


def _for_postgres(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Timestamps written as PostgreSQL reads them fastest, the same instants: another zone's viewed as UTC
    (Arrow stores them in UTC; the CSV writer then writes 'Z' instead of the zone's offset), and whole
    seconds without the unit's zeros of fraction (".000000" makes a tenth of the CSV of nps-like rows)."""
    if not any(pa.types.is_timestamp(field.type) for field in batch.schema):
        return batch
    return pa.RecordBatch.from_arrays(
        [_timestamp_for_postgres(column) for column in batch.columns], names=batch.schema.names
    )


def _timestamp_for_postgres(column: pa.Array) -> pa.Array:
    if not pa.types.is_timestamp(column.type):
        return column
    zone = None if column.type.tz is None else "UTC"
    if column.type.tz not in (None, "UTC"):
        column = column.view(pa.timestamp(column.type.unit, zone))
    if column.type.unit == "s":
        return column
    try:
        return column.cast(pa.timestamp("s", zone), safe=True)
    except pa.ArrowInvalid:  # a fraction of a second somewhere: keep the unit
        return column
