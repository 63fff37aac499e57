"""Lesson 08's exercises: the dtype that lets a nullable score travel in Parquet, and an UNLOAD by hand.

08.1: pandas reads a SMALLINT column with a NULL as float64 (NaN). Parquet carries the DataFrame's type, and
Redshift's COPY reads Parquet by type: int64 or float64 do not load into SMALLINT
(https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-columnar.html), and numpy's int16
cannot hold a NULL. pandas' nullable Int16 can.
08.2: UNLOAD ... FORMAT AS PARQUET writes the query's rows to S3 with their types
(https://docs.aws.amazon.com/redshift/latest/dg/r_UNLOAD.html); pandas reads them back.
"""

from __future__ import annotations

import io

import pandas as pd

from lab import notebook as nb
from lab.exercises import exercise, right, wrong

DDL = "(id INT NOT NULL, created_at TIMESTAMP, score SMALLINT)"
ROWS = pd.DataFrame(
    {
        "id": pd.array([1, 2, 3], dtype="int32"),
        "created_at": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 11:00", "2024-01-02 09:30"]),
        "score": [10.0, None, 3.0],  # a SMALLINT with a NULL, as pandas reads it
    }
)
DTYPE_TABLE, DTYPE_KEY = "raw_data.nps_ex08", "exercises/nps_ex08.parquet"
UNLOAD_TABLE, UNLOAD_PREFIX = "raw_data.nps_ex08_unload", "exercises/ex08_unload/"


def _empty_table(table: str) -> None:
    nb.change_warehouse(f"DROP TABLE IF EXISTS {table}")
    nb.change_warehouse(f"CREATE TABLE {table} {DDL}")


@exercise("08.1")
def score_dtype_for_parquet(score_dtype: str):
    try:
        typed = ROWS.astype({"score": score_dtype})
    except (TypeError, ValueError) as error:
        return wrong(
            f"pandas가 NULL이 있는 score를 {score_dtype!r}로 바꾸지 못합니다({error}). numpy의 정수형에는"
            " NULL 자리가 없습니다. 대문자로 시작하는 pandas의 nullable 정수형을 생각해 보세요.",
            f"pandas cannot turn a score with a NULL into {score_dtype!r} ({error}): numpy's integers have no"
            " room for NULL. Think of pandas' nullable integers, capital first letter.",
        )
    lab = nb.settings()
    lab.s3_client().put_object(Bucket=lab.bucket, Key=DTYPE_KEY, Body=typed.to_parquet(index=False))
    _empty_table(DTYPE_TABLE)
    try:
        nb.copy_from_s3(DTYPE_TABLE, DTYPE_KEY, "FORMAT AS PARQUET")
    except Exception as error:  # the warehouse refuses the type: that is the lesson
        return wrong(
            f"COPY가 {typed['score'].dtype} 열을 SMALLINT에 넣지 못합니다. Parquet는 타입째로 읽힙니다."
            f" 열과 같은 16비트 정수형이어야 합니다. 오류: {str(error)[:200]}",
            f"COPY refuses a {typed['score'].dtype} column for SMALLINT: Parquet is read by type, so it must"
            f" be a 16-bit integer, as the column is. Error: {str(error)[:200]}",
        )
    loaded = nb.warehouse(f"SELECT id, score FROM {DTYPE_TABLE} ORDER BY id")
    scores = [None if pd.isna(value) else int(value) for value in loaded["score"]]
    if scores != [10, None, 3]:
        return wrong(
            f"적재된 score가 {scores}입니다. [10, None, 3]이어야 합니다.",
            f"the loaded scores are {scores}, not [10, None, 3].",
        )
    return right()


@exercise("08.2")
def unload_as_parquet(unload_sql: str):
    if "{credentials}" not in unload_sql or "{bucket}" not in unload_sql:
        return wrong(
            "문장에 {bucket}과 {credentials} 자리를 그대로 두세요. 채점기가 채웁니다.",
            "keep the {bucket} and {credentials} placeholders in the statement: the checker fills them in.",
        )
    lab = nb.settings()
    s3 = lab.s3_client()
    _empty_table(UNLOAD_TABLE)
    rows = [
        value
        for row in ROWS.astype({"score": "Int16"}).astype(object).itertuples(index=False)
        for value in row
    ]
    nb.change_warehouse(
        f"INSERT INTO {UNLOAD_TABLE} VALUES (%s, %s, %s), (%s, %s, %s), (%s, %s, %s)",
        [None if pd.isna(value) else value for value in rows],
    )
    for old in nb.objects(UNLOAD_PREFIX)["key"]:
        s3.delete_object(Bucket=lab.bucket, Key=old)
    nb.change_warehouse(unload_sql.format(bucket=lab.bucket, credentials=nb.authorization()))
    keys = list(nb.objects(UNLOAD_PREFIX)["key"])
    parquet = [key for key in keys if key.endswith(".parquet")]
    if not parquet:
        return wrong(
            f"{UNLOAD_PREFIX} 아래에 Parquet 파일이 없습니다(찾은 객체: {keys}). TO 's3://{{bucket}}/{UNLOAD_PREFIX}...'"
            " 경로와 FORMAT AS PARQUET을 확인하세요.",
            f"no Parquet file under {UNLOAD_PREFIX} (objects found: {keys}): check the TO"
            f" 's3://{{bucket}}/{UNLOAD_PREFIX}...' path and FORMAT AS PARQUET.",
        )
    frames = [
        pd.read_parquet(io.BytesIO(s3.get_object(Bucket=lab.bucket, Key=key)["Body"].read()))
        for key in parquet
    ]
    back = pd.concat(frames).sort_values("id") if frames else pd.DataFrame()
    if list(back.columns) != ["id", "created_at", "score"] or len(back) != len(ROWS):
        return wrong(
            f"읽어 온 Parquet의 열 {list(back.columns)}, 행 {len(back)}개입니다. {UNLOAD_TABLE}의 모든 열,"
            f" {len(ROWS)}행이어야 합니다.",
            f"the Parquet read back has columns {list(back.columns)} and {len(back)} rows; expected every"
            f" column of {UNLOAD_TABLE} and {len(ROWS)} rows.",
        )
    scores = [None if pd.isna(value) else int(value) for value in back["score"]]
    if scores != [10, None, 3] or str(back["id"].dtype) != "int32":
        return wrong(
            f"읽어 온 값이 다릅니다: score {scores}, id의 타입 {back['id'].dtype}",
            f"the values read back differ: score {scores}, id's type {back['id'].dtype}",
        )
    return right()
