"""The Data API's catalog operations and sessions, spoken to by boto3's real `redshift-data` client:
ListDatabases, ListSchemas, ListTables, DescribeTable (patterns, paging, the learner's objects only), and
sessions (SessionKeepAliveSeconds opens one, SessionId reuses its connection, it closes when idle)."""

from __future__ import annotations

import time

import pytest

from lab import processes
from lab.config import DatabaseUrl
from tests.conftest import TEST_LOG_DIR
from tests.emulator.data_api_client import data_api_client, wait

SCHEMA = "h_dataapimeta"


@pytest.fixture(scope="module")
def data_api(postgres_url, warehouse_database, s3_endpoint):
    """An emulator of this module's own serving the Data API; a schema of tables and views to list."""
    upstream = DatabaseUrl.parse(postgres_url, 5432).with_database(warehouse_database)
    port, api_port = processes.free_port(), processes.free_port()
    process = processes.start_redshift_emulator(
        port,
        str(upstream),
        s3_endpoint,
        TEST_LOG_DIR / "redshift-emulator-data-api-metadata.log",
        data_api=(api_port, str(upstream)),
    )
    client = data_api_client(api_port)
    setup = [
        f"create schema {SCHEMA}",
        f"create table {SCHEMA}.nps_raw (id integer not null, score smallint, comment varchar(200),"
        " amount numeric(12, 2), plain numeric, created_at timestamp, day date, ok boolean,"
        " ratio double precision, code char(3), note text, loaded int default 7)",
        f"create table {SCHEMA}.nps_daily (day date)",
        f"create table {SCHEMA}.other (n int)",
        f"create view {SCHEMA}.nps_view as select id from {SCHEMA}.nps_raw",
    ]
    created = run(client, setup, warehouse_database)
    assert created["Status"] == "FINISHED", created.get("Error")
    yield client
    run(client, [f"drop schema {SCHEMA} cascade"], warehouse_database)
    process.stop()


def run(client, sqls: list[str], database: str) -> dict:
    answer = client.batch_execute_statement(Sqls=sqls, ClusterIdentifier="lab", Database=database)
    return wait(client, answer["Id"])


def rows(client, statement_id: str) -> list[list]:
    records = client.get_statement_result(Id=statement_id)["Records"]
    return [[next(iter(field.values())) for field in record] for record in records]


def test_list_databases(data_api, warehouse_database):
    databases = data_api.list_databases(ClusterIdentifier="lab", Database=warehouse_database)["Databases"]
    assert warehouse_database in databases
    assert not any(name.startswith("template") for name in databases)
    paged = data_api.get_paginator("list_databases").paginate(
        ClusterIdentifier="lab", Database=warehouse_database, PaginationConfig={"PageSize": 1}
    )
    pages = list(paged)
    assert len(pages) == len(databases) and [p["Databases"][0] for p in pages] == databases


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (None, {SCHEMA, "public", "pg_catalog", "information_schema"}),
        ("h_dataapi%", {SCHEMA}),
        ("h_dataapimet_", {SCHEMA}),
        ("h_dataapimet", set()),
        ("redshift_emulator", set()),  # the emulator's own schema is never listed
        ("pg_toast%", set()),
    ],
)
def test_list_schemas(data_api, warehouse_database, pattern, expected):
    members = {"SchemaPattern": pattern} if pattern is not None else {}
    schemas = data_api.list_schemas(ClusterIdentifier="lab", Database=warehouse_database, **members)[
        "Schemas"
    ]
    assert expected <= set(schemas) if pattern is None else set(schemas) == expected
    assert "redshift_emulator" not in schemas and schemas == sorted(schemas)


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        (
            {"SchemaPattern": SCHEMA},
            [("nps_daily", "TABLE"), ("nps_raw", "TABLE"), ("nps_view", "VIEW"), ("other", "TABLE")],
        ),
        (
            {"SchemaPattern": SCHEMA, "TablePattern": "nps%"},
            [("nps_daily", "TABLE"), ("nps_raw", "TABLE"), ("nps_view", "VIEW")],
        ),
        ({"SchemaPattern": SCHEMA, "TablePattern": "nps_r_w"}, [("nps_raw", "TABLE")]),
        ({"TablePattern": "nps_daily"}, [("nps_daily", "TABLE")]),
        ({"SchemaPattern": "redshift_emulator"}, []),
        ({"TablePattern": "stl_load_errors"}, []),  # the emulator's system tables stay out of the listing
        ({"SchemaPattern": "pg_catalog", "TablePattern": "pg_class"}, [("pg_class", "SYSTEM TABLE")]),
        ({"SchemaPattern": "information_schema", "TablePattern": "tables"}, [("tables", "SYSTEM VIEW")]),
    ],
)
def test_list_tables(data_api, warehouse_database, members, expected):
    tables = data_api.list_tables(ClusterIdentifier="lab", Database=warehouse_database, **members)["Tables"]
    assert [(t["name"], t["type"]) for t in tables] == expected
    for table in tables:
        assert set(table) == {"name", "schema", "type"}


