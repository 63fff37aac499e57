"""Stream the S3 objects a COPY names into PostgreSQL's `COPY ... FROM STDIN`.

By default bytes pass through in large chunks: no per-row Python work. The loader decompresses (gzip,
bzip2), drops IGNOREHEADER lines of every file, ends every file with a newline, and counts newlines with
bytes.count, so that a line number PostgreSQL reports maps back to a file and a line in it. A background
thread reads the next chunk from S3 while the previous one is being sent; the queue between them is
short, so memory stays bounded whatever the size of the files.

When the COPY needs Redshift's per-field rules (``convert_rows``, see conversion.py), the loader splits
each file into records, converts them, skips the bad ones MAXERROR allows (``rejected``) and writes the
rest in the format declared upstream; it remembers where each recent row came from instead of counting
newlines. JSON files take that path too (json_load.py turns each record into fields). Parquet files are
read a row group at a time and written upstream as CSV by Arrow (load/parquet.py).
"""

from __future__ import annotations

import bisect
import bz2
import codecs
import functools
import itertools
import json
import queue
import re
import threading
import zlib
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from emulators.redshift.errors import RedshiftError
from emulators.redshift.load.conversion import BadField, Column, RowConverter
from emulators.redshift.load.copy_options import declared_null
from emulators.redshift.load.json_records import JsonPath, JsonRowConverter, parse_jsonpaths
from emulators.redshift.load.records import RowWriter, read_records
from emulators.redshift.plan import CopyFromS3, LoadErrorRow, S3Credentials

CHUNK_SIZE = 256 * 1024
PREFETCH_CHUNKS = 4
LIST_PAGE_SIZE = 1000  # S3's own maximum keys per listing page
RECENT_CHUNKS = 4  # kept to find the raw text of a failing line without reading S3 again
RECENT_ROWS = 20_000  # row-by-row path: origins of the rows sent last, for the same purpose
RAW_LINE_LIMIT = 1024  # stl_load_errors.raw_line is char(1024)
# Clients kept for the sets of keys seen last (a lab uses one or two), and the connections each may
# hold open to S3 at once (botocore's default, 10, would queue the 20th concurrent COPY's requests).
SHARED_CLIENTS = 8
SHARED_CLIENT_CONNECTIONS = 50
_CLIENT_LOCK = threading.Lock()
S3_ERROR_CODE = 8001  # r_Load_Error_Reference.html: errors about the S3 objects themselves


def s3_client(credentials: S3Credentials, region: str | None, endpoint_url: str | None):
    """A client with the statement's keys; with IAM_ROLE or no keys, the emulator's ambient credentials.

    boto3 itself reads AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL when ``endpoint_url`` is None.
    """
    keys = (None, None, None)
    if credentials.access_key_id and not credentials.iam_role:
        keys = (credentials.access_key_id, credentials.secret_access_key, credentials.session_token)
    return _shared_client(keys, region, endpoint_url)


@functools.lru_cache(maxsize=SHARED_CLIENTS)
def _shared_client(keys: tuple[str | None, str | None, str | None], region: str | None, endpoint: str | None):
    """One client per set of keys, region and endpoint, shared by every load and unload that names them:
    a boto3 session and client cost about 20 MB, and a client is safe to use from several threads
    (boto3's guide, "Multithreading or multiprocessing with clients"); a session is not, so the client
    is built under a lock."""
    access_key_id, secret_access_key, session_token = keys
    with _CLIENT_LOCK:
        return boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint,
            region_name=region,
            config=Config(retries={"max_attempts": 2}, max_pool_connections=SHARED_CLIENT_CONNECTIONS),
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            aws_session_token=session_token,
        )


def split_s3_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.netloc, parts.path.lstrip("/")


def redshift_detail(error: str, code: int, context: str) -> str:
    """The DETAIL block Redshift attaches to load and S3 errors."""
    rule = "  " + "-" * 47
    return "\n".join(
        ["", rule, f"  error:  {error}", f"  code:      {code}", f"  context:   {context}", rule]
    )


