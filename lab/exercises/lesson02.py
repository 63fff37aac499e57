"""Lesson 02's exercise: write the COPY that S3ToRedshiftOperator sends, and load a file with it.

The checker puts a headerless CSV of its own in the bucket and gives the learner an empty table with the
course's DDL; the learner's statement names the bucket and the AWS keys by placeholders, which the checker
fills in (so no key is written in the notebook). COPY: https://docs.aws.amazon.com/redshift/latest/dg/r_COPY.html
"""

from __future__ import annotations

from lab import notebook as nb
from lab.exercises import exercise, right, wrong

TABLE = "raw_data.nps_ex02"
KEY = "exercises/02/nps.csv"
ROWS = [
    (1, "2024-01-01 09:00:00", 10),
    (2, "2024-01-01 10:30:00", 6),
    (3, "2024-01-02 11:15:00", 8),
]
PLACEHOLDERS = ("{bucket}", "{aws_access_key_id}", "{aws_secret_access_key}")


def _prepare() -> None:
    lab = nb.settings()
    body = "".join(f"{id_},{created_at},{score}\n" for id_, created_at, score in ROWS)
    lab.s3_client().put_object(Bucket=lab.bucket, Key=KEY, Body=body.encode())
    nb.change_warehouse(f"DROP TABLE IF EXISTS {TABLE}")
    nb.change_warehouse(
        f"CREATE TABLE {TABLE} (id INT NOT NULL PRIMARY KEY, created_at TIMESTAMP, score SMALLINT)"
    )


@exercise("02.1")
def copy_statement(copy_sql: str):
    missing = [name for name in PLACEHOLDERS if name not in copy_sql]
    if missing:
        return wrong(
            f"{', '.join(missing)} 자리표시자가 없습니다. "
            "버킷과 키는 값 대신 이 이름으로 쓰면 채점기가 채웁니다.",
            f"the placeholders {', '.join(missing)} are missing: write them instead of the values, "
            "and the checker fills them in.",
        )
    _prepare()
    lab = nb.settings()
    statement = (
        copy_sql.replace("{bucket}", lab.bucket)
        .replace("{aws_access_key_id}", lab.aws_access_key_id)
        .replace("{aws_secret_access_key}", lab.aws_secret_access_key)
    )
    try:
        nb.change_warehouse(statement)
    except Exception as error:  # the learner's statement: say what Redshift answered
        shown = str(error).replace(lab.aws_secret_access_key, "***")
        return wrong(
            f"Redshift가 COPY를 거부했습니다: {shown}. 파일은 헤더 없는 CSV입니다(csv 옵션).",
            f"Redshift refused the COPY: {shown}. The file is a headerless CSV (the csv option).",
        )
    loaded = nb.warehouse(f"SELECT id, created_at, score FROM {TABLE} ORDER BY id")
    found = [(int(i), str(c), int(s)) for i, c, s in loaded.itertuples(index=False)]
    if found != ROWS:
        return wrong(
            f"{TABLE}에 {len(found)}행이 들어갔습니다. "
            f"기대한 것은 s3://{{bucket}}/{KEY}의 {len(ROWS)}행입니다: {found}",
            f"{TABLE} holds {len(found)} rows; "
            f"expected the {len(ROWS)} rows of s3://{{bucket}}/{KEY}: {found}",
        )
    return right()
