"""UNLOAD ... FORMAT AS PARQUET | JSON (r_UNLOAD.html): the query's rows with their types, as Parquet row
groups or JSON lines.

PostgreSQL's text COPY says nothing of types, so these unloads ask for each row as one anonymous record
in binary COPY (copy_options.copy_to_stdout_sql): a record's binary form carries each value's type OID
(record_send), and the first row also carries the column names (as a JSON array). This module decodes
those rows; unload.py writes them to S3.

Binary COPY: https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

from emulators.redshift.errors import RedshiftError

BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
BINARY_HEADER = len(BINARY_SIGNATURE) + 8  # the signature, the flags and the header extension length
BINARY_TRAILER = b"\xff\xff"
_INT16 = struct.Struct("!h")
_INT32 = struct.Struct("!i")
_FIELD = struct.Struct("!Ii")  # a record's field: type OID, length (-1: NULL)
_NUMERIC_HEAD = struct.Struct("!hhHh")  # ndigits, weight, sign, dscale
_NUMERIC_NEGATIVE, _NUMERIC_NAN = 0x4000, 0xC000
_POSTGRES_EPOCH = datetime(2000, 1, 1)
_POSTGRES_EPOCH_DAYS = 10_957  # days from 1970-01-01 to 2000-01-01
_POSTGRES_EPOCH_MICROS = _POSTGRES_EPOCH_DAYS * 86_400_000_000


def _numeric(data: bytes) -> Decimal:
    ndigits, weight, sign, scale = _NUMERIC_HEAD.unpack_from(data)
    if sign == _NUMERIC_NAN:
        return Decimal("NaN")
    digits = struct.unpack_from(f"!{ndigits}H", data, 8)
    value = Decimal(0)
    for index, digit in enumerate(digits):
        value += Decimal(digit).scaleb(4 * (weight - index))
    value = value.quantize(Decimal(1).scaleb(-scale))
    return -value if sign == _NUMERIC_NEGATIVE else value


def _text(data: bytes) -> str:
    return data.decode()


# type OID -> (decode the binary value to what Arrow takes, the Arrow type; None: chosen from the values)
_TYPES: dict[int, tuple[Callable[[bytes], object], pa.DataType | None]] = {
    16: (lambda data: data == b"\x01", pa.bool_()),
    21: (lambda data: _INT16.unpack(data)[0], pa.int16()),
    23: (lambda data: _INT32.unpack(data)[0], pa.int32()),
    20: (lambda data: int.from_bytes(data, "big", signed=True), pa.int64()),
    700: (lambda data: struct.unpack("!f", data)[0], pa.float32()),
    701: (lambda data: struct.unpack("!d", data)[0], pa.float64()),
    1700: (_numeric, None),
    25: (_text, pa.string()),
    1043: (_text, pa.string()),
    1042: (_text, pa.string()),
    19: (_text, pa.string()),
    1082: (lambda data: _INT32.unpack(data)[0] + _POSTGRES_EPOCH_DAYS, pa.date32()),
    1114: (
        lambda data: int.from_bytes(data, "big", signed=True) + _POSTGRES_EPOCH_MICROS,
        pa.timestamp("us"),
    ),
    1184: (
        lambda data: int.from_bytes(data, "big", signed=True) + _POSTGRES_EPOCH_MICROS,
        pa.timestamp("us", tz="UTC"),
    ),
}


class BinaryRows:
    """Messages of the binary COPY of `SELECT row, names` -> each row's values, with names and type OIDs
    learned from the first row."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.oids: list[int] = []

    def values(self, message: bytes) -> list[object] | None:
        """One CopyData message -> the row's decoded values (None for NULL); None for the trailer."""
        if message.startswith(BINARY_SIGNATURE):
            message = message[BINARY_HEADER:]
        if message == BINARY_TRAILER:
            return None
        position = 2 + 4  # the row's field count (2), then the record's length
        (count,) = _INT32.unpack_from(message, position)
        position += 4
        values: list[object] = []
        oids: list[int] = []
        for _ in range(count):
            oid, length = _FIELD.unpack_from(message, position)
            position += 8
            oids.append(oid)
            decode = _TYPES.get(oid)
            if decode is None:
                raise RedshiftError(
                    f"UNLOAD to Parquet or JSON does not support the type of column {len(values) + 1} "
                    f"(PostgreSQL type OID {oid}) in the Redshift emulator; cast it in the query"
                )
            if length < 0:
                values.append(None)
                continue
            values.append(decode[0](message[position : position + length]))
            position += length
        if not self.names:
            (length,) = _INT32.unpack_from(message, position)
            self.names = json.loads(message[position + 4 : position + 4 + length])
        if not self.oids:
            self.oids = oids  # a record names its column's type for NULLs too: the same in every row
        return values


