"""Lesson 01's exercise: the NPS query of MySQL, written again for Redshift, must give the same number.

MySQL adds booleans up (``SUM(score >= 9)``) and divides integers into decimals; Redshift does neither
(``SUM(boolean)`` does not exist, https://docs.aws.amazon.com/redshift/latest/dg/r_SUM.html, and integer
division truncates, https://docs.aws.amazon.com/redshift/latest/dg/r_numeric_computations201.html).
The checker fills a table of its own on both sides with the same few answers, one of them without a score.
"""

from __future__ import annotations

from lab import notebook as nb
from lab.exercises import exercise, right, wrong

TABLE = "nps_ex01"
# One NULL score; 1 promoter more than detractors out of 6 scores: NPS 16.67, cut to 16 by integer division.
ANSWERS = [
    (1, "2024-01-01 09:00:00", 10),
    (2, "2024-01-01 10:00:00", 9),
    (3, "2024-01-01 11:00:00", 9),
    (4, "2024-01-01 12:00:00", 8),
    (5, "2024-01-01 13:00:00", 3),
    (6, "2024-01-01 14:00:00", 0),
    (7, "2024-01-01 15:00:00", None),
]
MYSQL_NPS = f"SELECT 100 * (SUM(score >= 9) - SUM(score <= 6)) / COUNT(score) AS nps FROM {TABLE}"
DDL = "(id INT NOT NULL PRIMARY KEY, created_at TIMESTAMP, score SMALLINT)"


def _fill_both_sides() -> None:
    values = ", ".join(["(%s, %s, %s)"] * len(ANSWERS))
    flat = [value for row in ANSWERS for value in row]
    nb.change_source(f"DROP TABLE IF EXISTS {TABLE}")
    nb.change_source(f"CREATE TABLE {TABLE} {DDL}")
    nb.change_source(f"INSERT INTO {TABLE} VALUES {values}", flat)
    nb.change_warehouse(f"DROP TABLE IF EXISTS raw_data.{TABLE}")
    nb.change_warehouse(f"CREATE TABLE raw_data.{TABLE} {DDL}")
    nb.change_warehouse(f"INSERT INTO raw_data.{TABLE} VALUES {values}", flat)


@exercise("01.1")
def redshift_nps(redshift_sql: str):
    _fill_both_sides()
    expected = float(nb.source(MYSQL_NPS)["nps"][0])
    try:
        answer = nb.warehouse(redshift_sql)
    except Exception as error:  # the learner's SQL: say what Redshift answered
        return wrong(
            f"Redshift가 쿼리를 거부했습니다: {error}. boolean은 SUM할 수 없으니 "
            "SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END)처럼 1과 0으로 바꿔 더합니다.",
            f"Redshift refused the query: {error}. A boolean cannot be summed: add 1s and 0s, "
            "SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END).",
        )
    if answer.shape != (1, 1):
        return wrong(
            f"값 하나(1행 1열)를 돌려줘야 하는데 {answer.shape[0]}행 {answer.shape[1]}열이 나왔습니다.",
            f"the query should return one value (1 row, 1 column), not "
            f"{answer.shape[0]} x {answer.shape[1]}.",
        )
    found = answer.iloc[0, 0]
    if found is None or abs(float(found) - expected) >= 0.01:
        return wrong(
            f"Redshift는 {found}, MySQL은 {expected:.2f}입니다. 정수끼리 나누면 Redshift는 소수점 아래를 "
            "버립니다(100.0처럼 소수로 곱하세요). 분모는 점수가 있는 응답만 세는 COUNT(score)입니다.",
            f"Redshift says {found}, MySQL {expected:.2f}. Redshift's integer division drops the fraction "
            "(multiply by 100.0); the denominator counts answers with a score, COUNT(score).",
        )
    return right()
