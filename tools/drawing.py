"""The few things every diagram is made of, on a canvas measured in pixels: boxes, two-language labels,
tables whose rows are coloured by what a load did to them, arrows and a legend.

A canvas unit is one pixel at LAYOUT_DPI; tools/diagrams.py saves at a higher DPI for sharp text.
"""

from __future__ import annotations

from dataclasses import dataclass

import koreanize_matplotlib  # noqa: F401  (sets NanumGothic, which has Hangul, as matplotlib's font)
import matplotlib

matplotlib.use("Agg")  # no display, and the same pixels on every machine with the same fonts
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

LAYOUT_DPI = 100
MONO = "DejaVu Sans Mono"  # ships with matplotlib: SQL and table names stay as the code writes them
INK = "#1f2933"
MUTED = "#66788a"
LINE = "#9aa5b1"


@dataclass(frozen=True)
class RowState:
    """How a table row is drawn, and what the legend calls it."""

    fill: str
    ink: str
    ko: str
    en: str
    struck: bool = False


ROW_STATES = {
    "kept": RowState("#ffffff", INK, "그대로", "kept"),
    "deleted": RowState("#fde2e1", "#b42318", "삭제", "deleted", struck=True),
    "inserted": RowState("#dcfce7", "#166534", "삽입", "inserted"),
    "batch": RowState("#e0ecff", "#1e429f", "이번 배치", "the day's batch"),
    "dropped": RowState("#eef0f2", "#8a949e", "버림", "dropped", struck=True),
}
ROW_HEIGHT = 26
CELL_PAD = 10
# One DejaVu Sans Mono character is 0.602 em wide: at 10.5 pt, this many canvas units.
MONO_CHAR = 10.5 * 0.602 * LAYOUT_DPI / 72


def canvas(width: float, height: float):
    """A white figure of ``width`` x ``height`` units with y growing downwards, as on a screen."""
    fig = plt.figure(figsize=(width / LAYOUT_DPI, height / LAYOUT_DPI), dpi=LAYOUT_DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    return fig, ax


def two_lines(ax, x, y, text: dict, size: float = 11, ha: str = "center", bold: bool = True) -> float:
    """Korean on one line, its English below in grey; returns the y under the English."""
    ax.text(x, y, text["ko"], ha=ha, va="top", fontsize=size, color=INK, weight="bold" if bold else "normal")
    y += size * 1.75
    ax.text(x, y, text["en"], ha=ha, va="top", fontsize=size * 0.85, color=MUTED)
    return y + size * 1.5


def side_by_side(text: dict) -> str:
    """'한국어 (English)' on one line."""
    return f"{text['ko']} ({text['en']})"


def box(ax, x, y, width, height, fill: str, edge: str, radius: float = 10, dashed: bool = False) -> None:
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            width,
            height,
            boxstyle=f"round,pad=0,rounding_size={radius}",
            facecolor=fill,
            edgecolor=edge,
            linewidth=1.6,
            linestyle=(0, (4, 3)) if dashed else "solid",
        )
    )


def arrow(ax, start, end, color: str = MUTED, width: float = 2.2) -> None:
    ax.add_patch(
        FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=18, color=color, linewidth=width)
    )


def code_lines(ax, x, y, lines, size: float = 10, ha: str = "center", color: str = INK) -> float:
    """Lines of code in the monospace font, centred on x; returns the y under the last one.
    ha="block" centres the block and left-aligns its lines, keeping SQL's indentation."""
    if ha == "block":
        x -= max(len(line) for line in lines) * size * 0.602 * LAYOUT_DPI / 72 / 2
        ha = "left"
    for line in lines:
        ax.text(x, y, line, ha=ha, va="top", fontsize=size, family=MONO, color=color)
        y += size * 1.6
    return y


def column_widths(tables) -> dict[str, float]:
    """Each column, by name, as wide as its longest cell or header in any of ``tables`` ((columns, rows)
    pairs), so that a row keeps its shape from one table to the next."""
    longest: dict[str, int] = {}
    for columns, rows in tables:
        for index, name in enumerate(columns):
            cells = [len(cell_text(cells[index])) for cells, _ in rows]
            longest[name] = max(longest.get(name, 0), len(name), *cells)
    return {name: length * MONO_CHAR + 2 * CELL_PAD for name, length in longest.items()}


def cell_text(cell) -> str:
    return "" if cell is None else str(cell)


def table(ax, x, y, columns, rows, widths) -> float:
    """A table with a header row and each row coloured by its state; returns the y under it."""
    total = sum(widths)
    ax.add_patch(Rectangle((x, y), total, ROW_HEIGHT, facecolor="#334e68", edgecolor="#334e68"))
    left = x
    for name, width in zip(columns, widths, strict=True):
        ax.text(
            left + width / 2,
            y + ROW_HEIGHT / 2,
            name,
            ha="center",
            va="center",
            fontsize=10.5,
            family=MONO,
            color="white",
            weight="bold",
        )
        left += width
    y += ROW_HEIGHT
    for cells, state_name in rows:
        state = ROW_STATES[state_name]
        ax.add_patch(
            Rectangle((x, y), total, ROW_HEIGHT, facecolor=state.fill, edgecolor=LINE, linewidth=0.8)
        )
        left = x
        for cell, width in zip(cells, widths, strict=True):
            ax.text(
                left + width / 2,
                y + ROW_HEIGHT / 2,
                cell_text(cell),
                ha="center",
                va="center",
                fontsize=10.5,
                family=MONO,
                color=state.ink,
            )
            left += width
        if state.struck:
            ax.plot([x + 6, x + total - 6], [y + ROW_HEIGHT / 2] * 2, color=state.ink, linewidth=1.3)
        y += ROW_HEIGHT
    return y


def legend(ax, x, y, state_names) -> None:
    """A swatch and '한국어 (English)' for each state, in one row starting at x."""
    for name in state_names:
        state = ROW_STATES[name]
        ax.add_patch(Rectangle((x, y), 22, 16, facecolor=state.fill, edgecolor=state.ink, linewidth=1.2))
        label = ax.text(
            x + 30, y + 8, f"{state.ko} ({state.en})", ha="left", va="center", fontsize=10, color=INK
        )
        x += 30 + text_width(ax, label) + 24


def text_width(ax, artist) -> float:
    """How wide a drawn text is, in canvas units (one unit is one pixel at LAYOUT_DPI)."""
    return artist.get_window_extent(renderer=ax.figure.canvas.get_renderer()).width