def s3_error(error: Exception, context: str) -> RedshiftError:
    """A boto3 failure, worded like Redshift's S3ServiceException."""
    if isinstance(error, ClientError):
        response = error.response
        details = response.get("Error", {})
        meta = response.get("ResponseMetadata", {})
        message = (
            f"S3ServiceException:{details.get('Message') or details.get('Code')},"
            f"Status {meta.get('HTTPStatusCode', '')},Error {details.get('Code', '')},"
            f"Rid {meta.get('RequestId', '')},ExtRid {meta.get('HostId', '')},CanRetry 1"
        )
    else:
        message = f"S3ServiceException:{error}"
    return RedshiftError(message, detail=redshift_detail(message, S3_ERROR_CODE, context))


@dataclass(frozen=True)
class _Object:
    bucket: str
    key: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class S3Load:
    """One COPY's S3 side: list (or read the manifest), then stream, then explain a failed row."""

    def __init__(self, spec: CopyFromS3, endpoint_url: str | None) -> None:
        self.spec = spec
        self._client = s3_client(spec.credentials, spec.region, endpoint_url)
        self._objects: list[_Object] = []
        # Line bookkeeping over the stream PostgreSQL reads: first stream line of each file that sent data.
        self._file_first_lines: list[int] = []
        self._file_indexes: list[int] = []
        self._lines_sent = 0
        self._recent: deque[tuple[int, bool, bytes]] = deque(maxlen=RECENT_CHUNKS)
        self._at_line_start = True
        # The row-by-row path (convert_rows): its converter, the rows it refused, where recent rows came from.
        self._columns: list[Column] = []
        self._converter: RowConverter | JsonRowConverter | None = None
        self.rejected: list[LoadErrorRow] = []
        self._rows_sent = 0
        self._row_origins: deque[tuple[int, int, str]] = deque(maxlen=RECENT_ROWS)
        # Parquet: (first row sent, file index) of each batch, to name the file of a row PostgreSQL refuses.
        self._batch_starts: list[int] = []
        self._batch_files: list[int] = []

    def convert_rows(self, columns: list[Column]) -> None:
        """Load row by row with Redshift's per-field rules, for these target columns in file order (JSON:
        the converter is made in open(), once the JSONPaths file is read)."""
        self._columns = columns
        if self.spec.format in ("text", "csv"):
            self._converter = RowConverter(self.spec, columns)

    # -- before any data flows -----------------------------------------------------------------------

    def open(self) -> None:
        """Find the objects to load; RedshiftError if there are none or S3 refuses."""
        bucket, key = split_s3_url(self.spec.s3_url)
        if self.spec.manifest:
            self._objects = self._manifest_objects(bucket, key)
            return
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=key, PaginationConfig={"PageSize": LIST_PAGE_SIZE}
            )
            # r_COPY.html (FROM): every object whose key begins with the prefix is loaded.
            self._objects = [
                _Object(bucket, item["Key"]) for page in pages for item in page.get("Contents", [])
            ]
        except (ClientError, BotoCoreError) as error:
            raise s3_error(error, f"Listing bucket={bucket} prefix={key}") from error
        if not self._objects:
            message = f"The specified S3 prefix '{key}' does not exist"
            raise RedshiftError(message, detail=redshift_detail(message, S3_ERROR_CODE, ""))
        if self.spec.format == "json":
            self._converter = JsonRowConverter(self.spec, self._columns, self._jsonpaths())

    def _jsonpaths(self) -> list[JsonPath] | None:
        """The JSONPaths file's paths; None with 'auto' (copy-usage_notes-copy-from-json.html)."""
        if not self.spec.json_paths.startswith("s3://"):
            return None
        bucket, key = split_s3_url(self.spec.json_paths)
        try:
            document = self._client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except (ClientError, BotoCoreError) as error:
            raise s3_error(error, f"JSONPaths file {self.spec.json_paths}") from error
        return parse_jsonpaths(document, self.spec.json_paths, len(self._columns))

    def _manifest_objects(self, bucket: str, key: str) -> list[_Object]:
        # loading-data-files-using-manifest.html: {"entries": [{"url": "s3://...", "mandatory": true}]}
        try:
            manifest = json.loads(self._client.get_object(Bucket=bucket, Key=key)["Body"].read())
            entries = [(entry["url"], bool(entry.get("mandatory", False))) for entry in manifest["entries"]]
        except (ClientError, BotoCoreError) as error:
            raise s3_error(error, f"Problem reading manifest file s3://{bucket}/{key}") from error
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            message = f"Manifest file s3://{bucket}/{key} is not in correct json format"
            raise RedshiftError(message, detail=redshift_detail(message, S3_ERROR_CODE, "")) from error
        objects = []
        for url, mandatory in entries:
            entry_bucket, entry_key = split_s3_url(url)
            try:
                self._client.head_object(Bucket=entry_bucket, Key=entry_key)
            except ClientError as error:
                # A missing file fails the load only when the manifest marks it mandatory.
                if mandatory or error.response.get("Error", {}).get("Code") != "404":
                    raise s3_error(error, f"Manifest entry {url}") from error
                continue
            except BotoCoreError as error:
                raise s3_error(error, f"Manifest entry {url}") from error
            objects.append(_Object(entry_bucket, entry_key))
        return objects

    # -- the data --------------------------------------------------------------------------------------

    def chunks(self) -> Iterator[bytes]:
        """The COPY data; raises RedshiftError if S3 fails or a file is corrupt."""
        items: queue.Queue = queue.Queue(maxsize=PREFETCH_CHUNKS)
        stop = threading.Event()
        # Parquet is decoded in the reader thread too: Arrow's allocator keeps a heap per thread, so one
        # thread, not each worker that would call next(), holds its buffers.
        produced = self._parquet_items() if self.spec.format == "parquet" else self._file_items()
        reader = threading.Thread(
            target=self._read_all, args=(produced, items, stop), name="s3-load", daemon=True
        )
        reader.start()
        try:
            if self.spec.format == "parquet":
                yield from (chunk for _index, chunk in _received(items))
                return
            if self._converter is not None:
                yield from self._converted_chunks(_received(items))
                return
            # Redshift without ESCAPE keeps backslashes as data; PostgreSQL's text format escapes with them.
            double_backslashes = self.spec.format == "text" and not self.spec.escape
            for file_index, chunk in _received(items):
                self._note_sent(file_index, chunk)
                yield chunk.replace(b"\\", b"\\\\") if double_backslashes else chunk
        finally:
            # The reader notices within one put timeout and exits; closing never waits on S3.
            stop.set()

    def _converted_chunks(self, received: Iterator[tuple[int, bytes]]) -> Iterator[bytes]:
        # Bound methods looked up once: the loop below runs for every row.
        convert, write = self._converter.convert, RowWriter(self.spec, declared_null(self.spec)).line
        remember = self._row_origins.append
        out: list[str] = []
        size = 0
        for file_index, batches in itertools.groupby(_file_lines(received), key=lambda item: item[0]):
            lines = itertools.chain.from_iterable(batch for _index, batch in batches)
            for line_number, raw, fields in read_records(lines, self.spec):
                try:
                    values = convert(fields)
                except BadField as bad:
                    self._reject(file_index, line_number, raw, bad)
                    continue
                self._rows_sent += 1
                remember((file_index, line_number, raw[:RAW_LINE_LIMIT]))
                line = write(values)
                out.append(line)
                size += len(line)
                if size >= CHUNK_SIZE:
                    yield "".join(out).encode("utf-8", "surrogateescape")
                    out, size = [], 0
        if out:
            yield "".join(out).encode("utf-8", "surrogateescape")

    def _parquet_items(self) -> Iterator[tuple[int, bytes]]:
        """(file index, CSV of some of its rows) for every Parquet file, noting where each piece starts."""
        # Imported here: pyarrow adds tens of MB to the process, which only Parquet loads should pay.
        from emulators.redshift.load import parquet as parquet_load

        for index, s3_object in enumerate(self._objects):
            try:
                parquet = parquet_load.open_parquet(
                    self._client, s3_object.bucket, s3_object.key, s3_object.url
                )
                parquet_load.check_schema(parquet.schema_arrow, self._columns, s3_object.url)
                for rows, data in parquet_load.csv_batches(parquet, s3_object.url):
                    self._batch_starts.append(self._rows_sent + 1)
                    self._batch_files.append(index)
                    self._rows_sent += rows
                    yield index, data
            except (ClientError, BotoCoreError) as error:
                raise s3_error(error, f"S3 object {s3_object.url}") from error

    def _reject(self, file_index: int, line_number: int, raw: str, bad: BadField) -> None:
        """A row Redshift refuses: to stl_load_errors, skipped while MAXERROR allows, else the load fails."""
        column = bad.column
        length = re.search(r"\((\d+)", column.type) if column is not None else None
        row = LoadErrorRow(
            filename=self._objects[file_index].url,
            line_number=line_number + self.spec.ignore_header,
            colname=column.name if column is not None else "",
            type=bad.type_name,
            col_length=length.group(1) if length else "0",
            position=0,
            raw_line=raw[:RAW_LINE_LIMIT],
            raw_field_value=bad.value[:RAW_LINE_LIMIT],
            err_code=bad.code,
            err_reason=bad.reason,
        )
        self.rejected.append(row)
        if len(self.rejected) > self.spec.max_error:
            raise _load_failed(self.spec.table_name, row)

    def _file_items(self) -> Iterator[tuple[int, bytes]]:
        """(file index, chunk) for every file, each file ending with a newline."""
        for index, s3_object in enumerate(self._objects):
            last = b"\n"
            for chunk in _skip_lines(self._file_chunks(s3_object), self.spec.ignore_header):
                yield index, chunk
                last = chunk
            if not last.endswith(b"\n"):
                yield index, b"\n"

    def _read_all(
        self, produced: Iterator[tuple[int, bytes]], items: queue.Queue, stop: threading.Event
    ) -> None:
        def put(item) -> bool:
            while not stop.is_set():
                try:
                    items.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    pass
            return False

        try:
            for item in produced:
                if not put(item):
                    return
        except BaseException as error:  # handed to the consumer, which raises it in its own thread
            put(error)
            return
        put(None)

    def _file_chunks(self, s3_object: _Object) -> Iterator[bytes]:
        try:
            body = self._client.get_object(Bucket=s3_object.bucket, Key=s3_object.key)["Body"]
            raw = iter(lambda: body.read(CHUNK_SIZE), b"")
            if self.spec.compression == "gzip":
                yield from _gunzip(raw, s3_object.url)
            elif self.spec.compression == "bzip2":
                yield from _bunzip2(raw, s3_object.url)
            else:
                yield from raw
        except (ClientError, BotoCoreError) as error:
            raise s3_error(error, f"S3 object {s3_object.url}") from error

    def _note_sent(self, file_index: int, chunk: bytes) -> None:
        if not self._file_indexes or self._file_indexes[-1] != file_index:
            self._file_indexes.append(file_index)
            self._file_first_lines.append(self._lines_sent + 1)
        self._recent.append((self._lines_sent + 1, self._at_line_start, chunk))
        self._lines_sent += chunk.count(b"\n")
        self._at_line_start = chunk.endswith(b"\n")

    # -- after PostgreSQL refused a row ------------------------------------------------------------------

    def load_error(self, upstream_fields: Mapping[str, str]) -> tuple[LoadErrorRow, RedshiftError]:
        """PostgreSQL's ErrorResponse during the COPY -> the stl_load_errors row and the client's error."""
        context = _COPY_CONTEXT.search(upstream_fields.get("W", ""))
        stream_line = int(context.group("line")) if context else 0
        message = upstream_fields.get("M", "")
        column = context.group("column") if context and context.group("column") else _message_column(message)
        value = _field_value(message, context)
        err_code, err_reason, type_name, position = _redshift_reason(
            upstream_fields.get("C", ""), message, value
        )
        if self.spec.format == "parquet":
            filename, line_number, raw_line = self._batch_origin(stream_line)
        elif self._converter is not None:
            filename, line_number, raw_line = self._row_origin(stream_line)
        else:
            filename, line_number, raw_line = self._line_origin(stream_line)
        row = LoadErrorRow(
            filename=filename,
            line_number=line_number,
            colname=column,
            type=type_name,
            col_length="0",
            position=position,
            raw_line=raw_line,
            raw_field_value=value,
            err_code=err_code,
            err_reason=err_reason,
        )
        return row, _load_failed(self.spec.table_name, row)

    def _line_origin(self, stream_line: int) -> tuple[str, int, str]:
        """(file URL, line in the file, raw line) of a line of the byte stream PostgreSQL read."""
        if not stream_line or not self._file_first_lines:
            return "", 0, ""
        slot = bisect.bisect_right(self._file_first_lines, stream_line) - 1
        if slot < 0:
            return "", 0, ""
        s3_object = self._objects[self._file_indexes[slot]]
        line_number = stream_line - self._file_first_lines[slot] + 1 + self.spec.ignore_header
        raw = self._recent_line(stream_line)
        if raw is None:
            raw = self._line_from_s3(s3_object, line_number)
        return s3_object.url, line_number, raw.decode("utf-8", "replace").rstrip("\r\n")[:RAW_LINE_LIMIT]

    def _row_origin(self, row_number: int) -> tuple[str, int, str]:
        """The same for the row-by-row path, where PostgreSQL's line N is the N-th row sent."""
        index = row_number - (self._rows_sent - len(self._row_origins)) - 1
        if not row_number or not 0 <= index < len(self._row_origins):
            return "", 0, ""
        file_index, line_number, raw = self._row_origins[index]
        return self._objects[file_index].url, line_number + self.spec.ignore_header, raw

    def _batch_origin(self, row_number: int) -> tuple[str, int, str]:
        """The same for Parquet: the file, and the row's number in it (a binary file has no raw line)."""
        slot = bisect.bisect_right(self._batch_starts, row_number) - 1
        if not row_number or slot < 0:
            return "", 0, ""
        file_index = self._batch_files[slot]
        first_slot = self._batch_files.index(file_index)
        return self._objects[file_index].url, row_number - self._batch_starts[first_slot] + 1, ""

    def _recent_line(self, stream_line: int) -> bytes | None:
        for index, (first_line, at_line_start, _chunk) in enumerate(self._recent):
            if first_line < stream_line or (first_line == stream_line and at_line_start):
                data = b"".join(chunk for _first, _start, chunk in list(self._recent)[index:])
                skip = stream_line - first_line
                start = 0
                for _ in range(skip):
                    start = data.find(b"\n", start) + 1
                    if start == 0:
                        return None
                end = data.find(b"\n", start)
                return data[start:] if end < 0 else data[start:end]
        return None

    def _line_from_s3(self, s3_object: _Object, line_number: int) -> bytes:
        """Read the file again up to the line: only when the line is older than the recent chunks."""
        seen = 0
        pending = b""
        for chunk in self._file_chunks(s3_object):
            count = chunk.count(b"\n")
            if seen + count < line_number - 1:
                seen += count
                pending = b""
                continue
            data = pending + chunk
            start = 0
            while seen < line_number - 1:
                start = data.find(b"\n", start) + 1
                seen += 1
            end = data.find(b"\n", start)
            if end >= 0:
                return data[start:end]
            pending, seen = data[start:], line_number - 1
        return pending


