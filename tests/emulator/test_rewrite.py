"""Redshift SQL -> exactly what PostgreSQL receives (no socket, no server)."""

from __future__ import annotations

import pytest

from emulators.redshift.errors import RedshiftError
from emulators.redshift.plan import CopyFromS3, S3Credentials, UnloadToS3
from emulators.redshift.sql.rewrite import mask_secrets, rewrite
from seed.warehouse import NPS_DDL
from tests.emulator.rewrite_helpers import without_declared

KEYS = "aws_access_key_id=AKIDEXAMPLE;aws_secret_access_key=wJalrSECRET"
DEFERRED = " DEFERRABLE INITIALLY DEFERRED"


def operator_copy(destination: str, region_info: str = "", copy_options: str = "csv") -> str:
    """S3ToRedshiftOperator._build_copy_query's text, character for character (amazon provider 9.x)."""
    column_names = ""
    return f"""
                    COPY {destination} {column_names}
                    FROM 's3://lab-bucket/raw_data-nps'
                    credentials
                    '{KEYS}'
                    {region_info}
                    {copy_options};
        """


def pg_copy(destination: str) -> str:
    return f"\n                    COPY {destination} FROM STDIN WITH (FORMAT csv);\n        "


# The statements S3ToRedshiftOperator runs, one by one, for its three methods.
OPERATOR_SEQUENCES = {
    "APPEND": [(operator_copy("raw_data.nps"), pg_copy("raw_data.nps"))],
    "REPLACE": [
        ("BEGIN;", "BEGIN;"),
        ("DELETE FROM raw_data.nps;", "DELETE FROM raw_data.nps;"),
        (operator_copy("raw_data.nps", "region 'us-east-1'"), pg_copy("raw_data.nps")),
        ("COMMIT", "COMMIT"),
    ],
    "UPSERT": [
        (
            "CREATE TABLE #nps (LIKE raw_data.nps INCLUDING DEFAULTS);",
            'CREATE TEMP TABLE "#nps" (LIKE raw_data.nps INCLUDING DEFAULTS);',
        ),
        (operator_copy("#nps"), pg_copy('"#nps"')),
        ("BEGIN;", "BEGIN;"),
        (
            "DELETE FROM raw_data.nps USING #nps WHERE nps.id = #nps.id;",
            'DELETE FROM raw_data.nps USING "#nps" WHERE nps.id = "#nps".id;',
        ),
        ("INSERT INTO raw_data.nps SELECT * FROM #nps;", 'INSERT INTO raw_data.nps SELECT * FROM "#nps";'),
        ("COMMIT", "COMMIT"),
    ],
}


@pytest.mark.parametrize(
    ("redshift", "postgres"),
    [pair for sequence in OPERATOR_SEQUENCES.values() for pair in sequence],
)
def test_operator_statements(redshift, postgres):
    assert rewrite(redshift).sql == postgres


def test_operator_copy_text_is_what_the_operator_builds():
    from types import SimpleNamespace

    from airflow.providers.amazon.aws.transfers.s3_to_redshift import S3ToRedshiftOperator

    operator = SimpleNamespace(column_list=None, s3_bucket="lab-bucket", s3_key="raw_data-nps")
    built = S3ToRedshiftOperator._build_copy_query(operator, "#nps", KEYS, "region 'us-east-1'", "csv")
    assert built == operator_copy("#nps", "region 'us-east-1'")


def test_operator_copy_plan():
    (plan,) = rewrite(operator_copy("#nps", "region 'us-east-1'")).actions
    assert plan == CopyFromS3(
        target='"#nps"',
        table_name="#nps",
        columns=(),
        s3_url="s3://lab-bucket/raw_data-nps",
        credentials=S3Credentials("AKIDEXAMPLE", "wJalrSECRET", None, None),
        region="us-east-1",
        format="csv",
        delimiter=",",
    )


