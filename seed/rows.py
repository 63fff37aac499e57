"""Deterministic fake NPS responses: how many arrive each day, at what time, with which score.

Every draw comes from a Faker generator seeded with ``--seed`` and the day (``Faker.seed_instance``),
so one day's rows do not depend on which other days were generated. Rows are drawn in bulk from
Faker's seeded ``random`` rather than one provider call per value: a provider call per row costs
more than loading the row into MySQL, and the seed must stay within 3x of ``LOAD DATA``.
"""

from __future__ import annotations

import math
import random
from datetime import date

from faker import Faker

# Share of each score 0..10, in percent: a typical survey piles up at 0, 5 and 8-10.
# 45% promoters (9-10), 25% passives (7-8), 30% detractors (0-6): NPS about +15.
SCORE_WEIGHTS = (7, 2, 2, 3, 3, 7, 6, 10, 15, 20, 25)
# Responses per hour of the day: quiet at night, peaks at lunch and in the evening.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 9, 10, 9, 8, 8, 8, 9, 10, 10, 9, 6, 4, 2)
# Weekends get fewer responses; each day also varies by about 20% around its weekday's mean.
WEEKDAY_FACTORS = (1.0, 1.05, 1.05, 1.0, 0.95, 0.7, 0.65)
DAY_NOISE = 0.2

_SCORES = range(11)
_HOURS = range(24)


def day_random(seed: int, purpose: str, day: date) -> random.Random:
    """The seeded generator for one purpose ("nps", "tick", ...) on one day."""
    fake = Faker()
    fake.seed_instance(f"{seed}:{purpose}:{day.isoformat()}")
    return fake.random


def day_volume(rnd: random.Random, day: date, rows_per_day: int) -> int:
    """How many responses arrive on ``day``: the weekday's share of ``rows_per_day``, with noise."""
    noise = math.exp(rnd.gauss(0, DAY_NOISE) - DAY_NOISE**2 / 2)  # log-normal, mean 1
    return max(0, round(rows_per_day * WEEKDAY_FACTORS[day.weekday()] * noise))


def day_count(seed: int, purpose: str, day: date, rows_per_day: int) -> int:
    """How many rows ``responses`` gives for ``day``, without drawing them (for progress bars)."""
    return day_volume(day_random(seed, purpose, day), day, rows_per_day)


def scores(rnd: random.Random, count: int) -> list[int]:
    return rnd.choices(_SCORES, weights=SCORE_WEIGHTS, k=count)


def times_of_day(rnd: random.Random, day: date, count: int) -> list[str]:
    """``count`` sorted MySQL timestamps within ``day``, following HOUR_WEIGHTS."""
    hours = rnd.choices(_HOURS, weights=HOUR_WEIGHTS, k=count)
    seconds = sorted(hour * 3600 + rnd.randrange(3600) for hour in hours)
    prefix = day.isoformat()
    return [f"{prefix} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in seconds]


def responses(seed: int, purpose: str, day: date, rows_per_day: int) -> list[tuple[str, int]]:
    """One day's responses as (created_at, score), in the order they arrived."""
    rnd = day_random(seed, purpose, day)
    count = day_volume(rnd, day, rows_per_day)
    return list(zip(times_of_day(rnd, day, count), scores(rnd, count), strict=True))
