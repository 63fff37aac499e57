"""The Redshift Data API the emulator serves, spoken to by boto3's real `redshift-data` client over HTTP:
statements run asynchronously through the emulator's own endpoint, with their states, typed results,
paging, errors, batches in one transaction, cancellation and listing."""

from __future__ import annotations

import csv
import io
import time

import pytest

from lab import processes
from lab.config import DatabaseUrl, load_settings
from lab.pieces import redshift_healthy
from tests.conftest import TEST_LOG_DIR
from tests.emulator.data_api_client import data_api_client, wait
from tests.services import postgres_connect

PAGE_BYTES = 2000  # a small page, so that a few hundred rows need NextToken


@pytest.fixture(scope="module")
def ports():
    """(the wire port, the Data API's port) of this module's emulator."""
    return processes.free_port(), processes.free_port()


@pytest.fixture(scope="module")
def data_api(postgres_url, warehouse_database, s3_endpoint, ports):
    """An emulator of this module's own, serving the Data API beside its wire port; a boto3 client on it."""
    upstream = DatabaseUrl.parse(postgres_url, 5432).with_database(warehouse_database)
    port, api_port = ports
    process = processes.start_redshift_emulator(
        port,
        str(upstream),
        s3_endpoint,
        TEST_LOG_DIR / "redshift-emulator-data-api.log",
        env={"REDSHIFT_EMULATOR_DATA_API_PAGE_BYTES": str(PAGE_BYTES)},
        data_api=(api_port, str(upstream)),
    )
    client = data_api_client(api_port)
    yield client
    process.stop()


def run(client, sql: str, **members) -> dict:
    answer = client.execute_statement(
        Sql=sql, ClusterIdentifier="lab", Database=members.pop("db", None) or "x", **members
    )
    return wait(client, answer["Id"])


@pytest.fixture(scope="module")
def database(warehouse_database):
    return warehouse_database


def test_execute_describe_and_typed_result(data_api, database):
    sql = (
        "select 1::int as i, 2::bigint as b, 1.5::float8 as f, true as t, 'héllo'::varchar(10) as s,"
        " 12.34::numeric(10,2) as n, date '2026-01-02' as d, null::int as nothing"
    )
    answer = data_api.execute_statement(Sql=sql, ClusterIdentifier="lab", Database=database, DbUser="awsuser")
    assert answer["ClusterIdentifier"] == "lab" and answer["Database"] == database
    described = wait(data_api, answer["Id"])
    assert described["Status"] == "FINISHED", described.get("Error")
    assert described["HasResultSet"] is True and described["ResultRows"] == 1
    assert described["Duration"] > 0 and described["QueryString"] == sql
    result = data_api.get_statement_result(Id=answer["Id"])
    assert result["TotalNumRows"] == 1 and "NextToken" not in result
    assert [c["name"] for c in result["ColumnMetadata"]] == ["i", "b", "f", "t", "s", "n", "d", "nothing"]
    assert result["ColumnMetadata"][4]["typeName"] == "varchar"
    assert result["Records"] == [
        [
            {"longValue": 1},
            {"longValue": 2},
            {"doubleValue": 1.5},
            {"booleanValue": True},
            {"stringValue": "héllo"},
            {"stringValue": "12.34"},
            {"stringValue": "2026-01-02"},
            {"isNull": True},
        ]
    ]


def test_statements_get_redshift_rewriting(data_api, database):
    """The SQL goes through the emulator's wire path: Redshift-only functions work."""
    described = run(data_api, "select getdate() is not null as ok, nvl(null, 'x') as v", db=database)
    assert described["Status"] == "FINISHED", described.get("Error")
    records = data_api.get_statement_result(Id=described["Id"])["Records"]
    assert records == [[{"booleanValue": True}, {"stringValue": "x"}]]


def test_parameters(data_api, database):
    described = run(
        data_api,
        "select :a::int + 1 as n, :b as s",
        db=database,
        Parameters=[{"name": "a", "value": "41"}, {"name": "b", "value": "it's"}],
    )
    assert described["Status"] == "FINISHED", described.get("Error")
    assert described["QueryParameters"] == [{"name": "a", "value": "41"}, {"name": "b", "value": "it's"}]
    records = data_api.get_statement_result(Id=described["Id"])["Records"]
    assert records == [[{"longValue": 42}, {"stringValue": "it's"}]]


