"""Comparing a warehouse table with its source, row for row by key."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from lab.bilingual import say


@dataclass(frozen=True)
class Comparison:
    """How a warehouse table differs from its source, row for row by key.

    Equal means: as many rows on both sides, no key twice on either side, every key on both sides with
    the same values. A key that repeats (an append that should have been an upsert) is reported as a
    duplicate, not compared value by value: which copy would be "the" row is the question itself.
    """

    source_rows: int
    warehouse_rows: int
    missing: list  # keys in the source, not in the warehouse
    extra: list  # keys in the warehouse, not in the source
    changed: list  # keys once on each side, with different values
    source_duplicates: dict = field(default_factory=dict)  # key -> how many times it is in the source
    warehouse_duplicates: dict = field(default_factory=dict)  # key -> times in the warehouse
    key: str = "id"

    @property
    def equal(self) -> bool:
        return self.source_rows == self.warehouse_rows and not (
            self.missing or self.extra or self.changed or self.source_duplicates or self.warehouse_duplicates
        )

    def __str__(self) -> str:
        if self.equal:
            return say(
                f"같습니다: 양쪽 모두 {self.source_rows}행입니다.",
                f"equal: {self.source_rows} rows on both sides",
            )
        korean = [
            f"다릅니다: source {self.source_rows}행, warehouse {self.warehouse_rows}행{self._count_ko()}."
        ]
        sides = f"source {self.source_rows} rows, warehouse {self.warehouse_rows} rows"
        english = [f"different: {sides}{self._count_en()}."]
        for side, duplicates in (
            ("source", self.source_duplicates),
            ("warehouse", self.warehouse_duplicates),
        ):
            if duplicates:
                korean.append(f"- {side}에 중복된 {self.key} {len(duplicates)}개: {_times(duplicates, '번')}")
                english.append(
                    f"- {len(duplicates)} {self.key}s more than once in the {side}: {_times(duplicates)}"
                )
        for keys, ko, en in (
            (self.missing, "warehouse에 없는", "missing in the warehouse"),
            (self.extra, "source에 없는", "extra in the warehouse (not in the source)"),
            (self.changed, "값이 다른", "changed"),
        ):
            if keys:
                korean.append(f"- {ko} {self.key} {len(keys)}개: {_examples(keys)}")
                english.append(f"- {len(keys)} {self.key}s {en}: {_examples(keys)}")
        return say("\n".join(korean), "\n".join(english))

    def _count_ko(self) -> str:
        more = self.warehouse_rows - self.source_rows
        if more == 0:
            return ""
        return f" (warehouse가 {abs(more)}행 {'많습니다' if more > 0 else '적습니다'})"

    def _count_en(self) -> str:
        more = self.warehouse_rows - self.source_rows
        if more == 0:
            return ""
        return f" ({abs(more)} {'more' if more > 0 else 'fewer'} in the warehouse)"


EXAMPLES = 5  # keys a Comparison names of each kind; the counts are always whole


def _examples(keys: list) -> str:
    shown = ", ".join(str(key) for key in keys[:EXAMPLES])
    return f"[{shown}{', ...' if len(keys) > EXAMPLES else ''}]"


def _times(duplicates: dict, unit: str = " times") -> str:
    shown = [f"{key} ({count}{unit})" for key, count in list(duplicates.items())[:EXAMPLES]]
    return ", ".join(shown) + (", ..." if len(duplicates) > EXAMPLES else "")


def compare(source_rows: pd.DataFrame, warehouse_rows: pd.DataFrame, key: str = "id") -> Comparison:
    """Compare two tables with the same columns by ``key``; types are normalised (MySQL 1 == PG true)."""
    _require_columns(source_rows, warehouse_rows, key)
    left = _normalised(source_rows, key)
    right = _normalised(warehouse_rows[list(source_rows.columns)], key)
    # Only keys that are once on each side have "the" row to compare; repeated keys are reported as such.
    once_left = left[~left.index.duplicated(keep=False)]
    once_right = right[~right.index.duplicated(keep=False)]
    both = once_left.index.intersection(once_right.index)
    paired_left, paired_right = once_left.loc[both], once_right.loc[both]
    differs = (paired_left != paired_right) & ~(paired_left.isna() & paired_right.isna())
    return Comparison(
        source_rows=len(left),
        warehouse_rows=len(right),
        missing=sorted(left.index.difference(right.index).tolist()),
        extra=sorted(right.index.difference(left.index).tolist()),
        changed=sorted(both[differs.any(axis=1)].tolist()),
        source_duplicates=_duplicates(left.index),
        warehouse_duplicates=_duplicates(right.index),
        key=key,
    )


def _require_columns(source_rows: pd.DataFrame, warehouse_rows: pd.DataFrame, key: str) -> None:
    if key not in source_rows.columns:
        raise ValueError(
            say(f"source 쪽 행에 키 열 {key!r}이 없습니다.", f"the source rows have no key column {key!r}")
        )
    absent = [name for name in source_rows.columns if name not in warehouse_rows.columns]
    if absent:
        raise ValueError(
            say(
                f"warehouse 쪽 행에 없는 열이 있습니다: {absent}", f"the warehouse rows lack columns {absent}"
            )
        )


def _duplicates(keys: pd.Index) -> dict:
    """Each key that is more than once in ``keys``, with how many times, in key order."""
    counts = keys.value_counts()
    return {key: int(count) for key, count in sorted(counts[counts > 1].items())}


def _normalised(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame.set_index(key).sort_index().apply(comparable)


def comparable(column: pd.Series) -> pd.Series:
    """Numbers and flags as floats (MySQL's 1 equals PostgreSQL's true), times as is, the rest as text."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return column
    if pd.api.types.is_bool_dtype(column):
        return column.astype(float)
    try:
        return pd.to_numeric(column).astype(float)
    except (TypeError, ValueError):
        return column.astype(str)
