"""The Data API's catalog operations: ListDatabases, ListSchemas, ListTables, DescribeTable
(API_ListDatabases.html, API_ListSchemas.html, API_ListTables.html, API_DescribeTable.html). They answer at
once, from PostgreSQL's catalog read through the emulator's own endpoint; the emulator's schema
(redshift_emulator) and PostgreSQL's internal ones (pg_toast, other sessions' pg_temp_N) are never listed."""

from __future__ import annotations

import psycopg

from emulators.redshift.data_api import protocol

PAGE_LIMIT = 1000  # PageSize: MaxResults 0 to 1000 (0 or absent: 1000 a page)
HIDDEN = r"n.nspname <> 'redshift_emulator' and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'"
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")
RELATION_KINDS = "('r', 'p', 'f', 'v', 'm')"  # tables, partitioned and foreign tables, views

LIST_DATABASES = """
select datname from pg_catalog.pg_database
where datallowconn and not datistemplate order by datname"""

LIST_SCHEMAS = f"""
select n.nspname from pg_catalog.pg_namespace n
where {HIDDEN} and n.nspname like %(schema)s order by n.nspname"""

LIST_TABLES = f"""
select n.nspname, c.relname, c.relkind from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind in {RELATION_KINDS} and {HIDDEN}
  and n.nspname like %(schema)s and c.relname like %(table)s
order by n.nspname, c.relname"""

DESCRIBE_TABLE = f"""
select n.nspname, c.relname, a.attname, t.typname, a.atttypmod, a.attnotnull,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid)
from pg_catalog.pg_attribute a
join pg_catalog.pg_class c on c.oid = a.attrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_type t on t.oid = a.atttypid
left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
where a.attnum > 0 and not a.attisdropped and c.relkind in {RELATION_KINDS} and {HIDDEN}
  and (%(schema)s::text is null or n.nspname = %(schema)s)
  and (%(table)s::text is null or c.relname = %(table)s)
order by n.nspname, c.relname, a.attnum"""

# Column sizes as Redshift's JDBC driver (PostgreSQL's, forked) reports them: length and precision
FIXED_SIZES = {
    "int2": 5,
    "int4": 10,
    "int8": 19,
    "float4": 8,
    "float8": 17,
    "bool": 1,
    "date": 13,
    "time": 15,
    "timetz": 21,
    "timestamp": 29,
    "timestamptz": 35,
}
NUMBER_TYPES = {"int2", "int4", "int8", "float4", "float8", "numeric"}
TEXT_TYPES = {"varchar", "bpchar", "text", "char", "name"}
MAX_VARCHAR = 65535  # r_Character_types.html: VARCHAR holds up to 65535 bytes
DEFAULT_NUMERIC = (18, 0)  # r_Numeric_types201.html: DECIMAL without precision is DECIMAL(18, 0)


def _pattern(body: dict, name: str) -> str:
    """SchemaPattern / TablePattern: "%" any substring, "_" any one character; absent: everything."""
    value = body.get(name)
    if value is None:
        return "%"
    if not isinstance(value, str):
        raise protocol.validation(f"{name} must be a string")
    return value


def _name(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise protocol.validation(f"{name} must be a string")
    return value or None


def _page(body: dict, items: list, key: str) -> dict:
    chosen, more = protocol.page(body, items, PAGE_LIMIT)
    return {key: chosen} | more


def table_type(schema: str, kind: str) -> str:
    """TableMember.type: TABLE, VIEW, SYSTEM TABLE, SYSTEM VIEW (the values API_TableMember.html lists)."""
    view = kind in ("v", "m")
    if schema in SYSTEM_SCHEMAS:
        return "SYSTEM VIEW" if view else "SYSTEM TABLE"
    return "VIEW" if view else "TABLE"


def catalog_column(schema, table, name, type_name, typmod, not_null, default) -> dict:
    """One ColumnMetadata of DescribeTable, from pg_attribute's type and type modifier."""
    if type_name in ("varchar", "bpchar"):
        size, scale = (typmod - 4 if typmod > 4 else MAX_VARCHAR), 0
    elif type_name == "text":
        size, scale = MAX_VARCHAR, 0
    elif type_name == "numeric":
        size, scale = (
            (((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF) if typmod > 4 else DEFAULT_NUMERIC
        )
    else:
        size, scale = FIXED_SIZES.get(type_name, 0), 0
    column = {
        "isCaseSensitive": type_name in TEXT_TYPES,
        "isCurrency": False,
        "isSigned": type_name in NUMBER_TYPES,
        "label": name,
        "name": name,
        "nullable": 0 if not_null else 1,
        "precision": size,
        "scale": scale,
        "schemaName": schema,
        "tableName": table,
        "typeName": protocol.TYPE_NAMES.get(type_name, type_name),
        "length": size,
    }
    if default is not None:
        column["columnDefault"] = default
    return column


class CatalogOperations:
    """Mixed into the server's Operations: `self.store.connect` reaches the emulator's own endpoint."""

    default_database: str

    def _catalog(self, body: dict, sql: str, parameters: dict | None = None, required: bool = True) -> list:
        protocol.target(body)
        database = body.get("Database")
        if required and not database:
            raise protocol.validation("Database is required")
        database = database or self.default_database
        try:  # client-side binding: the statement reaches the emulator as one simple query
            with psycopg.connect(
                **self.store.connect, dbname=database, autocommit=True, cursor_factory=psycopg.ClientCursor
            ) as connection:
                return connection.execute(sql, parameters or {}).fetchall()
        except psycopg.OperationalError as error:
            raise protocol.DataApiError(
                "DatabaseConnectionException",
                f"could not connect to database {database!r}: {_reason(error)}",
                status=500,
            ) from None

    def ListDatabases(self, body: dict) -> dict:
        rows = self._catalog(body, LIST_DATABASES, required=False)
        return _page(body, [row[0] for row in rows], "Databases")

    def ListSchemas(self, body: dict) -> dict:
        rows = self._catalog(body, LIST_SCHEMAS, {"schema": _pattern(body, "SchemaPattern")})
        return _page(body, [row[0] for row in rows], "Schemas")

    def ListTables(self, body: dict) -> dict:
        patterns = {"schema": _pattern(body, "SchemaPattern"), "table": _pattern(body, "TablePattern")}
        rows = self._catalog(body, LIST_TABLES, patterns)
        tables = [
            {"name": name, "schema": schema, "type": table_type(schema, kind)} for schema, name, kind in rows
        ]
        return _page(body, tables, "Tables")

    def DescribeTable(self, body: dict) -> dict:
        names = {"schema": _name(body, "Schema"), "table": _name(body, "Table")}
        rows = self._catalog(body, DESCRIBE_TABLE, names)
        answer = _page(body, [catalog_column(*row) for row in rows], "ColumnList")
        if names["table"]:
            answer["TableName"] = names["table"]
        return answer


def _reason(error: Exception) -> str:
    diagnostic = getattr(error, "diag", None)
    primary = diagnostic.message_primary if diagnostic is not None else None
    return primary or str(error).strip().splitlines()[-1]
