"""copy_options: COPY/UNLOAD parameters -> plans, and plans -> the PostgreSQL COPY that runs instead."""

from __future__ import annotations

import pytest

from emulators.redshift.errors import RedshiftError
from emulators.redshift.load.copy_options import (
    copy_from_stdin_sql,
    copy_to_stdout_sql,
    parse_copy,
    parse_unload,
)
from emulators.redshift.plan import CopyFromS3, S3Credentials, UnloadToS3
from emulators.redshift.tokens import significant, tokenize

NO_KEYS = S3Credentials()


def copy_plan(text: str) -> CopyFromS3 | None:
    return parse_copy(significant(tokenize(text)))


@pytest.mark.parametrize(
    ("plan", "postgres"),
    [
        (
            CopyFromS3("s.t", "t", (), "s3://b/k", NO_KEYS, format="csv", delimiter=","),
            "COPY s.t FROM STDIN WITH (FORMAT csv)",
        ),
        (
            CopyFromS3("s.t", "t", ("a", "b"), "s3://b/k", NO_KEYS, format="csv", delimiter="\t", quote="'"),
            "COPY s.t (a, b) FROM STDIN WITH (FORMAT csv, DELIMITER '\t', QUOTE '''')",
        ),
        (
            CopyFromS3("t", "t", (), "s3://b/k", NO_KEYS, format="csv", delimiter=",", null_as="NULL"),
            "COPY t FROM STDIN WITH (FORMAT csv, NULL 'NULL')",
        ),
        # Without ESCAPE backslashes are data: NULL is matched against the doubled text.
        (
            CopyFromS3("t", "t", (), "s3://b/k", NO_KEYS),
            "COPY t FROM STDIN WITH (FORMAT text, DELIMITER '|', NULL '\\\\N')",
        ),
        (
            CopyFromS3("t", "t", (), "s3://b/k", NO_KEYS, null_as="\\NULL\\"),
            "COPY t FROM STDIN WITH (FORMAT text, DELIMITER '|', NULL '\\\\NULL\\\\')",
        ),
        (
            CopyFromS3("t", "t", (), "s3://b/k", NO_KEYS, escape=True),
            "COPY t FROM STDIN WITH (FORMAT text, DELIMITER '|', NULL '\\N')",
        ),
        (
            CopyFromS3("t", "t", (), "s3://b/k", NO_KEYS, empty_as_null=True),
            "COPY t FROM STDIN WITH (FORMAT text, DELIMITER '|', NULL '')",
        ),
    ],
)
def test_copy_from_stdin_sql(plan, postgres):
    assert copy_from_stdin_sql(plan) == postgres


@pytest.mark.parametrize(
    ("plan", "postgres"),
    [
        (
            UnloadToS3("select 1", "s3://b/u_", NO_KEYS),
            "COPY (select 1) TO STDOUT WITH (FORMAT text)",
        ),
        (
            UnloadToS3("select 1", "s3://b/u_", NO_KEYS, format="csv", delimiter=",", header=True),
            "COPY (select 1) TO STDOUT WITH (FORMAT csv, HEADER)",
        ),
        (
            UnloadToS3("select 1", "s3://b/u_", NO_KEYS, format="csv", delimiter="|", null_as="\\N"),
            "COPY (select 1) TO STDOUT WITH (FORMAT csv, DELIMITER '|', NULL '\\N')",
        ),
    ],
)
def test_copy_to_stdout_sql(plan, postgres):
    assert copy_to_stdout_sql(plan) == postgres


def test_quoted_and_qualified_target():
    plan = copy_plan('"My Schema"."Nps" ("Id", score) FROM \'s3://b/k\' IAM_ROLE default CSV')
    assert (plan.target, plan.table_name, plan.columns) == ('"My Schema"."Nps"', "Nps", ('"Id"', "score"))


def test_e_string_values_are_decoded():
    plan = copy_plan("t FROM E's3://b/k' IAM_ROLE default DELIMITER E'\\t'")
    assert (plan.s3_url, plan.delimiter) == ("s3://b/k", "\t")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("t FROM 's3://b/k' CREDENTIALS", "syntax error at end of input"),
        ("t FROM 's3://b/k' CREDENTIALS aws_access_key_id", 'syntax error at or near "aws_access_key_id"'),
        ("t FROM 's3://b/k' IGNOREHEADER 'one'", "syntax error at or near \"'one'\""),
        ("t (a b) FROM 's3://b/k'", 'syntax error at or near "b"'),
        ("t FROM 's3://b/k' CSV, GZIP", 'syntax error at or near ","'),
        ("t FROM 's3://b/k' ENCODING LATIN1", "ENCODING LATIN1 is not supported"),
    ],
)
def test_syntax_errors(text, message):
    with pytest.raises(RedshiftError) as raised:
        copy_plan(text)
    assert message in raised.value.message


def test_unknown_credentials_key_is_named_but_its_value_never_shown():
    with pytest.raises(RedshiftError) as raised:
        copy_plan("t FROM 's3://b/k' CREDENTIALS 'aws_access_key_id=AK;aws_secret_key=VERYSECRET'")
    assert "'aws_secret_key'" in raised.value.message and "VERYSECRET" not in raised.value.message


def test_unload_query_is_rewritten_by_the_given_function():
    plan = parse_unload(
        significant(tokenize("('select * from #t where x = ''y''') TO 's3://b/u_' IAM_ROLE default")),
        str.upper,
    )
    assert plan.query == "SELECT * FROM #T WHERE X = 'Y'"