def test_paging_with_next_token(data_api, database):
    described = run(
        data_api, "select g as n, repeat('x', 20) as pad from generate_series(1, 500) g", db=database
    )
    assert described["Status"] == "FINISHED", described.get("Error")
    pages, numbers, token = 0, [], None
    while True:
        page = data_api.get_statement_result(Id=described["Id"], **({"NextToken": token} if token else {}))
        pages += 1
        assert page["TotalNumRows"] == 500
        numbers += [row[0]["longValue"] for row in page["Records"]]
        token = page.get("NextToken")
        if not token:
            break
    assert pages > 1
    assert numbers == list(range(1, 501))
    paginated = data_api.get_paginator("get_statement_result").paginate(Id=described["Id"])
    assert sum(len(p["Records"]) for p in paginated) == 500


def test_csv_results_through_get_statement_result_v2(data_api, database):
    """ResultFormat CSV (API_GetStatementResultV2.html): the column names first, a NULL as an empty field,
    text with a comma, a quote or a line break quoted; Describe and List say CSV."""
    sql = (
        "select 1 as i, 'a,b' as s, 'say \"hi\"' as q, E'two\\nlines' as l, null::int as nothing,"
        " true as t, 12.30::numeric(5,2) as n, date '2026-01-02' as d"
    )
    described = run(data_api, sql, db=database, ResultFormat="CSV")
    assert described["Status"] == "FINISHED", described.get("Error")
    assert described["ResultFormat"] == "CSV"
    result = data_api.get_statement_result_v2(Id=described["Id"])
    assert result["ResultFormat"] == "CSV" and result["TotalNumRows"] == 1
    assert [c["name"] for c in result["ColumnMetadata"]] == ["i", "s", "q", "l", "nothing", "t", "n", "d"]
    text = "".join(r["CSVRecords"] for r in result["Records"])
    assert list(csv.reader(io.StringIO(text))) == [
        ["i", "s", "q", "l", "nothing", "t", "n", "d"],
        ["1", "a,b", 'say "hi"', "two\nlines", "", "true", "12.30", "2026-01-02"],
    ]
    listed = data_api.list_statements(StatementName="", Status="ALL")["Statements"]
    assert next(s for s in listed if s["Id"] == described["Id"])["ResultFormat"] == "CSV"
    with pytest.raises(data_api.exceptions.ValidationException, match="GetStatementResultV2"):
        data_api.get_statement_result(Id=described["Id"])
    json_run = run(data_api, "select 1", db=database)
    with pytest.raises(data_api.exceptions.ValidationException, match="read it with GetStatementResult"):
        data_api.get_statement_result_v2(Id=json_run["Id"])
    refused = data_api.exceptions.ValidationException
    with pytest.raises(refused, match="ResultFormat must be one of"):
        data_api.execute_statement(
            Sql="select 1", ClusterIdentifier="lab", Database=database, ResultFormat="XML"
        )


def test_csv_results_page_with_next_token(data_api, database):
    described = run(
        data_api,
        "select g as n, repeat('x', 20) as pad from generate_series(1, 500) g",
        db=database,
        ResultFormat="CSV",
    )
    pages = list(data_api.get_paginator("get_statement_result_v2").paginate(Id=described["Id"]))
    assert len(pages) > 1
    rows = list(csv.reader(io.StringIO("".join(r["CSVRecords"] for p in pages for r in p["Records"]))))
    assert rows[0] == ["n", "pad"], "the column names head the first page only"
    assert [int(row[0]) for row in rows[1:]] == list(range(1, 501))


def test_failing_statement_carries_redshift_error(data_api, database):
    described = run(data_api, "select * from no_such_table_h_dataapi", db=database)
    assert described["Status"] == "FAILED"
    assert 'relation "no_such_table_h_dataapi" does not exist' in described["Error"]
    with pytest.raises(data_api.exceptions.ValidationException):
        data_api.get_statement_result(Id=described["Id"])


def test_a_row_over_64_kb_fails_the_statement(data_api, database):
    described = run(data_api, "select repeat('x', 70000) as big", db=database)
    assert described["Status"] == "FAILED"
    assert "Packet for query is too large" in described["Error"]
    assert run(data_api, "select repeat('x', 60000) as big", db=database)["Status"] == "FINISHED"


