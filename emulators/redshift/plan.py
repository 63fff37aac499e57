"""What a Redshift statement asks the emulator to do besides running SQL: the plans that rewrite.py
produces and that s3_load.py / unload.py carry out.

Frozen dataclasses; no repr ever shows a secret (they reach logs and tracebacks).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class S3Credentials:
    """The credentials a COPY or UNLOAD names. All None: the emulator's ambient AWS credentials.

    ``iam_role`` is accepted (Redshift assumes it); the emulator then uses its ambient credentials.
    """

    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    iam_role: str | None = None


@dataclass(frozen=True)
class CopyFromS3:
    """`COPY target (columns) FROM 's3://...'`, as PostgreSQL's `COPY ... FROM STDIN` fed by the loader."""

    target: str
    table_name: str
    columns: tuple[str, ...]
    s3_url: str
    credentials: S3Credentials
    region: str | None = None
    manifest: bool = False
    compression: str | None = None
    ignore_header: int = 0
    max_error: int = 0
    # Format of the files as Redshift reads them: 'csv', 'text' (the pipe-delimited default), 'json' or
    # 'parquet'.
    format: str = "text"
    json_paths: str | None = None  # JSON: 'auto', 'auto ignorecase' or the s3:// URL of a JSONPaths file
    delimiter: str = "|"
    quote: str = '"'
    null_as: str | None = None  # None: Redshift's default for the format
    empty_as_null: bool = False
    blanks_as_null: bool = False
    escape: bool = False  # text format: backslash escapes (Redshift's ESCAPE option)
    date_format: str | None = None
    time_format: str | None = None
    accept_inv_chars: str | None = None  # ACCEPTINVCHARS: what replaces each invalid UTF-8 byte

    @property
    def sends_csv(self) -> bool:
        """The rows go upstream as CSV: CSV files, and the rows the loader makes of JSON or Parquet."""
        return self.format != "text"


@dataclass(frozen=True)
class UnloadToS3:
    """`UNLOAD ('query') TO 's3://...'`, as PostgreSQL's `COPY (query) TO STDOUT` written by the unloader."""

    query: str
    s3_url: str
    credentials: S3Credentials
    region: str | None = None
    format: str = "text"  # 'text', 'csv', 'json' or 'parquet'
    header: bool = False
    delimiter: str = "|"
    null_as: str = ""
    add_quotes: bool = False  # text format: every field in double quotes (ADDQUOTES)
    escape: bool = False  # text format: backslash before special characters (ESCAPE)
    gzip: bool = False
    parallel: bool = True
    allow_overwrite: bool = False
    max_file_size: int | None = None  # MAXFILESIZE in bytes; None: Redshift's default
    manifest: bool = False
    manifest_verbose: bool = False

    @property
    def copies_header(self) -> bool:
        """PostgreSQL's text output starts with the column names: for HEADER, or the manifest's schema
        (Parquet and JSON unloads learn them with the first row)."""
        return (self.header or self.manifest_verbose) and self.format in ("text", "csv")


@dataclass(frozen=True)
class Rewritten:
    """A client's SQL as PostgreSQL must receive it, and what the emulator does for each COPY in it."""

    sql: str
    actions: tuple[CopyFromS3 | UnloadToS3 | None, ...]
    loggable_sql: str
    touches_system_tables: bool = False


@dataclass(frozen=True)
class LoadErrorRow:
    """The stl_load_errors columns the loader knows; the wire side adds userid, slice, tbl, starttime,
    session and query when it inserts the row."""

    filename: str
    line_number: int
    colname: str
    type: str
    col_length: str
    position: int
    raw_line: str
    raw_field_value: str
    err_code: int
    err_reason: str