@pytest.mark.parametrize(
    ("redshift", "postgres"),
    [
        # plain statements pass through untouched
        ("SELECT 1", "SELECT 1"),
        ("select * from raw_data.nps where id = $1", "select * from raw_data.nps where id = $1"),
        # #names outside literals, comments and quoted identifiers
        ("SELECT * FROM #t", 'SELECT * FROM "#t"'),
        ("select * from #Nps", 'select * from "#nps"'),
        (
            "select '#t', E'\\'#t', $$ #t $$, $f$ #t $f$ from #t",
            "select '#t', E'\\'#t', $$ #t $$, $f$ #t $f$ from \"#t\"",
        ),
        ("select 1 -- from #t\n", "select 1 -- from #t\n"),
        ("select /* a /* #t */ #u */ 1", "select /* a /* #t */ #u */ 1"),
        ('select * from "#t"', 'select * from "#t"'),
        ("select 5 # 3, a#b from t", "select 5 # 3, a#b from t"),
        # temporary tables
        ("CREATE TABLE #t (id int)", 'CREATE TEMP TABLE "#t" (id int)'),
        ("create table if not exists #t (id int)", 'create TEMP table if not exists "#t" (id int)'),
        ("CREATE TEMP TABLE #t (id int)", 'CREATE TEMP TABLE "#t" (id int)'),
        ("CREATE TABLE #t AS SELECT 1 AS a", 'CREATE TEMP TABLE "#t" AS SELECT 1 AS a'),
        ("CREATE TABLE t (id int)", "CREATE TABLE t (id int)"),
        ("SELECT id, score INTO #t FROM s.t", 'SELECT id, score INTO TEMP "#t" FROM s.t'),
        ("SELECT id INTO new_table FROM s.t", "SELECT id INTO new_table FROM s.t"),
        (
            "WITH x AS (SELECT 1 AS id) INSERT INTO #t SELECT * FROM x",
            'WITH x AS (SELECT 1 AS id) INSERT INTO "#t" SELECT * FROM x',
        ),
        ("DELETE FROM s.t USING #t WHERE t.id = #t.id", 'DELETE FROM s.t USING "#t" WHERE t.id = "#t".id'),
        ("INSERT INTO s.t SELECT * FROM #t", 'INSERT INTO s.t SELECT * FROM "#t"'),
        # Redshift-only table attributes are dropped
        (
            "CREATE TABLE t (id int ENCODE az64 DISTKEY SORTKEY, name varchar(10) ENCODE lzo)"
            " DISTSTYLE KEY COMPOUND SORTKEY (id, name) BACKUP NO;",
            "CREATE TABLE t (id int, name varchar(10));",
        ),
        (
            "create table t (id int)\ndiststyle even\ninterleaved sortkey(id)\ndistkey(id);",
            "create table t (id int);",
        ),
        ("CREATE TABLE t (id int) SORTKEY AUTO DISTSTYLE AUTO ENCODE AUTO", "CREATE TABLE t (id int)"),
        (
            "CREATE TABLE t AS SELECT encode(b, 'hex') AS h FROM s",
            "CREATE TABLE t AS SELECT encode(b, 'hex') AS h FROM s",
        ),
        # Redshift spellings PostgreSQL lacks
        (
            "CREATE TABLE t (id int IDENTITY(1, 1), v int)",
            "CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY (START WITH 1 INCREMENT BY 1), v int)",
        ),
        (
            "CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY(0, 5))",
            "CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 0 INCREMENT BY 5))",
        ),
        (
            "SELECT getdate(), SYSDATE, t.sysdate FROM t",
            "SELECT CAST(date_trunc('second', statement_timestamp()) AS timestamp),"
            " CAST(transaction_timestamp() AS timestamp), t.sysdate FROM t",
        ),
    ],
)
def test_statements(redshift, postgres):
    assert without_declared(rewrite(redshift).sql) == postgres