def test_batch_runs_in_one_transaction(data_api, database, warehouse_url):
    created = run(data_api, "create table if not exists h_dataapi_batch (n int)", db=database)
    assert created["Status"] == "FINISHED", created.get("Error")
    answer = data_api.batch_execute_statement(
        Sqls=[
            "insert into h_dataapi_batch values (1)",
            "insert into h_dataapi_batch values ('not a number')",
        ],
        ClusterIdentifier="lab",
        Database=database,
    )
    described = wait(data_api, answer["Id"])
    assert described["Status"] == "FAILED"
    subs = described["SubStatements"]
    assert [s["Id"] for s in subs] == [f"{answer['Id']}:1", f"{answer['Id']}:2"]
    assert [s["Status"] for s in subs] == ["FINISHED", "FAILED"]
    assert "invalid input syntax" in subs[1]["Error"]
    with postgres_connect(warehouse_url) as conn, conn.cursor() as cursor:
        cursor.execute("select count(*) from h_dataapi_batch")
        assert cursor.fetchone()[0] == 0  # the first insert was rolled back with the second
    good = data_api.batch_execute_statement(
        Sqls=["insert into h_dataapi_batch values (1), (2)", "select count(*) as c from h_dataapi_batch"],
        WorkgroupName="lab",
        Database=database,
    )
    described = wait(data_api, good["Id"])
    assert described["Status"] == "FINISHED"
    result = data_api.get_statement_result(Id=f"{good['Id']}:2")
    assert result["Records"] == [[{"longValue": 2}]]
    run(data_api, "drop table h_dataapi_batch", db=database)


@pytest.mark.parametrize(
    "members",
    [
        {"ClusterIdentifier": "lab", "Sql": ""},
        {"Sql": "select 1"},
        {"Sql": "select 1", "ClusterIdentifier": "lab", "WorkgroupName": "lab"},
        {"Sql": "select 1", "ClusterIdentifier": "lab", "DbUser": "u", "SecretArn": "arn:aws:x"},
    ],
)
def test_validation_exception(data_api, members):
    with pytest.raises(data_api.exceptions.ValidationException):
        data_api.execute_statement(Database="x", **members)


def test_unknown_id_is_resource_not_found(data_api):
    unknown = "00000000-0000-0000-0000-000000000000"
    for call in (data_api.describe_statement, data_api.get_statement_result, data_api.cancel_statement):
        with pytest.raises(data_api.exceptions.ResourceNotFoundException) as raised:
            call(Id=unknown)
        assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_cancel_a_long_statement(data_api, database):
    answer = data_api.execute_statement(Sql="select pg_sleep(5)", ClusterIdentifier="lab", Database=database)
    deadline = time.monotonic() + 10
    while data_api.describe_statement(Id=answer["Id"])["Status"] != "STARTED":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    started = time.monotonic()
    assert data_api.cancel_statement(Id=answer["Id"])["Status"] is True
    described = wait(data_api, answer["Id"])
    assert described["Status"] == "ABORTED"
    assert time.monotonic() - started < 4
    with pytest.raises(data_api.exceptions.ValidationException):
        data_api.cancel_statement(Id=answer["Id"])


def test_list_statements(data_api, database):
    ids = [
        data_api.execute_statement(
            Sql=f"select {n}", ClusterIdentifier="lab", Database=database, StatementName=f"h_dataapi_list_{n}"
        )["Id"]
        for n in range(3)
    ]
    for statement_id in ids:
        wait(data_api, statement_id)
    listed = data_api.list_statements(StatementName="h_dataapi_list_", Status="FINISHED")["Statements"]
    assert sorted(s["Id"] for s in listed) == sorted(ids)
    assert {s["StatementName"] for s in listed} == {f"h_dataapi_list_{n}" for n in range(3)}
    first = data_api.list_statements(StatementName="h_dataapi_list_", MaxResults=2)
    assert len(first["Statements"]) == 2 and first["NextToken"]
    rest = data_api.list_statements(
        StatementName="h_dataapi_list_", MaxResults=2, NextToken=first["NextToken"]
    )
    assert len(rest["Statements"]) == 1


def test_lab_status_probes_the_data_api_too(data_api, ports):
    port, api_port = ports
    wire = f"postgresql://u:p@127.0.0.1:{port}/dev"
    healthy = load_settings(
        {"LAB_REDSHIFT_URL": wire, "LAB_REDSHIFT_DATA_URL": f"http://127.0.0.1:{api_port}"}
    )
    assert redshift_healthy(healthy)
    silent = processes.free_port()  # nothing listens there
    missing = load_settings({"LAB_REDSHIFT_URL": wire, "LAB_REDSHIFT_DATA_URL": f"http://127.0.0.1:{silent}"})
    assert not redshift_healthy(missing)
