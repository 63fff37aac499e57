"""Lesson 11's exercise: an S3 key template that keeps every day's export apart.

COPY reads every object whose key starts with the key it is given
(https://docs.aws.amazon.com/redshift/latest/dg/copy-parameters-data-source-s3.html), so a day's key must
differ from every other day's and be the beginning of none of them. The checker renders the learner's
template with Airflow's own template context names (ds, ds_nodash, logical_date) and macros for every day
of 2024, and compares each key with every other.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import jinja2
from airflow.sdk.execution_time import macros

from lab.exercises import exercise, right, wrong


def rendered_keys(template: str, days: list[date]) -> dict[date, str]:
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    compiled = environment.from_string(template)
    return {
        day: compiled.render(
            ds=day.isoformat(),
            ds_nodash=day.strftime("%Y%m%d"),
            logical_date=datetime.combine(day, datetime.min.time(), tzinfo=UTC),
            macros=macros,
        )
        for day in days
    }


@exercise("11.1")
def daily_key(s3_key: str):
    days = [date(2024, 1, 1) + timedelta(days=n) for n in range(366)]
    try:
        keys = rendered_keys(s3_key, days)
    except jinja2.TemplateError as error:
        return wrong(f"템플릿을 렌더링할 수 없습니다: {error}", f"the template does not render: {error}")
    by_key: dict[str, date] = {}
    for day, key in keys.items():
        if key in by_key:
            return wrong(
                f"{by_key[key]}와 {day}가 같은 키 {key!r}에 씁니다. 날짜가 키에 들어가야 합니다.",
                f"{by_key[key]} and {day} write the same key {key!r}: the date must be part of the key.",
            )
        by_key[key] = day
    ordered = sorted(by_key)
    for shorter, longer in pairwise(ordered):
        if longer.startswith(shorter):
            return wrong(
                f"{by_key[shorter]}의 키 {shorter!r}가 {by_key[longer]}의 키 {longer!r}의 앞부분입니다."
                " COPY는 키를 접두사로 읽으므로 그날의 COPY가 다른 날의 파일까지 읽습니다.",
                f"{by_key[shorter]}'s key {shorter!r} begins {by_key[longer]}'s key {longer!r}: COPY reads a"
                " key as a prefix, so that day's COPY would read the other day's file too.",
            )
    return right()