def test_course_ddl_keeps_its_primary_key_unenforced():
    ddl = NPS_DDL.format(schema="raw_data")
    assert rewrite(ddl).sql == ddl.replace("primary key,", f"primary key{DEFERRED},")


@pytest.mark.parametrize(
    ("redshift", "postgres"),
    [
        # column constraints
        (
            "CREATE TABLE t (id int primary key, v text)",
            f"CREATE TABLE t (id int primary key{DEFERRED}, v text)",
        ),
        (
            "create table t (id int Primary Key not null)",
            f"create table t (id int Primary Key{DEFERRED} not null)",
        ),
        (
            "CREATE TABLE t (id int CONSTRAINT t_pk PRIMARY KEY)",
            f"CREATE TABLE t (id int CONSTRAINT t_pk PRIMARY KEY{DEFERRED})",
        ),
        (
            "CREATE TABLE t (v text constraint u unique not null)",
            f"CREATE TABLE t (v text constraint u unique{DEFERRED} not null)",
        ),
        (
            "CREATE TABLE t (id int DEFAULT 0 IDENTITY(1, 1) PRIMARY KEY, v varchar(10) DEFAULT 'x' UNIQUE)",
            "CREATE TABLE t (id int DEFAULT 0 GENERATED BY DEFAULT AS IDENTITY (START WITH 1 INCREMENT BY 1)"
            f" PRIMARY KEY{DEFERRED}, v varchar(10) DEFAULT 'x' UNIQUE{DEFERRED})",
        ),
        # table constraints
        (
            "create table t (a int, b int, primary key (a))",
            f"create table t (a int, b int, primary key (a){DEFERRED})",
        ),
        (
            "CREATE TABLE t (\n  a int,\n  CONSTRAINT t_pk PRIMARY KEY (a, b),\n  UNIQUE(b)\n);",
            f"CREATE TABLE t (\n  a int,\n  CONSTRAINT t_pk PRIMARY KEY (a, b){DEFERRED},\n"
            f"  UNIQUE(b){DEFERRED}\n);",
        ),
        # what already says how it is checked is left as written
        (
            "CREATE TABLE t (a int PRIMARY KEY DEFERRABLE, b int UNIQUE NOT DEFERRABLE,"
            " UNIQUE (a, b) INITIALLY DEFERRED)",
            "CREATE TABLE t (a int PRIMARY KEY DEFERRABLE, b int UNIQUE NOT DEFERRABLE,"
            " UNIQUE (a, b) INITIALLY DEFERRED)",
        ),
        # keys added afterwards
        (
            "ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY (id)",
            f"ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY (id){DEFERRED}",
        ),
        ("alter table s.t add unique(a, b);", f"alter table s.t add unique(a, b){DEFERRED};"),
        (
            "ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES p (id)",
            "ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES p (id)",
        ),
        # foreign keys leave CREATE TABLE, with the comma that separates them
        (
            "CREATE TABLE t (a int REFERENCES o, b int references s.o (id) NOT NULL,"
            " c int Constraint fk References o(x))",
            "CREATE TABLE t (a int, b int NOT NULL, c int)",
        ),
        (
            "CREATE TABLE t (a int, b int, constraint fk foreign key (b) references s.o (id))",
            "CREATE TABLE t (a int, b int)",
        ),
        (
            "CREATE TABLE t (FOREIGN KEY (a) REFERENCES o, FOREIGN KEY (b) REFERENCES p, a int, b int)",
            "CREATE TABLE t (a int, b int)",
        ),
        (
            "CREATE TABLE t (a int, FOREIGN KEY (a) REFERENCES o, b int PRIMARY KEY)",
            f"CREATE TABLE t (a int, b int PRIMARY KEY{DEFERRED})",
        ),
        # with temporary tables, IF NOT EXISTS and Redshift's table attributes
        (
            "CREATE TEMP TABLE IF NOT EXISTS s.t (id int primary key DISTKEY, v int, UNIQUE (v))"
            " SORTKEY (id)",
            f"CREATE TEMP TABLE IF NOT EXISTS s.t (id int primary key{DEFERRED}, v int,"
            f" UNIQUE (v){DEFERRED})",
        ),
        ("CREATE TABLE #t (id int primary key)", f'CREATE TEMP TABLE "#t" (id int primary key{DEFERRED})'),
        (
            "CREATE TABLE #t (LIKE s.p INCLUDING DEFAULTS, PRIMARY KEY (id))",
            f'CREATE TEMP TABLE "#t" (LIKE s.p INCLUDING DEFAULTS, PRIMARY KEY (id){DEFERRED})',
        ),
        # comments, literals and quoted identifiers are never touched
        (
            "CREATE TABLE t (id int /* primary key */ UNIQUE)",
            f"CREATE TABLE t (id int /* primary key */ UNIQUE{DEFERRED})",
        ),
        (
            "CREATE TABLE t (a int, b int, -- the reference\n  FOREIGN KEY (b) REFERENCES p)",
            "CREATE TABLE t (a int, b int -- the reference\n  )",
        ),
        (
            "CREATE TABLE t (a int -- c\n primary key -- d\n)",
            f"CREATE TABLE t (a int -- c\n primary key{DEFERRED} -- d\n)",
        ),
        (
            "CREATE TABLE t (v varchar(20) DEFAULT 'primary key unique', \"references\" int)",
            "CREATE TABLE t (v varchar(20) DEFAULT 'primary key unique', \"references\" int)",
        ),
        (
            "SELECT 'primary key' AS unique_id -- references\n",
            "SELECT 'primary key' AS unique_id -- references\n",
        ),
        # what has no key constraints of its own is left alone
        ("CREATE TABLE t (id int, CHECK (id > 0))", "CREATE TABLE t (id int, CHECK (id > 0))"),
        (
            "CREATE TABLE t (a, b) AS SELECT 1 AS unique_a, 2",
            "CREATE TABLE t (a, b) AS SELECT 1 AS unique_a, 2",
        ),
    ],
)
def test_keys_stay_unenforced_and_foreign_keys_leave(redshift, postgres):
    assert without_declared(rewrite(redshift).sql) == postgres


