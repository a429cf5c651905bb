"""Draws the README's example /stats picture from a generated history.

A made-up learner spends 12 weeks with the real bot: on most days a few `/quiz <topic>` rounds
through `Core.handle` on a throwaway SQLite database with the bundled bank, answering choice
questions right as often as their skill in the topic says and rating cards the same way, with
the clock moving on between answers. Then `/stats`, and the picture the bot would send.

    uv run python scripts/stats_example.py                  # writes docs/stats-example.png
    uv run python scripts/stats_example.py /tmp/mine.png --days 30 --seed 7
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from bot.app import load_content, open_store
from bot.charts import draw_progress
from bot.config import load_settings
from bot.core import actions
from bot.core.catalog import Catalog
from bot.core.events import ButtonPress, ChatRef, Command, PersonRef
from bot.core.handler import Core
from bot.core.replies import CardPrompt, ChoicePrompt, Message
from bot.core.srs import Recall, make_scheduler
from bot.store import queries

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "stats-example.png"
LEARNER = PersonRef("example", "learner", "Example learner")
CHAT = ChatRef("example", "learner", can_push=False)
TOPICS_STUDIED = 12


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


async def generate(output: Path, *, days: int, today: date, seed: int) -> str:
    """Plays `days` days of a learner ending on `today`; writes the picture, returns its
    summary."""
    chance = random.Random(seed)
    clock = Clock(datetime.combine(today - timedelta(days=days - 1), time(8), UTC))
    with tempfile.TemporaryDirectory(prefix="revision-example-") as directory:
        settings = load_settings(database_url=f"sqlite:///{Path(directory) / 'example.db'}")
        db = await open_store(settings)
        try:
            await load_content(settings, db)
            core = Core(db, Catalog(), clock=clock, scheduler=make_scheduler(fuzzing=False))
            await core.load_topics()
            topics = [topic.id for topic in await db.read(queries.active_topics)]
            studied = chance.sample(topics, min(TOPICS_STUDIED, len(topics)))
            skill = {topic: chance.uniform(0.45, 0.95) for topic in studied}
            for day in range(days):
                start = datetime.combine(clock.now.date(), time(8), UTC)
                clock.now = start + timedelta(hours=chance.uniform(0, 12))
                weekend = clock.now.weekday() >= 5
                if chance.random() < (0.45 if weekend else 0.8):
                    # Later weeks are busier: the habit grows.
                    rounds = chance.randint(1, 4 + 8 * day // max(days, 1))
                    for _ in range(rounds):
                        await _one_round(core, chance, skill, clock)
                clock.now = start + timedelta(days=1)
            clock.now = datetime.combine(today, time(20), UTC)
            (reply,) = await core.handle(Command(LEARNER, CHAT, "stats", ""))
        finally:
            await db.dispose()
    assert isinstance(reply, Message) and reply.picture is not None
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(draw_progress(reply.picture))
    return reply.picture.summary()


async def _one_round(
    core: Core, chance: random.Random, skill: dict[str, float], clock: Clock
) -> None:
    topic = chance.choice(list(skill))
    replies = await core.handle(Command(LEARNER, CHAT, "quiz", topic))
    question = next((r for r in replies if isinstance(r, ChoicePrompt | CardPrompt)), None)
    clock.now += timedelta(minutes=chance.uniform(0.5, 3))
    if isinstance(question, ChoicePrompt):
        right = chance.random() < skill[topic]
        option = (
            question.correct_index
            if right
            else (question.correct_index + 1) % len(question.options)
        )
        await core.handle(ButtonPress(LEARNER, CHAT, actions.answer(question.ask_id, option)))
    elif isinstance(question, CardPrompt):
        await core.handle(ButtonPress(LEARNER, CHAT, actions.reveal(question.ask_id)))
        recall = Recall.GOOD if chance.random() < skill[topic] else Recall.AGAIN
        await core.handle(ButtonPress(LEARNER, CHAT, actions.rate(question.ask_id, recall)))
    # Every answer teaches a little.
    skill[topic] = min(0.97, skill[topic] + 0.01)
    clock.now += timedelta(minutes=chance.uniform(0.5, 3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--days", type=int, default=84, help="how long the history is")
    parser.add_argument(
        "--today", type=date.fromisoformat, default=date(2026, 11, 27), help="its last day"
    )
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    summary = asyncio.run(generate(args.output, days=args.days, today=args.today, seed=args.seed))
    print(f"{args.output}: {summary}")


if __name__ == "__main__":
    main()
