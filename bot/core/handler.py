"""The core's front door: one event in, a list of replies out, in one transaction.

`Core.handle` is async; the handling itself is a plain function over one session (a unit of
work) that the store runs in one hop. A command that only reads, from someone already known,
runs in a read transaction; everything else in one write transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from fsrs import Scheduler
from sqlalchemy.orm import Session

from bot.core import account, actions, interview, lookup
from bot.core.catalog import Catalog
from bot.core.clock import Clock, utc_now
from bot.core.commands import CommandSpec, spec
from bot.core.events import ButtonPress, ChatRef, Command, Event, PersonRef, PollAnswer, Text
from bot.core.explain import TopicIndex
from bot.core.outbox import Outbox, Outgoing
from bot.core.pending import PendingWrites, Writes
from bot.core.replies import AnswerTally, Message, Reply, decode_replies, encode_replies
from bot.core.srs import make_scheduler
from bot.core.stats import Progress, progress
from bot.core.turn import Turn
from bot.logs import bind_update
from bot.metrics import Metrics
from bot.store import event_queries, inbox, queries
from bot.store.database import Database, Tx
from bot.store.rows import ChatRow, PersonRow

__all__ = ["Core"]

log = logging.getLogger(__name__)

MAX_ARGUMENT = 200
_READ_ONLY_VERBS = frozenset({"explain", "topics"})
_REMEMBERED_PEOPLE = 10_000
# Replies kept for an update whose process died before sending them are sent after the
# restart only while this fresh: a stale quiz is worse than none.
UNSENT_REPLIES_KEPT_FOR = timedelta(minutes=3)

ReloadContent = Callable[[], Awaitable[str]]


def _recounted(tx: Tx, replies: list[Reply]) -> list[Reply]:
    return [
        AnswerTally(r.ask_id, event_queries.answers_to_ask(tx, r.ask_id))
        if isinstance(r, AnswerTally)
        else r
        for r in replies
    ]


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


class Core:
    """Dispatches events to the command modules; holds only shared, read-mostly state."""

    def __init__(
        self,
        db: Database,
        catalog: Catalog | None = None,
        *,
        clock: Clock = utc_now,
        scheduler: Scheduler | None = None,
        admin_ids: frozenset[str] = frozenset(),
        metrics: Metrics | None = None,
        reload_content: ReloadContent | None = None,
        outbox: Outbox | None = None,
        interview_seconds: int = 60,
    ) -> None:
        self.db = db
        self.interview_seconds = interview_seconds
        self.catalog = catalog or Catalog()
        self.clock = clock
        self.scheduler = scheduler or make_scheduler()
        self.admin_ids = admin_ids
        self._metrics = metrics
        self._reload_content = reload_content
        self._outbox = outbox
        self._pending = PendingWrites(self._write_alone)
        self._started = clock()
        self._seen_here: set[tuple[str, str, str]] = set()
        # Inbox keys this process handled, until looked_at: True when replies were kept for it.
        self._claimed: dict[str, bool] = {}

    @property
    def index(self) -> TopicIndex:
        return self.catalog.index

    async def load_topics(self) -> None:
        """(Re)build the topic index from the database."""
        await self.db.read(self.catalog.load)

    async def refresh_topics(self) -> bool:
        """Reload the topic index if `content sync` (from any process) changed the bank."""
        return await self.db.read(self.catalog.refresh)

    async def housekeeping(self) -> None:
        """Once a minute: forget updates old enough that no platform will redeliver them."""
        await self.db.write(inbox.prune, self.clock() - timedelta(days=2))

    async def handle(self, event: Event, inbox_key: str | None = None) -> list[Reply]:
        """Handle one event in one transaction. `inbox_key`: the stored update it came from,
        marked handled in that same transaction (an update handled already gets no reply)."""
        label = _label(event)
        platform = event.person.platform
        chat = event.chat.chat_id if not isinstance(event, PollAnswer) else ""
        bind_update(platform, chat, label)
        started = time.perf_counter()
        try:
            replies = await self._handle(event, inbox_key)
        except Exception:
            if self._metrics:
                self._metrics.errors.labels(platform).inc()
            raise
        if self._metrics:
            self._metrics.updates.labels(platform, label).inc()
            self._metrics.latency.labels(platform).observe(time.perf_counter() - started)
            if label in {"poll_answer", "button:answer", "button:rate"}:
                self._metrics.answers.labels(platform, label.removeprefix("button:")).inc()
        return replies

    async def healthy(self) -> bool:
        """Whether the database answers."""
        return await self.db.ping()

    async def progress(self, who: PersonRef) -> Progress:
        """A person's progress, for platforms that show it outside a chat (Slack's App Home)."""
        return await self.db.write_tx(self._progress, who, self.clock())

    async def mark_unreachable(self, platform: str, chat_id: str, reason: str) -> None:
        """The platform refused for good (bot blocked, channel gone): stop pushing to the chat."""
        await self.db.write(queries.pause_chat, platform, chat_id, reason)

    async def link_ask(self, ask_id: int, platform_ref: str) -> None:
        """Remember which platform object (a Telegram poll) carries an ask. The link rides
        along with the next transaction instead of costing one of its own."""
        self._pending.link(platform_ref, ask_id)

    async def receive(self, platform: str, updates: Sequence[tuple[str, str]]) -> list[str]:
        """Store platform updates, (key, raw payload), before the platform is told they
        arrived, in one transaction; returns the keys that are new (not redeliveries)."""
        if not updates:
            return []
        return await self.db.write_tx(event_queries.store_updates, platform, updates, self.clock())

    async def waiting(self, platform: str) -> list[tuple[str, str]]:
        """Updates stored but never handled (the process died first): handle them again."""
        return await self.db.read(inbox.waiting, platform)

    def looked_at(self, inbox_key: str) -> None:
        """The adapter is done with an update (whether or not the core handled it), its
        replies sent."""
        kept = self._claimed.pop(inbox_key, None)
        if kept is None:
            self._pending.handled(inbox_key)
        elif kept:
            self._pending.sent(inbox_key)
        # else: marked handled in its handling's transaction, with nothing to send

    async def unsent(self, platform: str) -> list[tuple[str, str, list[Reply]]]:
        """Replies an earlier process kept but died before sending: (inbox key, chat,
        replies), taken so that no other process sends them too. Replies older than a few
        minutes are dropped instead, with a log line."""
        fresh_since = self.clock() - UNSENT_REPLIES_KEPT_FOR
        dropped, rows = await self.db.write(_take_unsent, platform, fresh_since, self._started)
        if dropped:
            log.warning(
                "%s: dropped the unsent replies to %d updates handled more than %d minutes ago",
                platform,
                dropped,
                UNSENT_REPLIES_KEPT_FOR.total_seconds() // 60,
            )
        unsent = []
        for key, chat, stored in rows:
            try:
                unsent.append((key, chat, decode_replies(stored, self.catalog.explanation)))
            except (ValueError, TypeError, KeyError):
                log.warning("%s: unreadable kept replies for one update, dropped", platform)
        return unsent

    async def close(self) -> None:
        await self._pending.close()

    # --- one event ----------------------------------------------------------------------------

    async def _handle(self, event: Event, inbox_key: str | None) -> list[Reply]:
        command = spec(event.name) if isinstance(event, Command) else None
        runs_alone = command is not None and command.run is None
        if isinstance(event, Command) and runs_alone and self.is_admin(event.person):
            assert command is not None
            return await self._outside_transaction(command, event.args)
        now = self.clock()
        if (
            not isinstance(event, PollAnswer)
            and self._is_read_only(event, command)
            and not self._pending
            and self._seen(event.person, event.chat)
        ):
            read = await self.db.read_tx(self._handle_known, event, now)
            if read is not None:
                # Marked handled by the next write: a crash before it repeats a reply that
                # changed nothing, which is cheaper than a write transaction for every read.
                if inbox_key is not None:
                    self._pending.handled(inbox_key)
                return read
        writes = self._pending.take()
        try:
            if isinstance(event, PollAnswer):
                known = self._pending.recent_links.get(event.platform_ref)
                replies, kept = await self.db.write_tx(
                    self._handle_poll_answer, event, now, writes, inbox_key, known
                )
            else:
                replies, kept = await self.db.write_tx(
                    self._handle_in, event, now, writes, inbox_key
                )
        except _HandledBefore:
            self._pending.give_back(writes)
            return []
        except Exception:
            self._pending.give_back(writes)
            raise
        if inbox_key is not None and len(self._claimed) < _REMEMBERED_PEOPLE:
            self._claimed[inbox_key] = kept
        if any(isinstance(reply, AnswerTally) for reply in replies):
            # Counted again once committed: two members answering at once on PostgreSQL each
            # count inside their own transaction, without the other's answer ("2 answers so
            # far" after three); counted after the commit, the later of them sees both.
            replies = await self.db.read_tx(_recounted, replies)
        return replies

    @staticmethod
    def _is_read_only(event: Event, command: CommandSpec | None) -> bool:
        if isinstance(event, Command):
            return command is not None and not command.writes
        if isinstance(event, ButtonPress):
            action = actions.parse(event.action)
            return action is not None and action.verb in _READ_ONLY_VERBS
        return False

    def _seen(self, person: PersonRef, chat: ChatRef) -> bool:
        """Whether this process has handled this person in this chat before: a newcomer's
        read-only command goes straight to the write transaction that records them."""
        key = (person.platform, person.platform_id, chat.chat_id)
        if key in self._seen_here:
            return True
        if len(self._seen_here) >= _REMEMBERED_PEOPLE:
            self._seen_here.clear()
        self._seen_here.add(key)
        return False

    def _handle_known(self, tx: Tx, event: Event, now: datetime) -> list[Reply] | None:
        """The read-only path; None when the person or chat is new or changed (then the event
        is handled again in a write transaction)."""
        assert not isinstance(event, PollAnswer)
        who = event.person
        known = event_queries.known_person_and_chat(tx, who, event.chat)
        if known is None:
            return None
        acting, chat = known
        person = event_queries.learner_of(tx, acting)
        if who.timezone and not person.timezone:
            return None
        return self._dispatch(self._turn(tx, acting, person, chat, now, event), event)

    def _handle_in(
        self,
        tx: Tx,
        event: Command | Text | ButtonPress,
        now: datetime,
        writes: Writes,
        inbox_key: str | None,
    ) -> tuple[list[Reply], bool]:
        """The replies, and whether they were kept in the outbox."""
        writes.apply(tx, now)
        who = event.person
        acting, chat = event_queries.ensure_person_and_chat(tx, who, event.chat, now)
        person = event_queries.learner_of(tx, acting)
        if who.timezone and not person.timezone:
            event_queries.change_person(tx, person, timezone=who.timezone)
        replies = self._dispatch(self._turn(tx, acting, person, chat, now, event), event)
        return replies, _finish(tx, inbox_key, now, chat, replies)

    def _handle_poll_answer(
        self,
        tx: Tx,
        event: PollAnswer,
        now: datetime,
        writes: Writes,
        inbox_key: str | None,
        known_ask_id: int | None,
    ) -> tuple[list[Reply], bool]:
        """A poll answer names only the poll: its ask is found by this process's own recent
        links, else by the link stored in the database (a poll another process sent)."""
        writes.apply(tx, now)
        who = event.person
        acting = event_queries.ensure_person(
            tx, who.platform, who.platform_id, who.display_name, now
        )
        ask = (
            event_queries.ask(tx, known_ask_id)
            if known_ask_id is not None
            else event_queries.ask_by_ref(tx, event.platform_ref)
        )
        if ask is None:
            return [], _finish(tx, inbox_key, now, None, [])
        chat = event_queries.chat_by_id(tx, ask.chat_id)
        person = event_queries.learner_of(tx, acting)
        turn = self._turn(tx, acting, person, chat, now, event)
        replies = interview.answer_choice(turn, ask.id, event.option)
        return replies, _finish(tx, inbox_key, now, chat, replies)

    def _turn(
        self,
        tx: Tx,
        acting: PersonRow,
        person: PersonRow,
        chat: ChatRow | None,
        now: datetime,
        event: Event,
    ) -> Turn:
        return Turn(
            tx,
            person,
            chat,
            now,
            self.catalog,
            self.scheduler,
            is_admin=self.is_admin(event.person),
            can_push=isinstance(event, PollAnswer) or event.chat.can_push,
            account=acting,
            interview_seconds=self.interview_seconds,
        )

    def _dispatch(self, turn: Turn, event: Command | Text | ButtonPress) -> list[Reply]:
        if isinstance(event, Command):
            return self._command(turn, event.name, event.args)
        if isinstance(event, ButtonPress):
            return self._press(turn, event.action)
        if isinstance(event, Text):
            if turn.in_group:
                return []
            return [Message("I answer commands. Type /help to see them, or /quiz to start.")]
        return []

    def is_admin(self, person: PersonRef) -> bool:
        return f"{person.platform}:{person.platform_id}" in self.admin_ids

    def _command(self, turn: Turn, name: str, args: str) -> list[Reply]:
        command = spec(name)
        if command is None:
            return [Message(f"I don't know /{name[:30]}. Type /help to see what I can do.")]
        if command.admin_only and not turn.is_admin:
            return [Message("Sorry, that command is not allowed for you.")]
        if len(args) > MAX_ARGUMENT:
            return [
                Message(
                    f"That is too long for /{name} ({len(args)} characters, at most "
                    f"{MAX_ARGUMENT}). Try a few keywords, like /{name} gil."
                )
            ]
        if command.run is None:
            return [Message(f"/{name} is not available here.")]
        return command.run(turn, args)

    def _press(self, turn: Turn, raw: str) -> list[Reply]:
        action = actions.parse(raw)
        if action is None:
            return [Message("That button no longer works. Try /quiz.", private=True)]
        if action.verb == "answer":
            assert action.ask_id is not None and action.value is not None
            return interview.answer_choice(turn, action.ask_id, action.value)
        if action.verb == "reveal":
            assert action.ask_id is not None
            return interview.reveal_card(turn, action.ask_id)
        if action.verb == "rate":
            assert action.ask_id is not None and action.value is not None
            return interview.rate_card(turn, action.ask_id, action.value)
        if action.verb == "quiz":
            return lookup.quiz_command(turn, action.topic or "")
        if action.verb == "explain":
            return lookup.explain(turn, action.topic or "")
        if action.verb == "topics":
            return lookup.topics(turn)
        if action.verb == "forget":
            return account.forget(turn, confirmed=action.topic == "yes")
        return [Message("That button no longer works. Try /quiz.", private=True)]

    def _progress(self, tx: Tx, who: PersonRef, now: datetime) -> Progress:
        acting = event_queries.ensure_person(
            tx, who.platform, who.platform_id, who.display_name, now
        )
        person = event_queries.learner_of(tx, acting)
        return progress(Turn(tx, person, None, now, self.catalog, self.scheduler, account=acting))

    # --- commands the core runs itself --------------------------------------------------------

    async def _outside_transaction(self, command: CommandSpec, args: str) -> list[Reply]:
        if command.name == "reload":
            return [await self._reload()]
        return [await self._broadcast(args)]

    async def _reload(self) -> Message:
        if self._reload_content is None:
            return Message("Reloading is not available here.")
        try:
            summary = await self._reload_content()
        except Exception as error:
            log.warning("reload failed: %s", error)
            return Message(f"The bank was not reloaded:\n\n{str(error)[:1500]}")
        await self.load_topics()
        return Message(f"Bank reloaded: {summary}.")

    async def _broadcast(self, text: str) -> Message:
        if not text:
            return Message("Usage: /broadcast <text>")
        if self._outbox is None:
            return Message("Broadcasting is not available here.")
        chats = await self.db.read(queries.active_subscription_chats)
        message = Message(text)
        self._outbox.post([Outgoing(platform, chat, (message,)) for platform, chat in chats])
        return Message(f"Broadcast on its way to {len(chats)} subscribed chat(s).")

    async def _write_alone(self, writes: Writes) -> None:
        await self.db.write_tx(writes.apply, self.clock())


def _take_unsent(
    session: Session, platform: str, fresh_since: datetime, started: datetime
) -> tuple[int, list[tuple[str, str, str]]]:
    """Only replies of updates handled before this process started: the replies of updates
    it handled itself are its own to send."""
    dropped = inbox.drop_unsent(session, platform, fresh_since)
    return dropped, inbox.take_unsent(session, platform, fresh_since, started)


class _HandledBefore(Exception):
    """The update was handled before (a redelivery, a replay after a crash): its effects exist,
    and this handling's are rolled back."""


def _finish(
    tx: Tx,
    inbox_key: str | None,
    now: datetime,
    chat: ChatRow | None,
    replies: list[Reply],
) -> bool:
    """Mark the update handled and keep its replies in the outbox, in the handling's
    transaction, so that a process that dies before sending them leaves them to be sent after
    the restart; True when replies were kept. A reply meant for one person in a group is not
    kept: only its original context can show it privately."""
    if inbox_key is None:
        return False
    if chat is not None and chat.is_group:
        replies = [r for r in replies if not (isinstance(r, Message) and r.private)]
    stored = encode_replies(replies) if chat is not None else None
    reply_to = chat.platform_chat_id if stored is not None and chat is not None else None
    if not event_queries.finish_update(tx, inbox_key, now, reply_to, stored):
        raise _HandledBefore
    return stored is not None