def test_plain_statements_take_the_fast_path_unchanged():
    sql = "select id, score from raw_data.nps where created_at > now() - interval '1 day'"
    result = rewrite(sql)
    assert result.sql is sql
    assert result.actions == ()


def test_multi_statement_string_gives_one_action_per_copy():
    sql = (
        "BEGIN; DELETE FROM s.t; COPY s.t FROM 's3://b/p' IAM_ROLE 'arn:aws:iam::1:role/r' CSV;"
        " COPY s.u FROM STDIN; COMMIT"
    )
    result = rewrite(sql)
    assert result.sql == (
        "BEGIN; DELETE FROM s.t; COPY s.t FROM STDIN WITH (FORMAT csv); COPY s.u FROM STDIN; COMMIT"
    )
    copy_from_s3, client_copy = result.actions
    assert copy_from_s3.target == "s.t" and copy_from_s3.credentials.iam_role == "arn:aws:iam::1:role/r"
    assert client_copy is None


@pytest.mark.parametrize(
    "sql",
    [
        "COPY s.t (a, b) FROM STDIN WITH (FORMAT csv)",
        "COPY (SELECT * FROM s.t) TO STDOUT WITH CSV HEADER",
        "copy s.t to stdout",
    ],
)
def test_clients_own_copy_is_forwarded_untouched(sql):
    result = rewrite(sql)
    assert (result.sql, result.actions) == (sql, (None,))


