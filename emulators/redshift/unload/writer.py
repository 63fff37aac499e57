"""Write an UNLOAD's output to S3 as Redshift writes it (r_UNLOAD.html): the rows in Redshift's delimited
text, CSV, JSON lines or Parquet, split into part files named as Redshift names them, and the manifest.

Rows arrive one per CopyData message of PostgreSQL's `COPY (query) TO STDOUT` (the protocol sends each row
as one message). A text unload's rows come in PostgreSQL's own text format and are rewritten here; CSV rows
pass through. Each file is compressed on the fly (GZIP) and uploaded as a multipart upload once it outgrows
one part, so memory stays bounded. JSON and Parquet rows come in binary COPY and are decoded by
unload_formats.py; Parquet files are written a row group (GROUP_ROWS rows) at a time.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import threading
import zlib

from botocore.exceptions import BotoCoreError, ClientError

from emulators.redshift.errors import RedshiftError
from emulators.redshift.load.copy_options import LARGEST_UNLOAD_FILE
from emulators.redshift.load.s3 import s3_client, s3_error, split_s3_url
from emulators.redshift.plan import UnloadToS3
from emulators.redshift.unload.formats import BinaryRows, ParquetRows, json_line

PART_SIZE = 8 * 1024 * 1024  # S3 multipart parts must be at least 5 MiB, except the last
GROUP_ROWS = 64 * 1024  # rows of one Parquet row group
NOT_EMPTY = (
    "Specified unload destination on S3 is not empty. Consider using a different bucket / prefix, "
    "manually removing the target files in S3, or using the ALLOWOVERWRITE option."
)
# PostgreSQL's text format with its defaults (copy_options.copy_to_stdout_sql): fields separated by tabs,
# NULL as \N; in the data, a backslash is \\ and backspace, form feed, newline, carriage return, tab and
# vertical tab are \b \f \n \r \t \v.
PG_DELIMITER = b"\t"
PG_NULL = b"\\N"
PG_ESCAPE = re.compile(rb"\\(.)", re.S)
PG_ESCAPED = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}


def pg_text_fields(row: bytes) -> list[bytes | None]:
    """One row of PostgreSQL's text format -> its values, None for NULL."""
    line = row.removesuffix(b"\n")
    fields = line.split(PG_DELIMITER)  # a tab in the data arrives as \t
    if b"\\" not in line:
        return fields  # neither NULL nor an escape: most rows, on the fast path
    return [
        None if field == PG_NULL else PG_ESCAPE.sub(_pg_unescape, field) if b"\\" in field else field
        for field in fields
    ]


def _pg_unescape(escape: re.Match[bytes]) -> bytes:
    character = escape.group(1)
    return PG_ESCAPED.get(character, character)


class DelimitedText:
    """Rows of PostgreSQL's text format -> lines of Redshift's delimited text (r_UNLOAD.html): values
    between DELIMITER characters, NULL AS for nulls, each field in double quotes with ADDQUOTES, and a
    backslash before linefeed, carriage return, the delimiter and backslash with ESCAPE (and before both
    quotation marks when ADDQUOTES is there too).

    ESCAPE applies to the NULL AS string as well, as Redshift's does: `NULL AS '\\N' ESCAPE` writes `\\\\N`,
    which COPY ... ESCAPE reads as the default null (copy-parameters-data-conversion.html#copy-escape).
    """

    def __init__(self, spec: UnloadToS3) -> None:
        quote = b'"' if spec.add_quotes else b""
        self._null = spec.null_as.encode()
        self._start = quote
        self._separator = quote + spec.delimiter.encode() + quote
        self._end = quote + b"\n"
        self._specials = b""
        if spec.escape:
            # ESCAPE names CHAR and VARCHAR columns; the text of other types holds none of these
            # characters unless the delimiter is one of their digits or punctuation marks.
            self._specials = ("\n\r\\" + spec.delimiter + ("\"'" if spec.add_quotes else "")).encode()
            self._special = re.compile(b"[" + re.escape(self._specials) + b"]")

    def __call__(self, row: bytes) -> bytes:
        values = [self._null if value is None else value for value in pg_text_fields(row)]
        if self._specials:
            values = [self._escaped(value) for value in values]
        return self._start + self._separator.join(values) + self._end

    def _escaped(self, value: bytes) -> bytes:
        if len(value.translate(None, self._specials)) == len(value):
            return value  # nothing to escape: most values, on the fast path
        return self._special.sub(rb"\\\g<0>", value)