def test_list_tables_without_patterns_pages_through_everything(data_api, warehouse_database):
    first = data_api.list_tables(ClusterIdentifier="lab", Database=warehouse_database, MaxResults=50)
    assert len(first["Tables"]) == 50 and first["NextToken"]
    paged = data_api.get_paginator("list_tables").paginate(
        ClusterIdentifier="lab", Database=warehouse_database, PaginationConfig={"PageSize": 50}
    )
    everything = [(t["schema"], t["name"]) for page in paged for t in page["Tables"]]
    assert len(everything) == len(set(everything)) > 50
    assert (SCHEMA, "nps_raw") in everything and ("pg_catalog", "pg_class") in everything
    assert not any(schema == "redshift_emulator" for schema, _ in everything)


COLUMNS = [  # name, typeName, length (= precision), scale, nullable, isSigned, isCaseSensitive
    ("id", "int4", 10, 0, 0, True, False),
    ("score", "int2", 5, 0, 1, True, False),
    ("comment", "varchar", 200, 0, 1, False, True),
    ("amount", "numeric", 12, 2, 1, True, False),
    ("plain", "numeric", 18, 0, 1, True, False),
    ("created_at", "timestamp", 29, 0, 1, False, False),
    ("day", "date", 13, 0, 1, False, False),
    ("ok", "bool", 1, 0, 1, False, False),
    ("ratio", "float8", 17, 0, 1, True, False),
    ("code", "bpchar", 3, 0, 1, False, True),
    ("note", "varchar", 65535, 0, 1, False, True),
    ("loaded", "int4", 10, 0, 1, True, False),
]


def test_describe_table(data_api, warehouse_database):
    described = data_api.describe_table(
        ClusterIdentifier="lab", Database=warehouse_database, Schema=SCHEMA, Table="nps_raw"
    )
    assert described["TableName"] == "nps_raw" and "NextToken" not in described
    columns = described["ColumnList"]
    assert [
        (
            c["name"],
            c["typeName"],
            c["length"],
            c["scale"],
            c["nullable"],
            c["isSigned"],
            c["isCaseSensitive"],
        )
        for c in columns
    ] == COLUMNS
    assert all(c["precision"] == c["length"] and c["label"] == c["name"] for c in columns)
    assert {(c["schemaName"], c["tableName"]) for c in columns} == {(SCHEMA, "nps_raw")}
    assert columns[-1]["columnDefault"] == "7" and "columnDefault" not in columns[0]