@pytest.mark.parametrize(
    ("options", "postgres_options", "plan_fields"),
    [
        ("", "FORMAT text, DELIMITER '|', NULL '\\\\N'", {"format": "text", "delimiter": "|"}),
        ("CSV", "FORMAT csv", {"format": "csv", "delimiter": ","}),
        ("FORMAT AS CSV", "FORMAT csv", {"format": "csv"}),
        ("format csv quote as '''' ", "FORMAT csv, QUOTE ''''", {"quote": "'"}),
        ("CSV QUOTE '%'", "FORMAT csv, QUOTE '%'", {"quote": "%"}),
        ("CSV DELIMITER ';'", "FORMAT csv, DELIMITER ';'", {"delimiter": ";"}),
        ("DELIMITER AS ','", "FORMAT text, DELIMITER ',', NULL '\\\\N'", {"delimiter": ","}),
        ("DELIMITER '\\t'", "FORMAT text, DELIMITER '\t', NULL '\\\\N'", {"delimiter": "\t"}),
        ("DELIMITER '\\011'", "FORMAT text, DELIMITER '\t', NULL '\\\\N'", {"delimiter": "\t"}),
        ("ESCAPE", "FORMAT text, DELIMITER '|', NULL '\\N'", {"escape": True}),
        ("NULL AS 'NULL'", "FORMAT text, DELIMITER '|', NULL 'NULL'", {"null_as": "NULL"}),
        ("CSV NULL AS '\\N'", "FORMAT csv, NULL '\\N'", {"null_as": "\\N"}),
        ("EMPTYASNULL", "FORMAT text, DELIMITER '|', NULL ''", {"empty_as_null": True}),
        ("CSV EMPTYASNULL", "FORMAT csv", {"empty_as_null": True}),
        ("CSV IGNOREHEADER 1", "FORMAT csv", {"ignore_header": 1}),
        ("CSV IGNOREHEADER AS 2", "FORMAT csv", {"ignore_header": 2}),
        ("CSV GZIP", "FORMAT csv", {"compression": "gzip"}),
        ("CSV BZIP2", "FORMAT csv", {"compression": "bzip2"}),
        ("CSV MANIFEST", "FORMAT csv", {"manifest": True}),
        ("CSV MAXERROR 0", "FORMAT csv", {"max_error": 0}),
        ("CSV MAXERROR AS 0", "FORMAT csv", {"max_error": 0}),
        ("CSV MAXERROR 10", "FORMAT csv", {"max_error": 10}),
        ("CSV BLANKSASNULL", "FORMAT csv", {"blanks_as_null": True}),
        ("CSV EMPTYASNULL NULL AS 'x'", "FORMAT csv, NULL 'x'", {"empty_as_null": True, "null_as": "x"}),
        ("EMPTYASNULL NULL AS 'x'", "FORMAT text, DELIMITER '|', NULL ''", {"empty_as_null": True}),
        ("CSV DATEFORMAT 'DD.MM.YYYY'", "FORMAT csv", {"date_format": "DD.MM.YYYY"}),
        ("CSV TIMEFORMAT 'epochsecs'", "FORMAT csv", {"time_format": "epochsecs"}),
        ("CSV REGION AS 'eu-west-1'", "FORMAT csv", {"region": "eu-west-1"}),
        (
            "CSV DATEFORMAT 'auto' TIMEFORMAT 'auto'",
            "FORMAT csv",
            {"date_format": "auto", "time_format": "auto"},
        ),
        (
            "CSV DATEFORMAT AS 'MM/DD/YYYY' TIMEFORMAT AS 'YYYY-MM-DD HH:MI:SS'",
            "FORMAT csv",
            {"date_format": "MM/DD/YYYY", "time_format": "YYYY-MM-DD HH:MI:SS"},
        ),
        ("CSV COMPUPDATE OFF STATUPDATE ON EXPLICIT_IDS ENCODING UTF8", "FORMAT csv", {}),
    ],
)
def test_copy_options(options, postgres_options, plan_fields):
    sql = f"COPY s.nps (id, score) FROM 's3://b/p/' CREDENTIALS '{KEYS}' {options}".rstrip()
    result = rewrite(sql)
    assert result.sql == f"COPY s.nps (id, score) FROM STDIN WITH ({postgres_options})"
    (plan,) = result.actions
    assert plan.columns == ("id", "score") and plan.table_name == "nps"
    for name, value in plan_fields.items():
        assert getattr(plan, name) == value, name


