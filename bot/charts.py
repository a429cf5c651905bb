"""The /stats picture: a calendar of answers over 12 weeks, how well each topic is held now, and
the reviews due over the next 14 days, as a 1200x1500 PNG.

Drawn on matplotlib's Agg canvas from a `Figure` of its own (never pyplot, whose global state is
not safe across threads), so it needs no display and can run in a worker thread. Colours sit on
a solid dark card that reads the same in light and dark mode. matplotlib is imported when the
first picture is drawn, not when this module is.
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.core.progress_data import DAYS_AHEAD, HISTORY_WEEKS, ProgressData, counted

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "DPI",
    "HEIGHT_PX",
    "WIDTH_PX",
    "calendar_grid",
    "draw_progress",
    "progress_figure",
    "progress_png",
]

log = logging.getLogger(__name__)

WIDTH_PX, HEIGHT_PX = 1200, 1500
DPI = 200
BACKGROUND = "#161b22"
EMPTY_CELL = "#262c36"
TEXT = "#e6edf3"
MUTED = "#9aa4ae"
HEAT = ("#0e4429", "#006d32", "#26a641", "#39d353", "#8ff0a4")  # few answers -> many
WEAK, MIDDLING, STRONG = "#f47067", "#e0a33a", "#3fb950"
DUE = "#6cb6ff"
_WEEKDAYS = ("Mon", "", "Wed", "", "Fri", "", "Sun")
_TITLE_WIDTH = 24
# matplotlib keeps caches shared between figures (fonts, text layout) that it does not promise
# to guard: one picture at a time, each well under a second.
_DRAWING = threading.Lock()
_LEFT = 0.06  # where titles start, as a fraction of the width


async def progress_png(data: ProgressData) -> bytes | None:
    """The picture, drawn in a worker thread; None (logged) when drawing failed, so the
    numbers still go out."""
    try:
        return await asyncio.to_thread(draw_progress, data)
    except Exception:
        log.exception("could not draw the progress picture")
        return None


def draw_progress(data: ProgressData) -> bytes:
    """The picture as PNG bytes, with its summary as the PNG's Description."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    with _DRAWING:
        figure = progress_figure(data)
        FigureCanvasAgg(figure)
        figure.savefig(
            buffer,
            format="png",
            dpi=DPI,
            facecolor=BACKGROUND,
            metadata={"Title": "Your revision progress", "Description": data.summary()},
        )
    return buffer.getvalue()


def progress_figure(data: ProgressData) -> Figure:
    """The picture as a matplotlib Figure; each panel's axes carries a gid (calendar, topics,
    due) so tests can read back the data it shows."""
    from matplotlib.figure import Figure

    figure = Figure(
        figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor=BACKGROUND, layout=None
    )
    if data.is_empty:
        _draw_welcome(figure)
        return figure
    answered = sum(data.answers)
    figure.text(_LEFT, 0.965, "Your progress", color=TEXT, fontsize=16, weight="bold", va="top")
    figure.text(
        _LEFT,
        0.925,
        f"{counted(answered, 'answer')} in the last {HISTORY_WEEKS} weeks · "
        f"{counted(sum(data.due), 'review')} due in the next {DAYS_AHEAD} days",
        color=MUTED,
        fontsize=9,
        va="top",
    )
    calendar = figure.add_axes((0.11, 0.635, 0.84, 0.22))
    topics = figure.add_axes((0.36, 0.285, 0.52, 0.27))
    due = figure.add_axes((0.08, 0.055, 0.87, 0.15))
    _draw_calendar(calendar, data)
    _draw_topics(topics, data)
    _draw_due(due, data)
    return figure


def _style(axes: Axes, title: str, gid: str) -> None:
    axes.set_gid(gid)
    axes.set_facecolor(BACKGROUND)
    # Every panel's title starts at the same left edge as the picture's title.
    box = axes.get_position()
    axes.set_title(
        title,
        color=TEXT,
        fontsize=11,
        loc="left",
        x=(_LEFT - box.x0) / box.width,
        pad=8,
        weight="bold",
    )
    axes.tick_params(colors=MUTED, labelsize=8, length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)


