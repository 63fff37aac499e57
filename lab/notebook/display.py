"""What a lesson shows rather than tells: a table before and after a change, and the code it runs."""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from lab.bilingual import say
from lab.config import REPO_ROOT
from lab.notebook.comparison import comparable

# How each kind of row looks, and what the legend calls it. Deleted rows stay in the picture, struck through:
# what a method removed is the half of the lesson a plain snapshot cannot show.
ROW_STYLES = {
    "inserted": "background-color: #d4f4d4",
    "deleted": "background-color: #f9d3d3; color: #8b1a1a; text-decoration: line-through",
    "changed": "background-color: #fff4c2",
    "unchanged": "",
}
CHANGED_CELL = "background-color: #ffd54a; font-weight: bold"
ROW_LABELS = {
    "inserted": "추가 (inserted)",
    "deleted": "삭제 (deleted)",
    "changed": "변경 (changed)",
    "unchanged": "",
}
CHANGE_COLUMN = "변경 (change)"


def show_changes(
    before: pd.DataFrame,
    after: pd.DataFrame,
    key: str = "id",
    unchanged: int | None = 5,
    limit: int = 100,
) -> Styler:
    """The table after a change, its rows coloured by what happened to them: inserted green, deleted red
    (struck through), changed yellow with each changed cell shown as ``old → new``, unchanged plain.

    Rows are matched by ``key`` and, where a key repeats, by its order among the rows with that key: the
    second copy of an appended row shows as inserted. Shows every changed row (``limit`` at most) and the
    first ``unchanged`` unchanged rows (None: all of them, a snapshot of the whole table); the caption
    counts every kind and says what it left out.
    """
    columns = list(after.columns)
    if key not in columns or set(before.columns) != set(columns):
        raise ValueError(
            say(
                f"before와 after는 같은 열에 키 열 {key!r}이 있어야 합니다:"
                f" {list(before.columns)} / {columns}",
                f"before and after need the same columns, key {key!r} among them:"
                f" {list(before.columns)} / {columns}",
            )
        )
    old, new = _by_occurrence(before[columns], key), _by_occurrence(after, key)
    both = old.index.intersection(new.index)
    old_values, new_values = old.apply(comparable).loc[both], new.apply(comparable).loc[both]
    differs = (old_values != new_values) & ~(old_values.isna() & new_values.isna())
    kinds = pd.Series("unchanged", index=old.index.union(new.index).sort_values())
    kinds[old.index.difference(new.index)] = "deleted"
    kinds[new.index.difference(old.index)] = "inserted"
    kinds[differs.index[differs.any(axis=1)]] = "changed"

    shown_kinds = _rows_to_show(kinds, unchanged, limit)
    # As objects, so that a column keeps its values as they are (no int turned float by a gap).
    every_row = pd.concat([new.astype(object), old.loc[kinds.index[kinds == "deleted"]].astype(object)])
    rows = every_row.loc[shown_kinds.index]
    cells = differs.reindex(index=shown_kinds.index, columns=columns, fill_value=False)
    for row, column in zip(*cells.to_numpy().nonzero(), strict=True):
        index, name = cells.index[row], columns[column]
        rows.loc[index, name] = f"{old.loc[index, name]} → {new.loc[index, name]}"
    rows.insert(0, CHANGE_COLUMN, [ROW_LABELS[kind] for kind in shown_kinds])
    rows = rows.reset_index(level=1, drop=True).reset_index()[[CHANGE_COLUMN, *columns]]

    def styles(frame: pd.DataFrame) -> pd.DataFrame:
        css = pd.DataFrame(
            [[ROW_STYLES[kind]] * len(frame.columns) for kind in shown_kinds], columns=frame.columns
        )
        css[columns] = css[columns].mask(cells.to_numpy(), CHANGED_CELL)
        return css.set_axis(frame.index)

    return rows.style.apply(styles, axis=None).hide(axis="index").set_caption(_legend(kinds, shown_kinds))


def _by_occurrence(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows indexed by (key, how many rows with that key came before): repeated keys stay apart."""
    return frame.set_index([key, frame.groupby(key).cumcount().rename("occurrence")])


def _rows_to_show(kinds: pd.Series, unchanged: int | None, limit: int) -> pd.Series:
    changed = kinds[kinds != "unchanged"].iloc[:limit]
    kept = kinds[kinds == "unchanged"]
    if unchanged is not None:
        kept = kept.iloc[:unchanged]
    return pd.concat([changed, kept]).sort_index()


def _legend(kinds: pd.Series, shown: pd.Series) -> str:
    """The caption: each kind's colour and count, then which rows were left out, in both languages."""
    counts = kinds.value_counts()
    swatches = " ".join(
        f'<span style="{ROW_STYLES[kind]}; padding: 0 0.4em">{ROW_LABELS[kind]} {counts.get(kind, 0)}</span>'
        for kind in ("inserted", "deleted", "changed")
    )
    swatches += f" · 그대로 (unchanged) {counts.get('unchanged', 0)}"
    if len(shown) == len(kinds):
        return swatches
    changed_total, changed_shown = (kinds != "unchanged").sum(), (shown != "unchanged").sum()
    kept = (shown == "unchanged").sum()
    if changed_shown == changed_total:
        changed_ko, changed_en = f"바뀐 행 {changed_total}행 전부", f"all {changed_total} changed"
    else:
        changed_ko = f"바뀐 행 {changed_total}행 중 처음 {changed_shown}행"
        changed_en = f"the first {changed_shown} of {changed_total} changed"
    note = say(
        f"전체 {len(kinds)}행 중 {len(shown)}행만 보여 줍니다({changed_ko}, 그대로인 행 {kept}행).",
        f"showing {len(shown)} of {len(kinds)} rows ({changed_en}, {kept} unchanged).",
    )
    return swatches + "<br>" + note.replace("\n", "<br>")


def snippet(path: str, name: str) -> str:
    """The code between ``# [START name]`` and ``# [END name]`` in a file of the repository."""
    lines = (REPO_ROOT / path).read_text().splitlines()
    marks = [line.strip() for line in lines]
    try:
        start = marks.index(f"# [START {name}]")
        end = marks.index(f"# [END {name}]", start)
    except ValueError:
        raise ValueError(
            say(f"{path}에 {name!r} 코드 조각이 없습니다.", f"{path} has no snippet {name!r}")
        ) from None
    body = [line for line in lines[start + 1 : end] if not line.strip().startswith("# [")]
    indent = min(len(line) - len(line.lstrip()) for line in body if line.strip())
    return "\n".join(line[indent:] for line in body)
