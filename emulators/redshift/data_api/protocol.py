"""AWS JSON 1.1 as boto3's `redshift-data` client speaks it: one POST to /, the operation in
X-Amz-Target ("RedshiftData.<Operation>"), a JSON body; errors as {"__type", "message"} with HTTP 400
(client faults) or 500 (server faults), the shapes of botocore's service-2.json."""

from __future__ import annotations

import base64
import csv
import datetime
import decimal
import io
import json
import uuid

TARGET_PREFIX = "RedshiftData."
CONTENT_TYPE = "application/x-amz-json-1.1"
LONG_TYPES = {"int2", "int4", "int8", "smallint", "integer", "bigint", "oid"}
DOUBLE_TYPES = {"float4", "float8", "real", "double precision"}
BOOLEAN_TYPES = {"bool", "boolean"}
TYPE_NAMES = {  # PostgreSQL's internal names -> the names Redshift reports in ColumnMetadata.typeName
    "int2": "int2",
    "int4": "int4",
    "int8": "int8",
    "float4": "float4",
    "float8": "float8",
    "bool": "bool",
    "varchar": "varchar",
    "bpchar": "bpchar",
    "text": "varchar",
    "numeric": "numeric",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamptz",
}


class DataApiError(Exception):
    """An error the Data API answers with: its botocore shape name, message, HTTP status, extra members."""

    def __init__(self, code: str, message: str, status: int = 400, **members: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.members = members

    def body(self) -> bytes:
        return json.dumps({"__type": self.code, "message": self.message, **self.members}).encode()


def validation(message: str) -> DataApiError:
    return DataApiError("ValidationException", message)


def not_found(statement_id: str) -> DataApiError:
    return DataApiError(
        "ResourceNotFoundException", f"Query does not exist: {statement_id}", ResourceId=statement_id
    )


def target(body: dict) -> dict:
    """ClusterIdentifier or WorkgroupName, exactly one; the login members echoed back."""
    cluster, workgroup = body.get("ClusterIdentifier"), body.get("WorkgroupName")
    if cluster and workgroup:
        raise validation("Only one of ClusterIdentifier or WorkgroupName can be specified")
    if not cluster and not workgroup and not body.get("SessionId"):
        raise validation("Either ClusterIdentifier or WorkgroupName is required")
    if body.get("DbUser") and body.get("SecretArn"):
        raise validation("Only one of DbUser or SecretArn can be specified")
    return {k: body[k] for k in ("ClusterIdentifier", "WorkgroupName", "DbUser", "SecretArn") if body.get(k)}


def operation_of(target: str | None) -> str:
    if not target or not target.startswith(TARGET_PREFIX):
        raise DataApiError("UnknownOperationException", f"unknown target {target!r}")
    return target[len(TARGET_PREFIX) :]


def parse_body(raw: bytes) -> dict:
    try:
        body = json.loads(raw or b"{}")
    except ValueError as error:
        raise DataApiError("SerializationException", f"the body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise DataApiError("SerializationException", "the body must be a JSON object")
    return body


def encode(payload: dict) -> bytes:
    return json.dumps(payload, default=_json_default).encode()


def _json_default(value):
    if isinstance(value, datetime.datetime):  # timestamps travel as epoch seconds in JSON 1.1
        return value.timestamp()
    raise TypeError(f"cannot encode {type(value).__name__}")


def now() -> datetime.datetime:
    """When something happened, as the Data API reports it: UTC."""
    return datetime.datetime.now(datetime.UTC)


def page(body: dict, items: list, limit: int) -> tuple[list, dict]:
    """The page of ``items`` a List call's MaxResults and NextToken ask for, and the NextToken member that
    names the next page ({} on the last)."""
    size = page_size(body, limit)
    start = page_start(body.get("NextToken"), len(items))
    more = {"NextToken": page_token(start + size)} if start + size < len(items) else {}
    return items[start : start + size], more


def page_token(start: int) -> str:
    """The NextToken of a page that ends before item `start`: opaque to the client."""
    return base64.urlsafe_b64encode(f"row:{start}".encode()).decode()


def page_start(token, length: int) -> int:
    """Where the page a NextToken names starts: 0 without a token; ValidationException for a forged one."""
    if token is None:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        start = int(number)
    except (ValueError, AttributeError):
        raise validation("NextToken is not valid") from None
    if kind != "row" or not 0 <= start <= length:
        raise validation("NextToken is not valid")
    return start


def page_size(body: dict, limit: int) -> int:
    """MaxResults, 0 to `limit` (0 or absent: `limit`), as the request shape's range says."""
    size = body.get("MaxResults")
    if size is None:
        return limit
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= limit:
        raise validation(f"MaxResults must be between 0 and {limit}")
    return size or limit


def new_statement_id() -> str:
    return str(uuid.uuid4())


def field(value, type_name: str) -> dict:
    """One typed Field of GetStatementResult's Records."""
    if value is None:
        return {"isNull": True}
    if type_name in BOOLEAN_TYPES:
        return {"booleanValue": bool(value)}
    if type_name in LONG_TYPES:
        return {"longValue": int(value)}
    if type_name in DOUBLE_TYPES:
        return {"doubleValue": float(value)}
    if isinstance(value, decimal.Decimal):
        return {"stringValue": format(value, "f")}
    if isinstance(value, datetime.datetime):
        return {"stringValue": value.isoformat(sep=" ")}
    if isinstance(value, (datetime.date, datetime.time)):
        return {"stringValue": value.isoformat()}
    return {"stringValue": str(value)}


def csv_text(header: list[str] | None, records: list[list[dict]]) -> str:
    """Records as CSV (GetStatementResultV2's CSVRecords): a NULL is an empty field, text quoted where it
    holds a comma, a quote or a line break."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header is not None:
        writer.writerow(header)
    for record in records:
        writer.writerow([_csv_value(item) for item in record])
    return out.getvalue()


def _csv_value(item: dict) -> str:
    if "isNull" in item:
        return ""
    value = next(iter(item.values()))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_size(item: dict) -> int:
    """About how many bytes a Field takes in the response: what the page limit counts."""
    value = next(iter(item.values()))
    return len(value) if isinstance(value, str) else 8


def column_metadata(name: str, type_name: str, precision: int, scale: int, nullable: bool) -> dict:
    reported = TYPE_NAMES.get(type_name, type_name)
    return {
        "isCaseSensitive": reported in ("varchar", "bpchar"),
        "isCurrency": False,
        "isSigned": type_name in LONG_TYPES | DOUBLE_TYPES or type_name == "numeric",
        "label": name,
        "name": name,
        "nullable": 1 if nullable else 0,
        "precision": precision,
        "scale": scale,
        "schemaName": "",
        "tableName": "",
        "typeName": reported,
        "length": 0,
    }
