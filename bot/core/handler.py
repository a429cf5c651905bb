"""The core's front door: one event in, a list of replies out, in one transaction."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from fsrs import Scheduler

from bot.bank.sync import bank_version
from bot.core import actions, daily, quiz, stats
from bot.core.commands import help_text, spec
from bot.core.events import ButtonPress, Command, Event, PersonRef, PollAnswer, Text
from bot.core.explain import TopicEntry, TopicIndex
from bot.core.replies import Button, Explanation, Message, Reply
from bot.core.srs import make_scheduler
from bot.core.turn import Turn
from bot.logs import bind_update
from bot.metrics import Metrics
from bot.store import queries
from bot.store.database import Database
from bot.store.models import Chat, Person, Subscription, Topic

__all__ = ["Clock", "Core", "utc_now"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

MAX_ARGUMENT = 200


def _label(event: Event) -> str:
    """A bounded label for metrics and logs: the command, or the kind of event."""
    if isinstance(event, Command):
        return event.name if spec(event.name) else "unknown"
    if isinstance(event, ButtonPress):
        parsed = actions.parse(event.action)
        return f"button:{parsed.verb}" if parsed else "button:invalid"
    if isinstance(event, PollAnswer):
        return "poll_answer"
    return "text"


def utc_now() -> datetime:
    return datetime.now(UTC)


class Core:
    """Dispatches events to the command modules; holds only shared, read-mostly state."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock = utc_now,
        scheduler: Scheduler | None = None,
        admin_ids: frozenset[str] = frozenset(),
        daily_grace: timedelta = timedelta(hours=6),
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.metrics = metrics
        self.daily_grace = daily_grace
        self.clock = clock
        self.scheduler = scheduler or make_scheduler()
        self.admin_ids = admin_ids
        self.index = TopicIndex(())
        self._bank_version: str | None = None
        # Set by the app and the server; None where unavailable (the terminal cannot broadcast).
        self.reload_content: Callable[[], Awaitable[str]] | None = None
        self.broadcast: Callable[[str], Awaitable[int]] | None = None

    async def load_topics(self) -> None:
        """(Re)build the topic index from the database."""
        async with self.db.read() as session:
            version = await bank_version(session)
            topics = await queries.active_topics(session)
            entries = [TopicEntry(t.id, t.title, tuple(t.aliases)) for t in topics]
        self.index = TopicIndex(entries)
        self._bank_version = version

    async def housekeeping(self) -> None:
        """Once a minute: forget event ids old enough that no platform will redeliver them."""
        async with self.db.write() as session:
            await queries.prune_seen(session, self.clock() - timedelta(days=2))

    async def refresh_topics(self) -> bool:
        """Reload the topic index if `content sync` (from any process) changed the bank."""
        async with self.db.read() as session:
            version = await bank_version(session)
        if version == self._bank_version:
            return False
        await self.load_topics()
        return True

    async def handle(self, event: Event) -> list[Reply]:
        label = _label(event)
        platform = event.person.platform
        chat = event.chat.chat_id if not isinstance(event, PollAnswer) else ""
        bind_update(platform, chat, label)
        started = time.perf_counter()
        try:
            replies = await self._handle(event)
        except Exception:
            if self.metrics:
                self.metrics.errors.labels(platform).inc()
            raise
        if self.metrics:
            self.metrics.updates.labels(platform, label).inc()
            self.metrics.latency.labels(platform).observe(time.perf_counter() - started)
            if label in {"poll_answer", "button:answer", "button:rate"}:
                self.metrics.answers.labels(platform, label.removeprefix("button:")).inc()
        return replies

    async def _handle(self, event: Event) -> list[Reply]:
        if isinstance(event, Command) and event.name == "reload" and self.is_admin(event.person):
            return [await self._reload()]  # the sync runs its own transactions
        async with self.db.write() as session:
            now = self.clock()
            who = event.person
            chat: Chat | None = None
            if isinstance(event, PollAnswer):
                person = await queries.ensure_person(
                    session, who.platform, who.platform_id, who.display_name, now
                )
                ask = await queries.ask_by_ref(session, event.platform_ref)
                if ask is None:
                    return []
                chat = await session.get(Chat, ask.chat_id)
            else:
                person, chat = await queries.ensure_person_and_chat(session, who, event.chat, now)
            if who.timezone and not person.timezone:
                person.timezone = who.timezone
            turn = Turn(session, person, chat, now, self.index, self.scheduler)
            return await self._dispatch(turn, event)

    async def first_time(self, key: str) -> bool:
        """True the first time a platform event id is seen; False for a redelivery."""
        async with self.db.write() as session:
            return await queries.mark_seen(session, key, self.clock())

    async def progress(self, who: PersonRef) -> stats.Progress:
        """A person's progress, for platforms that show it outside a chat (Slack's App Home)."""
        async with self.db.write() as session:
            person = await queries.ensure_person(
                session, who.platform, who.platform_id, who.display_name, self.clock()
            )
            turn = Turn(session, person, None, self.clock(), self.index, self.scheduler)
            return await stats.progress(turn)

    async def mark_unreachable(self, platform: str, chat_id: str, reason: str) -> None:
        """The platform refused for good (bot blocked, channel gone): stop pushing to the chat."""
        async with self.db.write() as session:
            await queries.pause_chat(session, platform, chat_id, reason)

    async def claim_daily(self, platforms: frozenset[str], limit: int = 200) -> list[daily.Push]:
        """Claim the daily pushes due now on these platforms (each by one process only)."""
        now = self.clock()
        async with self.db.write() as session:
            await daily.requeue_stale_claims(session, now)
        async with self.db.read() as session:
            due = await daily.due_subscription_ids(session, now, platforms, limit)
        pushes: list[daily.Push] = []
        for subscription_id in due:
            async with self.db.write() as session:
                subscription = await session.get(Subscription, subscription_id)
                if subscription is None or not subscription.active:
                    continue
                if subscription.next_push_at > now:
                    continue  # another process got here first
                daily.skip_missed(subscription, now, self.daily_grace)
                if subscription.next_push_at > now:
                    continue
                day = await daily.claim(session, subscription, now)
                if day is None:
                    continue
                chat = await session.get(Chat, subscription.chat_id)
                person = await session.get(Person, subscription.person_id)
                if chat is None or person is None:
                    continue
                turn = Turn(session, person, chat, now, self.index, self.scheduler)
                replies = await daily.prepare_push(turn)
                pushes.append(
                    daily.Push(subscription.id, day, chat.platform, chat.platform_chat_id, replies)
                )
        return pushes

    async def record_push(self, push: daily.Push, error: str | None, permanent: bool) -> None:
        async with self.db.write() as session:
            subscription = await session.get(Subscription, push.subscription_id)
            delivery = await queries.delivery_for(session, push.subscription_id, push.local_date)
            if subscription is None or delivery is None:
                return
            daily.record_delivery(subscription, delivery, self.clock(), error, permanent)
            if permanent:
                await queries.pause_chat(session, push.platform, push.chat_id, error or "")

    async def link_ask(self, ask_id: int, platform_ref: str) -> None:
        """Remember which platform object (a Telegram poll) carries an ask."""
        async with self.db.write() as session:
            await queries.set_ask_ref(session, ask_id, platform_ref)

    async def _dispatch(self, turn: Turn, event: Event) -> list[Reply]:
        if isinstance(event, Command):
            return await self._command(turn, event.name, event.args, event.person)
        if isinstance(event, ButtonPress):
            return await self._press(turn, event.action)
        if isinstance(event, PollAnswer):
            ask = await queries.ask_by_ref(turn.session, event.platform_ref)
            assert ask is not None
            return await quiz.answer_choice(turn, ask.id, event.option, via_poll=True)
        if isinstance(event, Text):
            if turn.in_group:
                return []
            return [Message("I answer commands. Type /help to see them, or /quiz to start.")]
        return []

    def is_admin(self, person: PersonRef) -> bool:
        return f"{person.platform}:{person.platform_id}" in self.admin_ids

    async def _command(self, turn: Turn, name: str, args: str, who: PersonRef) -> list[Reply]:
        command = spec(name)
        if command is None:
            return [Message(f"I don't know /{name[:30]}. Type /help to see what I can do.")]
        if command.admin_only and not self.is_admin(who):
            return [Message("Sorry, that command is not allowed for you.")]
        if len(args) > MAX_ARGUMENT:
            return [
                Message(
                    f"That is too long for /{name} ({len(args)} characters, at most "
                    f"{MAX_ARGUMENT}). Try a few keywords, like /{name} gil."
                )
            ]
        if name == "start":
            return [_welcome()]
        if name == "help":
            return [Message(help_text(self.is_admin(who)))]
        if name == "topics":
            return [await self._topics(turn)]
        if name == "quiz":
            return await self._quiz(turn, args)
        if name == "explain":
            return [await self._explain(turn, args)]
        if name == "stats":
            return [await stats.stats(turn)]
        if name == "leaderboard":
            return [await stats.leaderboard(turn)]
        if name == "daily":
            return [await daily.daily_command(turn, args)]
        if name == "forget":
            return [_confirm_forget()]
        if name == "reload":
            return [await self._reload()]
        if name == "broadcast":
            return [await self._broadcast(args)]
        return [Message(f"/{name} is not available here yet.")]

    async def _press(self, turn: Turn, raw: str) -> list[Reply]:
        action = actions.parse(raw)
        if action is None:
            return [Message("That button no longer works. Try /quiz.", private=True)]
        if action.verb == "answer":
            assert action.ask_id is not None and action.value is not None
            return await quiz.answer_choice(turn, action.ask_id, action.value)
        if action.verb == "reveal":
            assert action.ask_id is not None
            return await quiz.reveal_card(turn, action.ask_id)
        if action.verb == "rate":
            assert action.ask_id is not None and action.value is not None
            return await quiz.rate_card(turn, action.ask_id, action.value)
        if action.verb == "quiz":
            return await self._quiz(turn, action.topic or "")
        if action.verb == "explain":
            return [await self._explain(turn, action.topic or "")]
        if action.verb == "topics":
            return [await self._topics(turn)]
        if action.verb == "forget":
            if action.topic != "yes":
                return [Message("Nothing was deleted.", replace=True)]
            await queries.forget_person(turn.session, turn.person.id)
            return [
                Message(
                    "Done: everything stored about you is deleted. /start begins afresh.",
                    replace=True,
                )
            ]
        return [Message("That button no longer works. Try /quiz.", private=True)]

    async def _topics(self, turn: Turn) -> Message:
        topics = list(self.index.topics.values())
        if not topics:
            return Message("The question bank is empty. Ask the bot's admin to load content.")
        lines = ["**Topics**: pick one to drill it, or `/explain <topic>` to read it.", ""]
        lines += [f"- {topic.title} (`{topic.id}`)" for topic in topics]
        buttons = tuple(Button(topic.title[:60], actions.quiz(topic.id)) for topic in topics)
        return Message("\n".join(lines), buttons=buttons)

    async def _quiz(self, turn: Turn, args: str) -> list[Reply]:
        topic_id: str | None = None
        if args:
            match = self.index.find(args)
            if match.topic_id is None:
                return [self._no_match(args, match.suggestions, verb="quiz")]
            topic_id = match.topic_id
        return await quiz.ask_next(turn, topic_id)

    async def _explain(self, turn: Turn, args: str) -> Reply:
        if not args:
            return Message(
                "What should I explain? For example: /explain gil. /topics lists them all."
            )
        match = self.index.find(args)
        if match.topic_id is None:
            return self._no_match(args, match.suggestions, verb="explain")
        topic = await turn.session.get(Topic, match.topic_id)
        if topic is None:
            return self._no_match(args, (), verb="explain")
        see_also = tuple(
            (other, self.index.topics[other].title)
            for other in topic.see_also
            if other in self.index.topics
        )
        return Explanation(
            topic_id=topic.id,
            title=topic.title,
            markdown=topic.explanation,
            see_also=see_also,
            references=tuple(topic.references),
            buttons=(Button(f"Quiz me on {topic.title}"[:60], actions.quiz(topic.id)),),
        )

    async def _reload(self) -> Message:
        if self.reload_content is None:
            return Message("Reloading is not available here.")
        try:
            summary = await self.reload_content()
        except Exception as error:
            log.warning("reload failed: %s", error)
            return Message(f"The bank was not reloaded:\n\n{str(error)[:1500]}")
        await self.load_topics()
        return Message(f"Bank reloaded: {summary}.")

    async def _broadcast(self, text: str) -> Message:
        if not text:
            return Message("Usage: /broadcast <text>")
        if self.broadcast is None:
            return Message("Broadcasting is not available here.")
        count = await self.broadcast(text)
        return Message(f"Broadcast on its way to {count} subscribed chat(s).")

    def _no_match(self, query: str, suggestions: tuple[str, ...], verb: str) -> Message:
        shown = query if len(query) <= 60 else query[:57] + "..."
        text = f"No topic matches “{shown}”."
        buttons: tuple[Button, ...] = ()
        if suggestions:
            titles = [self.index.topics[s].title for s in suggestions]
            text += " Did you mean: " + ", ".join(titles) + "?"
            make = actions.explain if verb == "explain" else actions.quiz
            buttons = tuple(Button(self.index.topics[s].title[:60], make(s)) for s in suggestions)
        else:
            text += " Type /topics to see them all."
        return Message(text, buttons=buttons)


def _confirm_forget() -> Message:
    return Message(
        "This deletes your answers, your schedule, your daily question and your streak, "
        "on this platform. It cannot be undone. Delete everything?",
        buttons=(
            Button("Yes, delete everything", actions.forget(confirm=True)),
            Button("Cancel", actions.forget(confirm=False)),
        ),
        private=True,
    )


def _welcome() -> Message:
    text = (
        "👋 **Welcome to revision-bot.** I drill Python and Django interview topics with "
        "spaced repetition: what you miss comes back sooner, what you know comes back later.\n\n"
        "- /quiz asks the question you most need now\n"
        "- /explain gil explains a topic (typos are fine)\n"
        "- /daily 08:00 Europe/Berlin sends a question every day\n"
        "- /help lists everything"
    )
    return Message(
        text, buttons=(Button("Start a quiz", actions.quiz()), Button("Topics", actions.topics()))
    )
