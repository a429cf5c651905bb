import io
from datetime import UTC, date, datetime, timedelta

import numpy as np
from PIL import Image

from bot.charts import (
    HEIGHT_PX,
    WIDTH_PX,
    calendar_grid,
    draw_progress,
    progress_figure,
    progress_png,
)
from bot.core.progress_data import CardHold, ProgressData, TopicHold, build_progress_data

TODAY = date(2026, 3, 5)  # a Thursday


def history() -> ProgressData:
    answers = {TODAY: 4, TODAY - timedelta(days=1): 1, TODAY - timedelta(days=83): 2}
    cards = [
        CardHold("The GIL", 0.95, datetime(2026, 3, 5, 12, tzinfo=UTC)),
        CardHold("Celery", 0.5, datetime(2026, 3, 7, 12, tzinfo=UTC)),
        CardHold("Celery", 0.7, datetime(2026, 3, 7, 13, tzinfo=UTC)),
    ]
    return build_progress_data(TODAY, None, answers, cards)


def axes_by_gid(figure):
    return {axes.get_gid(): axes for axes in figure.axes}


def labels_top_down(axes) -> list[str]:
    labels = sorted(axes.get_yticklabels(), key=lambda label: -label.get_position()[1])
    return [label.get_text() for label in labels]


def test_picture_is_a_png_of_the_expected_size_described_by_its_data():
    data = history()
    with Image.open(io.BytesIO(draw_progress(data))) as picture:
        assert (picture.format, picture.size) == ("PNG", (WIDTH_PX, HEIGHT_PX))
        assert picture.info["Description"] == data.summary()
    assert data.summary().startswith("Last 12 weeks: 7 answers on 3 days.")


def test_calendar_shows_each_days_answers_on_its_weekday():
    data = history()
    image = axes_by_gid(progress_figure(data))["calendar"].images[0]
    shown = image.get_array()
    assert shown.shape == (7, 13)  # 12 weeks that do not start on a Monday span 13 columns
    assert shown.sum() == sum(data.answers) == 7
    assert shown[TODAY.weekday(), -1] == 4 and shown[TODAY.weekday() - 1, -1] == 1
    first = TODAY - timedelta(days=83)
    assert shown[first.weekday(), 0] == 2
    assert shown.mask[TODAY.weekday() + 1, -1]  # tomorrow is not part of it
    expected = np.ma.masked_invalid(np.array(calendar_grid(data), dtype=float))
    assert (shown == expected).all()


def test_topic_bars_show_retrievability_weakest_first():
    axes = axes_by_gid(progress_figure(history()))["topics"]
    bars = sorted(axes.patches, key=lambda bar: -bar.get_y())  # top to bottom
    assert [round(bar.get_width()) for bar in bars] == [60, 95]
    assert labels_top_down(axes) == ["Celery", "The GIL"]


def test_due_bars_show_the_next_14_days():
    data = history()
    axes = axes_by_gid(progress_figure(data))["due"]
    assert [bar.get_height() for bar in axes.patches] == list(data.due)
    assert data.due[0] == 1 and data.due[2] == 2
    assert axes.get_xticklabels()[0].get_text() == "Today"


def test_many_topics_show_the_weakest_and_the_strongest():
    topics = tuple(TopicHold(f"Topic {n:02d}", n / 20, 1) for n in range(20))
    data = ProgressData(TODAY, (1,) * 84, topics, (0,) * 14)
    axes = axes_by_gid(progress_figure(data))["topics"]
    assert labels_top_down(axes) == [f"Topic {n:02d}" for n in (0, 1, 2, 3, 16, 17, 18, 19)]


def test_no_history_gets_a_friendly_picture_not_an_empty_axis():
    data = build_progress_data(TODAY, None, {}, [])
    figure = progress_figure(data)
    assert figure.axes == []
    words = " ".join(text.get_text() for text in figure.texts)
    assert "Nothing here yet" in words and "/quiz" in words
    with Image.open(io.BytesIO(draw_progress(data))) as picture:
        assert picture.size == (WIDTH_PX, HEIGHT_PX)


async def test_picture_is_drawn_off_the_event_loop(monkeypatch):
    import threading

    from bot import charts

    threads: list[threading.Thread] = []
    draw = charts.draw_progress

    def drawing_where(data: ProgressData) -> bytes:
        threads.append(threading.current_thread())
        return draw(data)

    monkeypatch.setattr(charts, "draw_progress", drawing_where)
    png = await progress_png(history())
    assert png is not None and png.startswith(b"\x89PNG")
    assert threads and threads[0] is not threading.main_thread()