@pytest.mark.parametrize(
    ("authorization", "credentials", "region"),
    [
        (f"CREDENTIALS '{KEYS}'", S3Credentials("AKIDEXAMPLE", "wJalrSECRET"), None),
        (
            f"WITH CREDENTIALS AS '{KEYS};token=TOKEN'",
            S3Credentials("AKIDEXAMPLE", "wJalrSECRET", "TOKEN"),
            None,
        ),
        (
            "ACCESS_KEY_ID 'AKID' SECRET_ACCESS_KEY 'SECRET' SESSION_TOKEN 'TOKEN' REGION 'us-east-1'",
            S3Credentials("AKID", "SECRET", "TOKEN"),
            "us-east-1",
        ),
        ("IAM_ROLE 'arn:aws:iam::0:role/r'", S3Credentials(iam_role="arn:aws:iam::0:role/r"), None),
        ("IAM_ROLE default", S3Credentials(iam_role="default"), None),
        (
            "CREDENTIALS 'aws_iam_role=arn:aws:iam::0:role/r'",
            S3Credentials(iam_role="arn:aws:iam::0:role/r"),
            None,
        ),
    ],
)
def test_copy_authorization(authorization, credentials, region):
    (plan,) = rewrite(f"copy t from 's3://b/k' {authorization} csv").actions
    assert (plan.credentials, plan.region) == (credentials, region)


def test_credentials_never_appear_in_reprs():
    (plan,) = rewrite(f"copy t from 's3://b/k' CREDENTIALS '{KEYS};token=TOKEN' csv").actions
    assert not [secret for secret in ("AKIDEXAMPLE", "wJalrSECRET", "TOKEN") if secret in repr(plan)]
    assert "iam_role=None" in repr(plan.credentials)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("COPY t FROM 's3://b/k' FIXEDWIDTH 'a:1'", "COPY option FIXEDWIDTH is not supported"),
        ("COPY t FROM 's3://b/k' CSV TRUNCATECOLUMNS", "COPY option TRUNCATECOLUMNS is not supported"),
        ("COPY t FROM 's3://b/k' LZOP", "COPY option LZOP is not supported"),
        ("COPY t FROM 's3://b/k' FORMAT AS ORC", "COPY option FORMAT ORC is not supported"),
        ("COPY t FROM 's3://b/k' AVRO 'auto'", "COPY option AVRO is not supported"),
        ("COPY t FROM 's3://b/k' DATEFORMAT 'dd.mm.yyyy QQ'", "Invalid datetime format string"),
        ("COPY t FROM 's3://b/k' TIMEFORMAT 'YYYY-MM-DD YYYY'", "YYYY appears twice"),
        ("COPY t FROM 's3://b/k' DATEFORMAT 'epochsecs'", "Invalid datetime format string"),
        ("COPY t FROM 's3://b/k' QUOTE '%'", "QUOTE argument is only allowed with CSV format"),
        ("COPY t FROM 's3://b/k' CSV ESCAPE", "CSV is not compatible with ESCAPE"),
        ("COPY t FROM 's3://b/k' NULL AS '\\0'", "NULL AS '\\0' is not supported"),
        ("COPY t FROM 's3://b/k' CREDENTIALS 'master_symmetric_key=x'", "key 'master_symmetric_key'"),
        ("COPY t FROM '/etc/passwd'", "COPY from '/etc/passwd' is not supported"),
        ("COPY t FROM PROGRAM 'id'", 'syntax error at or near "PROGRAM"'),
        ("COPY t TO '/tmp/t.csv'", "use UNLOAD"),
        ("COPY t FROM 's3://b/k' DELIMITER '||'", "must be a single character"),
        ("UNLOAD ('select 1') TO 's3://b/u/' CSV ADDQUOTES", "ADDQUOTES is not supported for UNLOAD to CSV"),
        (
            "UNLOAD ('select 1') TO 's3://b/u/' FORMAT ORC",
            "UNLOAD option FORMAT ORC is not supported",
        ),
        ("UNLOAD ('select 1') TO '/tmp/u'", "must be an s3:// URL"),
    ],
)
def test_refused(sql, message):
    with pytest.raises(RedshiftError) as raised:
        rewrite(sql)
    assert message in raised.value.message