def test_describe_table_pages_and_schemas(data_api, warehouse_database):
    first = data_api.describe_table(
        ClusterIdentifier="lab", Database=warehouse_database, Schema=SCHEMA, Table="nps_raw", MaxResults=5
    )
    assert [c["name"] for c in first["ColumnList"]] == [c[0] for c in COLUMNS[:5]] and first["NextToken"]
    paged = data_api.get_paginator("describe_table").paginate(
        ClusterIdentifier="lab",
        Database=warehouse_database,
        Schema=SCHEMA,
        Table="nps_raw",
        PaginationConfig={"PageSize": 5},
    )
    assert [c["name"] for p in paged for c in p["ColumnList"]] == [c[0] for c in COLUMNS]
    whole_schema = data_api.describe_table(
        ClusterIdentifier="lab", Database=warehouse_database, Schema=SCHEMA
    )
    tables = {c["tableName"] for c in whole_schema["ColumnList"]}
    assert tables == {"nps_raw", "nps_daily", "other", "nps_view"}
    missing = data_api.describe_table(
        ClusterIdentifier="lab", Database=warehouse_database, Schema=SCHEMA, Table="absent"
    )
    assert missing["ColumnList"] == []
    hidden = data_api.describe_table(
        ClusterIdentifier="lab", Database=warehouse_database, Schema="redshift_emulator"
    )
    assert hidden["ColumnList"] == []


@pytest.mark.parametrize(
    ("call", "members", "error"),
    [
        ("list_tables", {"WorkgroupName": "lab-wg"}, "ValidationException"),  # both targets
        ("list_schemas", {"MaxResults": 1001}, "ValidationException"),
        ("list_tables", {"NextToken": "bm90LWEtdG9rZW4="}, "ValidationException"),
        ("describe_table", {"NextToken": "cm93Ojk5OTk5"}, "ValidationException"),  # row:99999
        ("list_schemas", {"Database": "h_dataapimeta_no_such_db"}, "DatabaseConnectionException"),
    ],
)
def test_catalog_errors(data_api, warehouse_database, call, members, error):
    request = {"ClusterIdentifier": "lab", "Database": warehouse_database} | members
    with pytest.raises(data_api.exceptions.ClientError) as raised:
        getattr(data_api, call)(**request)
    assert raised.value.response["Error"]["Code"] == error
    if error == "DatabaseConnectionException":
        assert "h_dataapimeta_no_such_db" in raised.value.response["Error"]["Message"]


def execute(client, sql: str, **members) -> dict:
    """ExecuteStatement, then DescribeStatement once it has ended; SessionId from the execute answer."""
    answer = client.execute_statement(Sql=sql, **members)
    described = wait(client, answer["Id"])
    described["ExecuteSessionId"] = answer.get("SessionId")
    return described


def test_a_session_keeps_its_connection(data_api, warehouse_database):
    """Temporary tables and SET live on in the session; every statement runs on one backend."""
    opened = execute(
        data_api,
        "create table #h_dataapimeta_tmp (n int)",
        ClusterIdentifier="lab",
        Database=warehouse_database,
        SessionKeepAliveSeconds=30,
    )
    assert opened["Status"] == "FINISHED", opened.get("Error")
    session_id = opened["ExecuteSessionId"]
    assert session_id and opened["SessionId"] == session_id
    steps = [
        "insert into #h_dataapimeta_tmp values (1), (2)",
        "set search_path to h_dataapimeta, public",
        "select count(*) from #h_dataapimeta_tmp",
        "select count(*) from nps_raw",  # found through the search_path set two statements before
    ]
    for sql in steps:
        described = execute(data_api, sql, SessionId=session_id)
        assert described["Status"] == "FINISHED", (sql, described.get("Error"))
        assert described["SessionId"] == session_id and described["Database"] == warehouse_database
    counted = [s for s in data_api.list_statements()["Statements"] if s.get("SessionId") == session_id]
    assert len(counted) == 5
    pids = [execute(data_api, "select pg_backend_pid()", SessionId=session_id)["Id"] for _ in range(2)]
    assert rows(data_api, pids[0]) == rows(data_api, pids[1])
    batch = data_api.batch_execute_statement(
        Sqls=["insert into #h_dataapimeta_tmp values (3)", "select count(*) from #h_dataapimeta_tmp"],
        SessionId=session_id,
    )
    assert batch["SessionId"] == session_id
    assert wait(data_api, batch["Id"])["Status"] == "FINISHED"
    assert rows(data_api, f"{batch['Id']}:2") == [[3]]
    alone = execute(
        data_api,
        "select count(*) from #h_dataapimeta_tmp",
        ClusterIdentifier="lab",
        Database=warehouse_database,
    )
    assert alone["Status"] == "FAILED" and "does not exist" in alone["Error"]  # another connection