def calendar_grid(data: ProgressData) -> list[list[float | None]]:
    """Answers laid out as the calendar shows them: 7 rows (Monday first) by one column per
    week; None for days outside the 12 weeks."""
    days = data.days()
    start = days[0] - timedelta(days=days[0].weekday())
    columns = (days[-1] - start).days // 7 + 1
    grid: list[list[float | None]] = [[None] * columns for _ in range(7)]
    for day, count in zip(days, data.answers, strict=True):
        grid[day.weekday()][(day - start).days // 7] = float(count)
    return grid


def _draw_calendar(axes: Axes, data: ProgressData) -> None:
    import numpy as np
    from matplotlib.colors import LinearSegmentedColormap

    _style(axes, f"Answers per day, last {HISTORY_WEEKS} weeks", "calendar")
    grid = calendar_grid(data)
    values = np.ma.masked_invalid(np.array(grid, dtype=float))
    highest = max(data.answers) or 1
    # A day with no answer falls under the scale (a dim cell); days outside the 12 weeks are
    # masked (the background).
    colours = LinearSegmentedColormap.from_list("answers", HEAT).with_extremes(
        under=EMPTY_CELL, bad=BACKGROUND
    )
    axes.imshow(
        values,
        cmap=colours,
        vmin=0.5,
        vmax=max(highest, 1),
        aspect="auto",
        interpolation="nearest",
    )
    rows, columns = len(grid), len(grid[0])
    for row in range(rows):
        for column in range(columns):
            count = grid[row][column]
            if count:
                axes.text(
                    column,
                    row,
                    str(int(count)),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="#0d1117" if count / highest > 0.5 else TEXT,
                )
    axes.set_yticks(range(7), _WEEKDAYS)
    # A month is named above the first week column that starts in it (the first column: the
    # month of its first day shown).
    first = data.first_day
    start = first - timedelta(days=first.weekday())
    months: list[tuple[int, str]] = []
    for column in range(columns):
        shown = max(start + timedelta(weeks=column), first)
        name = shown.strftime("%b")
        if not months or months[-1][1] != name:
            months.append((column, name))
    axes.set_xticks([c for c, _ in months], [m for _, m in months])
    axes.set_xticks(np.arange(-0.5, columns, 1), minor=True)
    axes.set_yticks(np.arange(-0.5, 7, 1), minor=True)
    axes.grid(which="minor", color=BACKGROUND, linewidth=2.5)
    axes.tick_params(which="minor", length=0)


def _draw_topics(axes: Axes, data: ProgressData) -> None:
    _style(axes, "How well you hold each topic now", "topics")
    shown = data.shown_topics()
    if not shown:
        axes.set_axis_off()
        axes.text(0.0, 0.5, "No topic reviewed yet.", color=MUTED, fontsize=8)
        return
    values = [topic.retrievability * 100 for topic in shown]
    positions = list(range(len(shown)))[::-1]  # weakest at the top
    axes.barh(positions, values, color=[_hold_colour(v / 100) for v in values], height=0.7)
    axes.set_yticks(positions, [_short(topic.title) for topic in shown], fontsize=8, color=TEXT)
    axes.set_xlim(0, 118)  # room for the label after a full bar
    axes.set_xticks([0, 50, 100], ["0%", "50%", "100%"])
    for position, value in zip(positions, values, strict=True):
        axes.text(value + 2, position, f"{value:.0f}%", va="center", fontsize=8, color=TEXT)
    if len(shown) < len(data.topics):
        axes.set_xlabel(
            f"weakest and strongest {len(shown)} of {len(data.topics)} topics",
            color=MUTED,
            fontsize=7,
        )


def _draw_due(axes: Axes, data: ProgressData) -> None:
    _style(axes, f"Reviews due, next {DAYS_AHEAD} days", "due")
    positions = list(range(len(data.due)))
    axes.bar(positions, data.due, color=DUE, width=0.7)
    labels = ["Today"] + [
        (data.today + timedelta(days=n)).strftime("%a")[:2] if n % 2 == 0 else ""
        for n in positions[1:]
    ]
    axes.set_xticks(positions, labels)
    axes.set_yticks([])
    axes.set_ylim(0, max(max(data.due) * 1.3, 1))
    for position, count in zip(positions, data.due, strict=True):
        if count:
            axes.text(position, count, str(count), ha="center", va="bottom", fontsize=7, color=TEXT)


def _draw_welcome(figure: Figure) -> None:
    figure.text(0.5, 0.62, "Your progress", color=TEXT, fontsize=18, weight="bold", ha="center")
    figure.text(
        0.5,
        0.5,
        "Nothing here yet.\n\nAnswer a question with /quiz and this picture\n"
        "fills in: a calendar of your answers,\nhow well you hold each topic,\n"
        "and the reviews coming up.",
        color=MUTED,
        fontsize=10,
        ha="center",
        va="center",
        linespacing=1.4,
    )
    figure.text(0.5, 0.3, "/quiz", color=STRONG, fontsize=22, weight="bold", ha="center")


def _hold_colour(value: float) -> str:
    return WEAK if value < 0.7 else MIDDLING if value < 0.9 else STRONG


def _short(title: str) -> str:
    return title if len(title) <= _TITLE_WIDTH else title[: _TITLE_WIDTH - 1] + "…"