@pytest.mark.parametrize(
    ("unload", "postgres", "plan_fields"),
    [
        (
            "UNLOAD ('select * from nps where score > ''5''') TO 's3://b/unload/nps_' IAM_ROLE default",
            "COPY (select * from nps where score > '5') TO STDOUT WITH (FORMAT text)",
            {"parallel": True, "gzip": False, "header": False, "allow_overwrite": False},
        ),
        (
            "unload ('select * from #t') to 's3://b/u/nps_' credentials 'aws_iam_role=arn:r'"
            " csv header delimiter as ';' gzip parallel off allowoverwrite",
            "COPY (select * from \"#t\") TO STDOUT WITH (FORMAT csv, DELIMITER ';', HEADER)",
            {"parallel": False, "gzip": True, "header": True, "allow_overwrite": True, "delimiter": ";"},
        ),
        (
            "UNLOAD ('select 1') TO 's3://b/u/' FORMAT AS CSV PARALLEL TRUE NULL AS 'NULL'",
            "COPY (select 1) TO STDOUT WITH (FORMAT csv, NULL 'NULL')",
            {"parallel": True, "null_as": "NULL"},
        ),
        (
            "UNLOAD ('select 1') TO 's3://b/u/' PARALLEL FALSE",
            "COPY (select 1) TO STDOUT WITH (FORMAT text)",
            {"parallel": False},
        ),
    ],
)
def test_unload(unload, postgres, plan_fields):
    result = rewrite(unload)
    assert result.sql == postgres
    (plan,) = result.actions
    assert isinstance(plan, UnloadToS3)
    for name, value in plan_fields.items():
        assert getattr(plan, name) == value, name


@pytest.mark.parametrize(
    ("sql", "masked"),
    [
        (f"copy t from 's3://b/k' credentials '{KEYS}' csv", "copy t from 's3://b/k' credentials '***' csv"),
        (
            "copy t from 's3://b/k' ACCESS_KEY_ID 'AKID' SECRET_ACCESS_KEY AS 'SECRET' SESSION_TOKEN 'TOKEN'",
            "copy t from 's3://b/k' ACCESS_KEY_ID '***' SECRET_ACCESS_KEY AS '***' SESSION_TOKEN '***'",
        ),
        (f"select '{KEYS}' as leaked", "select '***' as leaked"),
        (f"select $x${KEYS}$x$, E'token=abc'", "select '***', '***'"),
        ("ALTER USER bob PASSWORD 'hunter2'", "ALTER USER bob PASSWORD '***'"),
        ("select 'no secret here', credentials from t", "select 'no secret here', credentials from t"),
    ],
)
def test_mask_secrets(sql, masked):
    assert mask_secrets(sql) == masked


def test_loggable_sql_is_the_original_statement_masked():
    result = rewrite(operator_copy("#nps"))
    assert "wJalrSECRET" not in result.loggable_sql and "AKIDEXAMPLE" not in result.loggable_sql
    assert result.loggable_sql == operator_copy("#nps").replace(f"'{KEYS}'", "'***'")


@pytest.mark.parametrize(
    ("sql", "touches"),
    [("select * from stl_load_errors", True), ("SELECT * FROM SYS_QUERY_HISTORY", True), ("select 1", False)],
)
def test_touches_system_tables(sql, touches):
    assert rewrite(sql).touches_system_tables is touches