def test_a_busy_session_refuses_a_second_statement(data_api, warehouse_database):
    first = data_api.execute_statement(
        Sql="select pg_sleep(1.5)",
        ClusterIdentifier="lab",
        Database=warehouse_database,
        SessionKeepAliveSeconds=30,
    )
    session_id = first["SessionId"]
    busy = data_api.list_sessions(SessionId=session_id)["Sessions"][0]
    assert busy["Status"] == "BUSY" and busy["CurrentStatementId"] == first["Id"]
    with pytest.raises(data_api.exceptions.ValidationException) as raised:
        data_api.execute_statement(Sql="select 1", SessionId=session_id)
    assert "busy" in raised.value.response["Error"]["Message"]
    assert wait(data_api, first["Id"])["Status"] == "FINISHED"
    assert execute(data_api, "select 2", SessionId=session_id)["Status"] == "FINISHED"
    available = data_api.list_sessions(ClusterIdentifier="lab", Database=warehouse_database)["Sessions"]
    mine = next(s for s in available if s["SessionId"] == session_id)
    assert mine["Status"] == "AVAILABLE" and mine["SessionAliveSeconds"] == 30
    assert "CurrentStatementId" not in mine


def test_an_idle_session_closes_after_its_keep_alive(data_api, warehouse_database, warehouse):
    opened = execute(
        data_api,
        "select pg_backend_pid()",
        ClusterIdentifier="lab",
        Database=warehouse_database,
        SessionKeepAliveSeconds=1,
    )
    session_id, pid = opened["ExecuteSessionId"], rows(data_api, opened["Id"])[0][0]
    with warehouse.cursor() as cursor:  # the session's backend, held open between statements
        cursor.execute("select count(*) from pg_stat_activity where pid = %s", (pid,))
        assert cursor.fetchone()[0] == 1
    assert execute(data_api, "select 1", SessionId=session_id)["Status"] == "FINISHED"  # still open
    deadline = time.monotonic() + 10
    while data_api.list_sessions(SessionId=session_id)["Sessions"][0]["Status"] != "CLOSED":
        assert time.monotonic() < deadline, "the idle session never closed"
        time.sleep(0.1)
    with pytest.raises(data_api.exceptions.ValidationException) as raised:
        data_api.execute_statement(Sql="select 1", SessionId=session_id)
    assert "Session is not available" in raised.value.response["Error"]["Message"]
    with warehouse.cursor() as cursor:  # its connection is gone from the warehouse too
        deadline = time.monotonic() + 5
        while True:
            cursor.execute("select count(*) from pg_stat_activity where pid = %s", (pid,))
            if not cursor.fetchone()[0]:
                break
            assert time.monotonic() < deadline, "the closed session's backend is still there"
            time.sleep(0.1)
    assert session_id not in {s["SessionId"] for s in data_api.list_sessions()["Sessions"]}
    closed = data_api.list_sessions(Status="CLOSED")["Sessions"]
    assert session_id in {s["SessionId"] for s in closed}


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"SessionId": "00000000-0000-4000-8000-000000000000"}, "is invalid"),
        (
            {"SessionId": "SESSION", "ClusterIdentifier": "lab"},
            "SessionId cannot be combined with ClusterIdentifier",
        ),
        ({"SessionId": "SESSION", "Database": "dev"}, "SessionId cannot be combined with Database"),
        (
            {"ClusterIdentifier": "lab", "SessionKeepAliveSeconds": 86401},
            "SessionKeepAliveSeconds must be between",
        ),
    ],
)
def test_session_errors(data_api, warehouse_database, members, message):
    if members.get("SessionId") == "SESSION":
        opened = execute(
            data_api,
            "select 1",
            ClusterIdentifier="lab",
            Database=warehouse_database,
            SessionKeepAliveSeconds=5,
        )
        members = members | {"SessionId": opened["ExecuteSessionId"]}
    with pytest.raises(data_api.exceptions.ValidationException) as raised:
        data_api.execute_statement(Sql="select 1", **members)
    assert message in raised.value.response["Error"]["Message"]