def _load_failed(table_name: str, row: LoadErrorRow) -> RedshiftError:
    return RedshiftError(
        f"Load into table '{table_name}' failed.  Check 'stl_load_errors' system table for details.",
        detail=redshift_detail(row.err_reason, row.err_code, row.raw_field_value or row.raw_line),
    )


def _received(items: queue.Queue) -> Iterator[tuple[int, bytes]]:
    """What the reader thread queued, (file index, chunk), up to its end mark; its failures re-raised."""
    while (item := items.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        yield item


def _file_lines(received: Iterator[tuple[int, bytes]]) -> Iterator[tuple[int, list[str]]]:
    """(file index, the lines a chunk completes, each with its newline) over the chunks of every file;
    every file ends with a newline. A list a chunk, not a line at a time: fewer steps for Python.
    Bytes that are not UTF-8 survive as surrogates and reach PostgreSQL unchanged, which refuses them."""
    current, decoder, pending = None, None, ""
    for file_index, chunk in received:
        if file_index != current:
            current, pending = file_index, ""
            decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        *lines, pending = (pending + decoder.decode(chunk)).split("\n")
        yield file_index, [line + "\n" for line in lines]


def _skip_lines(chunks: Iterator[bytes], count: int) -> Iterator[bytes]:
    """IGNOREHEADER n: drop the first n lines of one file (copy-parameters-data-conversion.html)."""
    for chunk in chunks:
        while count and chunk:
            newline = chunk.find(b"\n")
            chunk = b"" if newline < 0 else chunk[newline + 1 :]
            count -= newline >= 0
        if chunk:
            yield chunk


def _corrupt(kind: str, url: str, reason: str) -> RedshiftError:
    message = f"{kind}: {reason}. File '{url}'"
    return RedshiftError(message, detail=redshift_detail(message, S3_ERROR_CODE, url))


def _gunzip(raw: Iterator[bytes], url: str) -> Iterator[bytes]:
    """gzip files, concatenated members included; every output chunk at most CHUNK_SIZE."""
    decompressor = None
    try:
        for block in raw:
            while block:
                if decompressor is None or decompressor.eof:
                    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
                if out := decompressor.decompress(block, CHUNK_SIZE):
                    yield out
                block = decompressor.unconsumed_tail
                if not block and decompressor.eof:
                    block = decompressor.unused_data
    except zlib.error as error:
        raise _corrupt("gzip", url, str(error)) from error
    if decompressor is not None and not decompressor.eof:
        raise _corrupt("gzip", url, "unexpected end of stream")


def _bunzip2(raw: Iterator[bytes], url: str) -> Iterator[bytes]:
    """bzip2 files, concatenated streams included; every output chunk at most CHUNK_SIZE."""
    decompressor, fed = bz2.BZ2Decompressor(), False
    try:
        for block in raw:
            while True:
                if decompressor.eof:
                    block = decompressor.unused_data + block
                    decompressor, fed = bz2.BZ2Decompressor(), False
                if not block and decompressor.needs_input:
                    break
                out = decompressor.decompress(block, CHUNK_SIZE)
                fed, block = True, b""
                if out:
                    yield out
    except (OSError, EOFError) as error:
        raise _corrupt("bzip2", url, str(error)) from error
    if fed and not decompressor.eof:
        raise _corrupt("bzip2", url, "unexpected end of stream")


# PostgreSQL's CONTEXT for COPY errors: 'COPY nps, line 3, column score: "x"' or 'COPY nps, line 3: "..."'
_COPY_CONTEXT = re.compile(
    r"COPY .*?, line (?P<line>\d+)(?:, column (?P<column>[^:\n]+))?(?:: (?P<value>.*))?"
)
_INPUT_SYNTAX = re.compile(r'invalid input syntax for type (?P<type>[\w ]+?): "(?P<value>.*)"', re.S)
_OUT_OF_RANGE = re.compile(r'value "(?P<value>.*)" is out of range for type (?P<type>[\w ]+)', re.S)
_QUOTED_VALUE = re.compile(r': "(?P<value>.*)"$', re.S)
_COLUMN_IN_MESSAGE = re.compile(r'column "(?P<column>[^"]+)"')

# PostgreSQL type -> (stl_load_errors.type, the type word of Redshift's err_reason)
_TYPES = {
    "smallint": ("int2", "Short"),
    "integer": ("int4", "Integer"),
    "bigint": ("int8", "Long"),
    "numeric": ("numeric", "Decimal"),
    "real": ("float4", "Float"),
    "double precision": ("float8", "Double"),
    "boolean": ("bool", "Boolean"),
    "date": ("date", "Date"),
    "timestamp without time zone": ("timestamp", "Timestamp"),
    "timestamp": ("timestamp", "Timestamp"),
    "timestamp with time zone": ("timestamptz", "Timestamptz"),
}


def _message_column(message: str) -> str:
    match = _COLUMN_IN_MESSAGE.search(message)
    return match.group("column") if match else ""


def _field_value(message: str, context: re.Match[str] | None) -> str:
    for pattern in (_INPUT_SYNTAX, _OUT_OF_RANGE, _QUOTED_VALUE):
        if match := pattern.search(message):
            return match.group("value")
    if context and context.group("column") and context.group("value"):
        value = context.group("value")
        return value[1:-1] if value.startswith('"') and value.endswith('"') else value
    return ""


def _redshift_reason(sqlstate: str, message: str, value: str) -> tuple[int, str, str, int]:
    """(err_code, err_reason, type, position) as r_Load_Error_Reference.html numbers them."""
    syntax = _INPUT_SYNTAX.search(message) or _OUT_OF_RANGE.search(message)
    pg_type = syntax.group("type") if syntax else ""
    type_name, type_word = _TYPES.get(pg_type, (pg_type, pg_type.title()))
    if sqlstate == "22003":
        return 1204, f"Overflow, Value '{value}', Type: {type_word}", type_name, 0
    if pg_type.startswith("timestamp") or (sqlstate in ("22007", "22008") and " " in value.strip()):
        return 1206, "Invalid timestamp format or value [YYYY-MM-DD HH24:MI:SS]", type_name, 0
    if pg_type == "date" or sqlstate in ("22007", "22008"):
        return 1205, "Invalid Date Format - length must be 10 or more", type_name or "date", 0
    if pg_type in ("smallint", "integer", "bigint", "numeric"):
        position = next((i for i, char in enumerate(value) if not (char.isdigit() or char in "+-.")), 0)
        return (
            1207,
            f"Invalid digit, Value '{value[position : position + 1]}', Pos {position}, Type: {type_word}",
            (type_name),
            position,
        )
    if pg_type in ("real", "double precision"):
        return 1208, f"Invalid float value '{value}'", type_name, 0
    if pg_type == "boolean":
        return 1210, f"Invalid boolean value '{value}'", type_name, 0
    if message.startswith("extra data after last expected column"):
        return 1202, "Extra column(s) found", "", 0
    if message.startswith("missing data for column") or message.startswith("unterminated CSV quoted field"):
        return 1214, "Delimiter not found", "", 0
    if sqlstate == "23502":
        return 1213, "Missing data for not-null field", "", 0
    if sqlstate == "22001":
        return 1204, "String length exceeds DDL length", "varchar", 0
    if sqlstate == "22021":
        return 1220, "String contains invalid or unsupported UTF8 codepoints", "varchar", 0
    return 1200, message, type_name, 0
