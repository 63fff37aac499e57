"""Draw the lessons' pictures (notebooks/images/diagrams/*.png) from their text source, tools/diagrams.yaml.

    .venv/bin/python tools/diagrams.py            # re-draw every picture into notebooks/images/diagrams/
    .venv/bin/python tools/diagrams.py --out DIR  # into DIR instead (tests/test_diagrams.py compares)

Offline, with matplotlib only. The same source gives the same bytes on every run: fixed sizes and DPI, no
timestamp or software version in the PNG. A PNG in the folder that the source no longer names is removed,
so the folder holds exactly the pictures of the source.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tools/ is a folder of scripts, not a package

import drawing
from drawing import INK, LINE, MONO, MUTED, arrow, box, code_lines, table, two_lines

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path(__file__).resolve().with_suffix(".yaml")
OUT_DIR = REPO_ROOT / "notebooks" / "images" / "diagrams"
SAVE_DPI = 150  # 1.5 x the layout: sharp when a notebook or GitHub scales it to its width
MARGIN = 20
# Without these, matplotlib writes its version into each PNG, which would change the bytes on an upgrade.
PNG_METADATA = {"Software": None}


def title(ax, text: dict) -> float:
    ax.text(MARGIN, 16, text["ko"], ha="left", va="top", fontsize=15, weight="bold", color=INK)
    ax.text(MARGIN, 44, text["en"], ha="left", va="top", fontsize=11, color=MUTED)
    return 76


def note(ax, x, y, text: dict, ha: str) -> None:
    """A few lines of Korean, then their English in grey, under a box."""
    for line in text["ko"]:
        ax.text(x, y, line, ha=ha, va="top", fontsize=9.5, color=INK)
        y += 16
    for line in text["en"]:
        ax.text(x, y, line, ha=ha, va="top", fontsize=8.5, color=MUTED)
        y += 14


def draw_pipeline(spec: dict):
    store_width, operator_width, gap = 200, 200, 34
    widths = [store_width if stage["kind"] == "store" else operator_width for stage in spec["stages"]]
    width = sum(widths) + gap * (len(widths) - 1) + 2 * MARGIN
    row_height = 136
    fig, ax = drawing.canvas(width, 76 + 64 + row_height + 22 + 96 + 60)
    top = title(ax, spec["title"])
    lefts = [MARGIN + sum(widths[:i]) + gap * i for i in range(len(widths))]
    operators = [i for i, stage in enumerate(spec["stages"]) if stage["kind"] == "operator"]
    # The DAG around its operators: a dashed frame from the first operator to the last.
    frame_left = lefts[operators[0]] - 8
    frame_right = lefts[operators[-1]] + operator_width + 8
    row_top = top + 64
    frame_bottom = row_top + row_height + 10
    box(
        ax,
        frame_left,
        top + 4,
        frame_right - frame_left,
        frame_bottom - top - 4,
        "#f4fbfc",
        "#017cee",
        dashed=True,
    )
    ax.text(
        (frame_left + frame_right) / 2,
        top + 14,
        f"{spec['dag']['ko']}",
        ha="center",
        va="top",
        fontsize=10.5,
        weight="bold",
        color="#015a9c",
    )
    ax.text(
        (frame_left + frame_right) / 2,
        top + 32,
        spec["dag"]["en"],
        ha="center",
        va="top",
        fontsize=9,
        color=MUTED,
    )
    for stage, left, stage_width in zip(spec["stages"], lefts, widths, strict=True):
        centre = left + stage_width / 2
        if stage["kind"] == "store":
            box(ax, left, row_top, stage_width, row_height, "#eef2f7", "#334e68")
            y = two_lines(ax, centre, row_top + 14, stage, size=11.5)
            code_lines(ax, centre, y + 4, stage["code"], size=10, color="#102a43")
        else:
            box(ax, left, row_top + 6, stage_width, row_height - 12, "#ffffff", "#017cee", radius=16)
            ax.text(
                centre,
                row_top + 18,
                stage["name"],
                ha="center",
                va="top",
                fontsize=10,
                family=MONO,
                weight="bold",
                color="#015a9c",
            )
            y = two_lines(ax, centre, row_top + 42, stage, size=10)
            code_lines(ax, centre, y, stage["code"], size=9, color="#334e68")
    for left, stage_width, next_left in zip(lefts, widths, lefts[1:], strict=False):
        middle = row_top + row_height / 2
        arrow(ax, (left + stage_width + 2, middle), (next_left - 2, middle), color="#334e68")
    notes_top = frame_bottom + 12
    for index, (stage, left, stage_width) in enumerate(zip(spec["stages"], lefts, widths, strict=True)):
        if "note" in stage:
            last = index == len(widths) - 1
            x, ha = (left + stage_width, "right") if last else (left + stage_width / 2, "center")
            note(ax, x, notes_top, stage["note"], ha)
    footer_top = notes_top + 96
    box(ax, MARGIN, footer_top, width - 2 * MARGIN, 40, "#fff8e6", "#d9a400", radius=8)
    ax.text(
        width / 2,
        footer_top + 20,
        drawing.side_by_side(spec["footer"]),
        ha="center",
        va="center",
        fontsize=10.5,
        color=INK,
    )
    return fig


def gap_width(gap: dict) -> float:
    if "sign" in gap:
        return 60
    return max(len(line) for line in gap["sql"]) * 9 * 0.602 * drawing.LAYOUT_DPI / 72 + 60


def draw_table_change(spec: dict):
    for panel in spec["panels"]:
        panel.setdefault("columns", spec["columns"])
    widths = drawing.column_widths([(panel["columns"], panel["rows"]) for panel in spec["panels"]])
    panel_widths = [sum(widths[name] for name in panel["columns"]) for panel in spec["panels"]]
    gaps = [gap_width(gap) for gap in spec["gaps"]]
    width = sum(panel_widths) + sum(gaps) + 2 * MARGIN
    longest = max(len(panel["rows"]) for panel in spec["panels"])
    table_top = 76 + 58 + 48  # under the title, a two-line heading, the table's name and its source
    table_bottom = table_top + drawing.ROW_HEIGHT * (longest + 1)
    height = table_bottom + 40 + 34 * len(spec["steps"]) + MARGIN
    fig, ax = drawing.canvas(max(width, 760), height)
    title(ax, spec["title"])
    left = MARGIN
    for index, panel in enumerate(spec["panels"]):
        centre = left + panel_widths[index] / 2
        y = two_lines(ax, centre, 84, panel["heading"], size=11.5)
        ax.text(
            centre,
            y + 2,
            panel["table"],
            ha="center",
            va="top",
            fontsize=10.5,
            family=MONO,
            weight="bold",
            color="#334e68",
        )
        code_lines(ax, centre, y + 22, panel.get("source", []), size=8, color=MUTED)
        table(
            ax, left, table_top, panel["columns"], panel["rows"], [widths[name] for name in panel["columns"]]
        )
        left += panel_widths[index]
        if index < len(spec["gaps"]):
            gap, gap_left = spec["gaps"][index], left
            middle_y = table_top + drawing.ROW_HEIGHT * (1 + longest / 2)
            if "sign" in gap:
                ax.text(
                    gap_left + gaps[index] / 2,
                    middle_y,
                    gap["sign"],
                    ha="center",
                    va="center",
                    fontsize=26,
                    weight="bold",
                    color="#334e68",
                )
            else:
                sql_top = table_top + 4
                code_lines(ax, gap_left + gaps[index] / 2, sql_top, gap["sql"], 9, "block", "#102a43")
                arrow_y = sql_top + 9 * 1.6 * len(gap["sql"]) + 14
                arrow(ax, (gap_left + 12, arrow_y), (gap_left + gaps[index] - 12, arrow_y), color="#334e68")
            left += gaps[index]
    states = sorted(
        {state for panel in spec["panels"] for _, state in panel["rows"]}, key=list(drawing.ROW_STATES).index
    )
    drawing.legend(ax, MARGIN, table_bottom + 14, states)
    y = table_bottom + 46
    for number, step in enumerate(spec["steps"], start=1):
        ax.text(MARGIN, y, f"{number}. {step['ko']}", ha="left", va="top", fontsize=10.5, color=INK)
        ax.text(MARGIN + 16, y + 17, step["en"], ha="left", va="top", fontsize=9, color=MUTED)
        y += 34
    return fig


RUN_COLOURS = ("#2b6cb0", "#dd6b20")  # day 1, day 2: a run's bars and its file on the key share a colour
TASK_LABELS = {"export": "내보내기 (export)", "copy": "COPY"}


def day_names(day: str) -> tuple[str, str]:
    """'2024-01-02' as the Korean and the English reader say it: ('1월 2일', 'Jan 2')."""
    _, month, dom = (int(part) for part in day.split("-"))
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{month}월 {dom}일", f"{months[month - 1]} {dom}"


def files_read(tasks) -> dict[int, int]:
    """For each run, whose file its COPY found on the shared key: the last export finished before it."""
    exports = sorted((end, run) for run, task, _, end in tasks if task == "export")
    read = {}
    for run, task, start, _ in tasks:
        if task == "copy":
            written = [writer for end, writer in exports if end <= start]
            if not written:
                raise ValueError(f"run {run}'s COPY starts at {start}, before any export has written the key")
            read[run] = written[-1]
    return read


def draw_overlap(spec: dict):
    width, lane, label_width, result_width = 1000, 46, 160, 240
    time_left, time_right = MARGIN + label_width, width - MARGIN - result_width - 20
    key_drop = 24  # room between the runs and the key for the arrows of what each COPY reads
    scenario_height = 58 + 3 * lane + key_drop + 36
    height = 76 + 30 + scenario_height * len(spec["scenarios"]) + 44
    fig, ax = drawing.canvas(width, height)
    top = title(ax, spec["title"])
    ax.text(MARGIN, top - 4, f"{spec['key']}", ha="left", va="top", fontsize=10, family=MONO, color="#334e68")
    top += 26
    days = [day_names(day) for day in spec["days"]]
    horizon = max(end for scenario in spec["scenarios"] for *_, end in scenario["tasks"])
    scale = (time_right - time_left) / horizon

    def x(t: float) -> float:
        return time_left + t * scale

    for scenario in spec["scenarios"]:
        box(ax, MARGIN - 8, top - 6, width - 2 * MARGIN + 16, scenario_height - 8, "#fbfcfd", "#d9e2ec")
        ax.text(
            MARGIN,
            top + 2,
            drawing.side_by_side(scenario["heading"]),
            ha="left",
            va="top",
            fontsize=11.5,
            weight="bold",
            color=INK,
        )
        lanes_top = top + 34
        lane_names = [
            (f"{ko} 실행", f"run for {day}") for (ko, _), day in zip(days, spec["days"], strict=True)
        ]
        lane_names.append(("공유 S3 키", "the one shared key"))
        for index, (ko, en) in enumerate(lane_names):
            y = lanes_top + index * lane + (key_drop if index == len(days) else 0)
            ax.text(MARGIN, y + 6, ko, ha="left", va="top", fontsize=10, color=INK)
            ax.text(MARGIN, y + 21, en, ha="left", va="top", fontsize=8.5, color=MUTED)
        for run, task, start, end in scenario["tasks"]:
            y = lanes_top + run * lane + 5
            bar = (end - start) * scale - 4  # a sliver between a run's two tasks
            box(ax, x(start) + 2, y, bar, lane - 10, RUN_COLOURS[run], RUN_COLOURS[run], radius=5)
            ax.text(
                x((start + end) / 2),
                y + (lane - 10) / 2,
                TASK_LABELS[task],
                ha="center",
                va="center",
                fontsize=9.5,
                color="white",
                weight="bold",
            )
        key_y = lanes_top + len(days) * lane + key_drop + 5
        exports = sorted((end, run) for run, task, _, end in scenario["tasks"] if task == "export")
        for (end, run), following in zip(exports, [*exports[1:], (horizon, None)], strict=True):
            segment = (following[0] - end) * scale - 4
            box(ax, x(end) + 2, key_y, segment, lane - 10, "white", RUN_COLOURS[run], radius=5)
            ko, en = days[run]
            middle = x((end + following[0]) / 2)
            ax.text(
                middle, key_y + 4, f"{ko} 파일", ha="center", va="top", fontsize=9, color=RUN_COLOURS[run]
            )
            ax.text(
                middle,
                key_y + 20,
                f"{en}'s file",
                ha="center",
                va="top",
                fontsize=7.5,
                color=RUN_COLOURS[run],
            )
        read = files_read(scenario["tasks"])
        for run, task, start, _ in scenario["tasks"]:
            if task == "copy":
                colour = RUN_COLOURS[read[run]]
                bar_bottom = lanes_top + run * lane + lane - 5
                arrow(ax, (x(start) + 10, key_y), (x(start) + 10, bar_bottom), colour, 1.6)
        for run in range(len(days)):
            y = lanes_top + run * lane + 5
            loaded = read[run] == run
            state = drawing.ROW_STATES["inserted" if loaded else "deleted"]
            ko, en = days[run]
            text = f"{ko}: 적재됨 ({en}: loaded)"
            if not loaded:
                other_ko, other_en = days[read[run]]
                text = f"{ko}: 0행, {other_ko} 파일을 읽음\n({en}: 0 rows, read {other_en}'s file)"
            box(ax, width - MARGIN - result_width, y, result_width, lane - 8, state.fill, state.ink, radius=5)
            ax.text(
                width - MARGIN - result_width / 2,
                y + (lane - 8) / 2,
                text,
                ha="center",
                va="center",
                fontsize=8.5,
                color=state.ink,
                linespacing=1.2,
            )
        arrow(ax, (time_left, key_y + lane), (time_right, key_y + lane), LINE, 1.2)
        ax.text(time_right, key_y + lane + 4, "시간 (time)", ha="right", va="top", fontsize=8.5, color=MUTED)
        top += scenario_height
    ax.text(MARGIN, top + 6, spec["footer"]["ko"], ha="left", va="top", fontsize=10.5, color=INK)
    ax.text(MARGIN, top + 24, spec["footer"]["en"], ha="left", va="top", fontsize=9, color=MUTED)
    return fig


DRAWERS = {"pipeline": draw_pipeline, "table_change": draw_table_change, "overlap": draw_overlap}


def load(source: Path = SOURCE) -> dict[str, dict]:
    """The pictures the source describes, by name; a clear error for an unknown kind."""
    pictures = yaml.safe_load(source.read_text())
    for name, spec in pictures.items():
        if spec.get("kind") not in DRAWERS:
            raise ValueError(
                f"{source.name}: {name} has kind {spec.get('kind')!r}; known: {', '.join(DRAWERS)}"
            )
    return pictures


def draw_all(out_dir: Path, source: Path = SOURCE) -> list[Path]:
    """Draw every picture of ``source`` into ``out_dir``; remove the PNGs there that it no longer names."""
    pictures = load(source)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, spec in pictures.items():
        fig = DRAWERS[spec["kind"]](spec)
        path = out_dir / f"{name}.png"
        fig.savefig(path, dpi=SAVE_DPI, metadata=PNG_METADATA)
        drawing.plt.close(fig)
        written.append(path)
    for stale in set(out_dir.glob("*.png")) - set(written):
        stale.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"folder for the PNGs (default {OUT_DIR})")
    args = parser.parse_args(argv)
    for path in draw_all(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