def _as_is(row: bytes) -> bytes:
    return row


def _deflate_bound(length: int) -> int:
    """At most how many compressed bytes ``length`` bytes of input become, the gzip trailer included
    (zlib's deflateBound, rounded up)."""
    return length + (length >> 11) + 64


class _PartFile:
    """One part file on S3: written in parts once it outgrows one, compressed on the fly with GZIP."""

    def __init__(
        self, client, bucket: str, key: str, gzip: bool, max_size: int, header: bytes | None
    ) -> None:
        self.key = key
        self.url = f"s3://{bucket}/{key}"
        self.size = 0  # bytes of the object so far
        self.records = 0  # lines, the header's included (the manifest's record_count)
        self._header_lines = 0 if header is None else 1
        self._client = client
        self._bucket = bucket
        self._max_size = max_size
        self._compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS) if gzip else None
        self._unflushed = 0  # bytes the compressor holds that self.size does not count yet
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict] = []
        if header is not None:
            self.write(header)

    @property
    def has_rows(self) -> bool:
        return self.records > self._header_lines

    def has_room_for(self, length: int) -> bool:
        """``length`` more bytes of data keep the file within MAXFILESIZE."""
        if self._compressor is None:
            return self.size + length <= self._max_size
        if self.size + _deflate_bound(self._unflushed + length) <= self._max_size:
            return True
        if self._unflushed:
            # Near the limit: learn how big the compressed file is before deciding.
            self._add(self._compressor.flush(zlib.Z_SYNC_FLUSH))
            self._unflushed = 0
        return self.size + _deflate_bound(length) <= self._max_size

    def write(self, line: bytes, records: int = 1) -> None:
        self.records += records
        if self._compressor is None:
            self._add(line)
        else:
            self._unflushed += len(line)
            self._add(self._compressor.compress(line))

    def finish(self) -> None:
        if self._compressor is not None:
            self._add(self._compressor.flush())
        try:
            if self._upload_id is None:
                self._client.put_object(Bucket=self._bucket, Key=self.key, Body=bytes(self._buffer))
            else:
                self._upload_part()
                self._client.complete_multipart_upload(
                    Bucket=self._bucket,
                    Key=self.key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
        except (ClientError, BotoCoreError) as error:
            raise s3_error(error, f"UNLOAD to {self.url}") from error
        self._upload_id = None
        self._buffer.clear()

    def abort(self) -> None:
        """Drop a half-written upload: nothing was completed, so no object is visible either way."""
        self._buffer.clear()
        if self._upload_id is not None:
            upload_id, self._upload_id = self._upload_id, None
            with contextlib.suppress(ClientError, BotoCoreError):
                self._client.abort_multipart_upload(Bucket=self._bucket, Key=self.key, UploadId=upload_id)

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        self._buffer += data
        if len(self._buffer) >= PART_SIZE:
            self._upload_part()

    def _upload_part(self) -> None:
        try:
            if self._upload_id is None:
                upload = self._client.create_multipart_upload(Bucket=self._bucket, Key=self.key)
                self._upload_id = upload["UploadId"]
            number = len(self._parts) + 1
            response = self._client.upload_part(
                Bucket=self._bucket,
                Key=self.key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=bytes(self._buffer),
            )
        except (ClientError, BotoCoreError) as error:
            raise s3_error(error, f"UNLOAD to {self.url}") from error
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})
        self._buffer.clear()


