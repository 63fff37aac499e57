"""The fake responses: deterministic under a seed, believable in volume, time of day and score."""

from collections import Counter
from datetime import date, timedelta

from seed import rows

DAYS = [date(2024, 1, 1) + timedelta(days=n) for n in range(28)]


def test_same_seed_gives_same_rows_and_another_seed_other_rows():
    first = [rows.responses(7, "nps", day, 200) for day in DAYS[:3]]
    again = [rows.responses(7, "nps", day, 200) for day in DAYS[:3]]
    other = [rows.responses(8, "nps", day, 200) for day in DAYS[:3]]
    assert first == again
    assert first != other


def test_a_day_does_not_depend_on_the_days_generated_before_it():
    assert rows.responses(7, "nps", DAYS[5], 100) == rows.responses(7, "nps", DAYS[5], 100)
    assert [rows.responses(7, "nps", d, 100) for d in DAYS[4:6]][1] == rows.responses(7, "nps", DAYS[5], 100)


def test_volume_varies_from_day_to_day_around_the_mean_with_quieter_weekends():
    volumes = {day: len(rows.responses(1, "nps", day, 1000)) for day in DAYS}
    assert len(set(volumes.values())) > 20
    weekday = [v for d, v in volumes.items() if d.weekday() < 5]
    weekend = [v for d, v in volumes.items() if d.weekday() >= 5]
    assert 800 < sum(weekday) / len(weekday) < 1200
    assert sum(weekend) / len(weekend) < sum(weekday) / len(weekday)


def test_times_fall_in_their_day_in_arrival_order_mostly_in_daytime():
    day = DAYS[2]
    times = [created_at for created_at, _ in rows.responses(3, "nps", day, 5000)]
    assert times == sorted(times)
    assert all(t.startswith("2024-01-03 ") for t in times)
    night = sum(1 for t in times if t[11:13] in ("01", "02", "03", "04"))
    noon = sum(1 for t in times if t[11:13] in ("11", "12", "13", "14"))
    assert noon > 4 * night


def test_scores_are_0_to_10_with_an_nps_mix_not_uniform():
    scores = Counter(score for day in DAYS for _, score in rows.responses(5, "nps", day, 1000))
    total = sum(scores.values())
    assert set(scores) == set(range(11))
    promoters = (scores[9] + scores[10]) / total
    detractors = sum(scores[s] for s in range(7)) / total
    assert 0.40 < promoters < 0.50
    assert 0.25 < detractors < 0.35
    assert scores[10] > 5 * scores[2]


def test_day_count_tells_how_many_rows_a_day_gets_without_drawing_them():
    for day in DAYS[:7]:
        assert rows.day_count(9, "nps", day, 300) == len(rows.responses(9, "nps", day, 300))
