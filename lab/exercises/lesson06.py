"""Lesson 06's exercise: find the bad row of a failed COPY in stl_load_errors, by line and column.

``plant_bad_file()`` uploads a small CSV with one bad value (a score written as a word) and COPYs it into a
table of its own; the COPY fails, as Redshift's default MAXERROR 0 makes it, and stl_load_errors gets the row
(https://docs.aws.amazon.com/redshift/latest/dg/r_STL_LOAD_ERRORS.html; on Redshift Serverless the same facts
are in SYS_LOAD_ERROR_DETAIL: https://docs.aws.amazon.com/redshift/latest/dg/SYS_LOAD_ERROR_DETAIL.html).
The learner names the line and the column; the checker plants the file again and compares.
"""

from __future__ import annotations

from lab import notebook as nb
from lab.bilingual import say
from lab.exercises import exercise, right, wrong

TABLE_NAME = "nps_ex06"
TABLE = f"raw_data.{TABLE_NAME}"
KEY = "exercises/nps_ex06.csv"
BAD_LINE, BAD_COLUMN, BAD_VALUE = 5, "score", "nine"
LINES = [f"{n},2024-01-0{n} 10:00:00,{n + 3}" for n in range(1, 8)]
LINES[BAD_LINE - 1] = f"{BAD_LINE},2024-01-0{BAD_LINE} 10:00:00,{BAD_VALUE}"


def plant_bad_file() -> str:
    """Upload the file, COPY it into an empty table of its own; return the COPY's error."""
    lab = nb.settings()
    lab.s3_client().put_object(Bucket=lab.bucket, Key=KEY, Body=("\n".join(LINES) + "\n").encode())
    nb.change_warehouse(f"DROP TABLE IF EXISTS {TABLE}")
    nb.change_warehouse(f"CREATE TABLE {TABLE} (id INT NOT NULL, created_at TIMESTAMP, score SMALLINT)")
    try:
        nb.copy_from_s3(TABLE, KEY, "csv")
    except Exception as error:  # the COPY must fail: that is the exercise
        return str(error)
    raise AssertionError(say(f"{KEY}의 COPY가 성공했습니다", f"the COPY of {KEY} succeeded"))


@exercise("06.1")
def bad_row(bad_line: int | None, bad_column: str):
    plant_bad_file()
    latest = nb.load_errors(TABLE_NAME).iloc[0]
    if (int(latest["line_number"]), latest["colname"]) != (BAD_LINE, BAD_COLUMN):
        raise AssertionError(f"stl_load_errors disagrees with the planted file: {dict(latest)}")
    if bad_line is None or not bad_column:
        return wrong(
            f"bad_line과 bad_column을 채우세요. nb.load_errors('{TABLE_NAME}')의 첫 행을 보면 됩니다.",
            f"fill in bad_line and bad_column: the first row of nb.load_errors('{TABLE_NAME}') has them.",
        )
    if int(bad_line) != BAD_LINE:
        return wrong(
            f"줄 번호 {bad_line}이 아닙니다. stl_load_errors의 line_number 열을 보세요.",
            f"not line {bad_line}: look at stl_load_errors' line_number column.",
        )
    if bad_column.strip().lower() != BAD_COLUMN:
        return wrong(
            f"열 {bad_column!r}이 아닙니다. stl_load_errors의 colname 열을 보세요.",
            f"not column {bad_column!r}: look at stl_load_errors' colname column.",
        )
    return right()