def arrow_type(oid: int, values: Sequence[object]) -> pa.DataType:
    """The Parquet (Arrow) type of a column: its PostgreSQL type's, the largest scale seen for NUMERIC."""
    decode = _TYPES.get(oid)
    if decode is not None and decode[1] is not None:
        return decode[1]
    scale = max((-value.as_tuple().exponent for value in values if isinstance(value, Decimal)), default=0)
    return pa.decimal128(38, max(scale, 0))


def json_line(names: Sequence[str], oids: Sequence[int], values: Sequence[object]) -> bytes:
    """One row as Redshift's UNLOAD ... FORMAT JSON writes it: an object, keys the column names, numbers
    (NUMERIC with all its digits) and booleans as JSON's, dates and timestamps as Redshift's text."""
    members = []
    for name, oid, value in zip(names, oids, values, strict=True):
        if value is None or isinstance(value, (bool, str, float)):
            text = json.dumps(value, ensure_ascii=False)
        elif oid == 1082:
            text = f'"{date(1970, 1, 1) + timedelta(days=value)}"'
        elif oid in (1114, 1184):
            moment = _POSTGRES_EPOCH + timedelta(microseconds=value - _POSTGRES_EPOCH_MICROS)
            text = f'"{moment.isoformat(sep=" ")}{"+00" if oid == 1184 else ""}"'
        else:
            text = str(value)  # int, Decimal
        members.append(f"{json.dumps(name, ensure_ascii=False)}:{text}")
    return ("{" + ",".join(members) + "}\n").encode()


class ParquetRows:
    """Rows gathered into one Parquet file's row groups; the file's bytes handed to ``write`` as Arrow
    produces them (each row group once complete, the footer at close)."""

    def __init__(self, names: Sequence[str], oids: Sequence[int], write: Callable[[bytes], None]) -> None:
        self._names, self._oids = list(names), list(oids)
        self._sink = _Sink(write)
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def write_group(self, rows: Sequence[Sequence[object]]) -> None:
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in self._names]
        if self._schema is None:
            types = [arrow_type(oid, column) for oid, column in zip(self._oids, columns, strict=True)]
            self._schema = pa.schema(list(zip(self._names, types, strict=True)))
            self._writer = pq.ParquetWriter(self._sink, self._schema)
        arrays = [
            pa.array(_scaled(column, field.type), field.type)
            for column, field in zip(columns, self._schema, strict=True)
        ]
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self._schema))

    def close(self) -> None:
        if self._writer is None:
            self.write_group([])
        self._writer.close()


def _scaled(column: Sequence[object], arrow: pa.DataType) -> Sequence[object]:
    """NUMERIC values at the file's scale (a later row group may hold more digits than the first)."""
    if not pa.types.is_decimal(arrow):
        return column
    unit = Decimal(1).scaleb(-arrow.scale)
    return [value if value is None else value.quantize(unit) for value in column]


class _Sink(io.RawIOBase):
    """The file object ParquetWriter writes to: every write goes on to the part file."""

    def __init__(self, write: Callable[[bytes], None]) -> None:
        super().__init__()
        self._write = write
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        chunk = bytes(data)
        self._write(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position