class S3Unload:
    """One UNLOAD's S3 side: check the destination, write the rows into part files, write the manifest."""

    def __init__(self, spec: UnloadToS3, endpoint_url: str | None) -> None:
        self.spec = spec
        self._client = s3_client(spec.credentials, spec.region, endpoint_url)
        self._bucket, self._prefix = split_s3_url(spec.s3_url)
        self._format = DelimitedText(spec) if spec.format == "text" else _as_is
        self._binary = BinaryRows() if spec.format in ("json", "parquet") else None
        self._group: list[list[object]] = []  # Parquet: the rows of the next row group
        self._parquet: ParquetRows | None = None  # Parquet: the writer of the file being written
        self._awaiting_header = spec.copies_header
        self._header: bytes | None = None  # repeated at the top of each file
        self._columns: list[str] = []
        self._file: _PartFile | None = None
        self._finished: list[_PartFile] = []
        # A client that goes away aborts the UNLOAD from another thread than the one writing it: the lock
        # lets the write in progress end first, and nothing is written after an abort.
        self._lock = threading.Lock()
        self._state = "writing"  # then "complete" (finish succeeded) or "aborted"

    def start(self) -> None:
        """Refuse before the query runs: no bucket, refused credentials, or files UNLOAD might overwrite."""
        try:
            self._client.head_bucket(Bucket=self._bucket)
            if not self.spec.allow_overwrite:
                # r_UNLOAD.html, ALLOWOVERWRITE: by default UNLOAD fails if it might overwrite files.
                listing = self._client.list_objects_v2(Bucket=self._bucket, Prefix=self._prefix, MaxKeys=1)
                if listing.get("KeyCount", 0):
                    raise RedshiftError(NOT_EMPTY)
        except (ClientError, BotoCoreError) as error:
            raise s3_error(error, f"UNLOAD destination {self.spec.s3_url}") from error

    def write(self, rows: list[bytes]) -> None:
        """Rows of upstream's COPY output, each a whole row (one CopyData message)."""
        with self._lock:
            if self._state == "writing":
                self._write(rows)

    def _write(self, rows: list[bytes]) -> None:
        if self._binary is not None:
            self._write_binary(rows)
            return
        for row in rows:
            if self._awaiting_header:
                self._awaiting_header = False
                self._read_header(row)
            else:
                self._write_line(self._format(row))

    def finish(self) -> list[str]:
        """Complete the last file (the only one, empty, when no row came; none for Parquet) and the
        manifest; the keys of the part files."""
        with self._lock:
            if self._state != "writing":
                raise RedshiftError("UNLOAD was aborted")
            keys = self._finish()
            self._state = "complete"
            return keys

    def _finish(self) -> list[str]:
        if self.spec.format == "parquet":
            self._finish_parquet()
        elif self._file is None:
            self._next_file()
        if self._binary is not None:
            self._columns = self._binary.names
        if self._file is not None:
            self._file.finish()
            self._finished.append(self._file)
            self._file = None
        if self.spec.manifest:
            key = self._prefix + "manifest"
            try:
                self._client.put_object(Bucket=self._bucket, Key=key, Body=self._manifest())
            except (ClientError, BotoCoreError) as error:
                raise s3_error(error, f"UNLOAD manifest s3://{self._bucket}/{key}") from error
        return [part.key for part in self._finished]

    def abort(self) -> None:
        """Leave no part file of a failed UNLOAD behind: drop the one being written, delete finished ones.
        An UNLOAD that completed is left as it is."""
        with self._lock:
            if self._state == "complete":
                return
            self._state = "aborted"
            self._abort()

    def _abort(self) -> None:
        self._parquet = None
        if self._file is not None:
            self._file.abort()
            self._file = None
        for part in self._finished:
            with contextlib.suppress(ClientError, BotoCoreError):
                self._client.delete_object(Bucket=self._bucket, Key=part.key)
        self._finished.clear()

    def _read_header(self, row: bytes) -> None:
        if self.spec.format == "text":
            names = [name or b"" for name in pg_text_fields(row)]
            self._columns = [name.decode(errors="replace") for name in names]
        else:
            line = row.decode(errors="replace")
            self._columns = next(csv.reader([line], delimiter=self.spec.delimiter))
        if self.spec.header:
            # r_UNLOAD.html, HEADER: DELIMITER, ADDQUOTES and ESCAPE apply to the header line too.
            self._header = self._format(row)

    def _write_binary(self, rows: list[bytes]) -> None:
        for row in rows:
            values = self._binary.values(row)
            if values is None:
                continue
            if self.spec.format == "json":
                self._write_line(json_line(self._binary.names, self._binary.oids, values))
                continue
            self._group.append(values)
            if len(self._group) >= GROUP_ROWS:
                self._write_group()

    def _write_group(self) -> None:
        """One Parquet row group; MAXFILESIZE: a file that reached it is closed after its last group."""
        if self._parquet is None:
            self._next_file()
            self._parquet = ParquetRows(self._binary.names, self._binary.oids, self._file_bytes)
        self._parquet.write_group(self._group)
        self._file.records += len(self._group)
        self._group = []
        if self._file.size >= (self.spec.max_file_size or LARGEST_UNLOAD_FILE):
            self._parquet.close()
            self._parquet = None

    def _file_bytes(self, data: bytes) -> None:
        self._file.write(data, records=0)

    def _finish_parquet(self) -> None:
        """The last row group and the file's footer. No rows, no file: a Parquet file needs a schema."""
        if self._group:
            self._write_group()
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None

    def _write_line(self, line: bytes) -> None:
        # MAXFILESIZE: a row that does not fit starts the next file; rows never straddle files, and a
        # row larger than the limit gets a file of its own.
        if self._file is None or (self._file.has_rows and not self._file.has_room_for(len(line))):
            self._next_file()
        self._file.write(line)

    def _next_file(self) -> None:
        if self._file is not None:
            self._file.finish()
            self._finished.append(self._file)
        index = len(self._finished)
        # r_UNLOAD.html: PARALLEL ON names files <prefix><slice>_part_<part> (slice 0, the emulator's
        # only one); PARALLEL OFF names them <prefix>000, <prefix>001...; '.gz' with GZIP.
        suffix = f"0000_part_{index:02d}" if self.spec.parallel else f"{index:03d}"
        # Parquet files end in '.parquet', as Redshift names them (r_UNLOAD_command_examples.html).
        extension = ".parquet" if self.spec.format == "parquet" else ".gz" if self.spec.gzip else ""
        key = self._prefix + suffix + extension
        max_size = self.spec.max_file_size or LARGEST_UNLOAD_FILE
        self._file = _PartFile(self._client, self._bucket, key, self.spec.gzip, max_size, self._header)

    def _manifest(self) -> bytes:
        """r_UNLOAD.html, MANIFEST [VERBOSE]; the manifest's layout follows r_UNLOAD_command_examples.html."""
        verbose = self.spec.manifest_verbose
        entries = []
        for part in self._finished:
            entry: dict = {"url": part.url}
            if verbose:
                entry["meta"] = {"content_length": part.size, "record_count": part.records}
            entries.append(entry)
        manifest: dict = {"entries": entries}
        if verbose:
            # COPY TO STDOUT tells the column names but not their types, so the schema has names only.
            manifest["schema"] = {"elements": [{"name": name} for name in self._columns]}
            manifest["meta"] = {
                "content_length": sum(part.size for part in self._finished),
                "record_count": sum(part.records for part in self._finished),
            }
            manifest["author"] = {"name": "Amazon Redshift", "version": "1.0.0"}
        return json.dumps(manifest, indent=2).encode()
