"""A whole mock interview in the terminal: the real console adapter over the core, with the
clock in the test's hands (the terminal has no timer: a late answer counts as timed out)."""

import io

from bot.adapters.console import ConsoleAdapter
from bot.core.catalog import Catalog
from bot.core.handler import Core
from bot.core.srs import make_scheduler


def terminal(core: Core) -> tuple[ConsoleAdapter, io.StringIO]:
    out = io.StringIO()
    return ConsoleAdapter(core, stdin=io.StringIO(), stdout=out, interactive=False), out


async def typed(console: ConsoleAdapter, out: io.StringIO, *lines: str) -> str:
    start = out.tell()
    for line in lines:
        await console.handle_line(line)
    return out.getvalue()[start:]


async def test_a_round_in_the_terminal_shows_time_taken_and_a_late_answer_times_out(core, clock):
    console, out = terminal(core)
    shown = await typed(console, out, "/interview 3 gil")
    assert "**Mock interview**: 3 questions, 60 s each" in shown
    assert "Mock interview · question 1 of 3 · 60 s, until 09:01:00 UTC" in shown
    assert "What does the GIL allow?" in shown and "Type the number of your answer." in shown

    clock.advance(seconds=12)
    shown = await typed(console, out, "2")
    assert "Answered in 12 s." in shown
    assert "Right!" not in shown
    assert "question 2 of 3 · 60 s, until 09:01:12 UTC" in shown
    assert "Do threads help an I/O-bound program?" in shown

    clock.advance(seconds=90)
    shown = await typed(console, out, "1")
    assert "⏱ 90 s: over the 60 s limit, counted as timed out." in shown
    assert "When does a thread release the GIL?" in shown and "[a] Show answer" in shown

    clock.advance(seconds=20)
    shown = await typed(console, out, "a")
    assert "switch interval" in shown and "[a] Again  [b] Hard  [c] Good  [d] Easy" in shown
    shown = await typed(console, out, "c")
    assert "You rated it **Good** (answer shown after 20 s)." in shown
    assert "**Mock interview: 2 of 3 right** (67%)" in shown
    assert "1. ✅ The GIL (mid) · 12 s" in shown
    assert "2. ⏱ The GIL (senior) · timed out" in shown
    assert "3. ✅ The GIL (mid) · rated Good · 20 s" in shown
    assert "**Answer:** Yes, the GIL is released while waiting." in shown
    assert "[a] Study The GIL" in shown

    shown = await typed(console, out, "/stats")
    assert "Last mock interviews: 2/3 on 02 Mar" in shown


async def test_a_round_survives_a_restart_of_the_terminal(core, db, clock):
    console, out = terminal(core)
    await typed(console, out, "/interview 2 gil", "2")

    restarted = Core(db, Catalog(), clock=clock, scheduler=make_scheduler(fuzzing=False))
    await restarted.load_topics()
    console, out = terminal(restarted)
    clock.advance(seconds=5)
    shown = await typed(console, out, "/interview")
    assert "A round is on: question 2 of 2." in shown
    assert "Do threads help an I/O-bound program?" in shown
    shown = await typed(console, out, "1")
    assert "**Mock interview: 2 of 2 right**" in shown


async def test_stop_in_the_terminal_gives_a_partial_scorecard(core, clock):
    console, out = terminal(core)
    await typed(console, out, "/interview gil", "2")
    shown = await typed(console, out, "/interview stop")
    assert "This round is over." in shown
    assert "stopped early after 1 of 3 questions" in shown
    shown = await typed(console, out, "1")
    assert "I answer commands" in shown  # the number no longer answers anything
