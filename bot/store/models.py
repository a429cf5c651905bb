"""SQLAlchemy models: the bank, people and chats, schedules, reviews, subscriptions."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "Ask",
    "Base",
    "Chat",
    "Delivery",
    "InboxUpdate",
    "Interview",
    "InterviewAnswer",
    "LinkAttempt",
    "LinkCode",
    "Meta",
    "Person",
    "Question",
    "Review",
    "Schedule",
    "Subscription",
    "Topic",
]

# Named constraints so Alembic's batch mode on SQLite can alter them.
_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)


class Topic(Base):
    __tablename__ = "topics"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    explanation: Mapped[str] = mapped_column(Text)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    see_also: Mapped[list[str]] = mapped_column(JSON, default=list)
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class Question(Base):
    __tablename__ = "questions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    topic_id: Mapped[str] = mapped_column(ForeignKey("topics.id"))
    kind: Mapped[str] = mapped_column(String(10))  # "choice" or "card"
    prompt: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    correct_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    why: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(  # junior, mid, senior
        String(10), default="mid", server_default="mid"
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

    # "The next question this person has never seen" walks live questions in bank order and
    # stops at the first unseen one, instead of checking every question and sorting them.
    __table_args__ = (
        Index("ix_questions_live_order", "retired", "position"),
        Index("ix_questions_topic_order", "topic_id", "retired", "position"),
    )


class Person(Base):
    """Someone on one platform. People who joined their platforms with /link are one learner:
    the person whose id is their `learner_id` holds the progress of them all."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("platform", "platform_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_id: Mapped[str] = mapped_column(String(64))
    learner_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True
    )
    display_name: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    level: Mapped[str | None] = mapped_column(String(10), nullable=True)  # /quiz's default
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Chat(Base):
    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("platform", "platform_chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_chat_id: Mapped[str] = mapped_column(String(64))
    is_group: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Schedule(Base):
    """One person's FSRS card for one question."""

    __tablename__ = "schedules"
    __table_args__ = (Index("ix_schedules_person_due", "person_id", "due"),)

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), primary_key=True)
    state: Mapped[int] = mapped_column(Integer)
    step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stability: Mapped[float | None] = mapped_column(Float, nullable=True)
    difficulty: Mapped[float | None] = mapped_column(Float, nullable=True)
    due: Mapped[datetime] = mapped_column(UtcDateTime())
    last_review: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Ask(Base):
    """A question put to a chat: the link from a poll or a button back to the question."""

    __tablename__ = "asks"
    __table_args__ = (Index("ix_asks_chat_question", "chat_id", "question_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"))
    # The person it was asked of in a private chat; None for a question put to a whole group.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), nullable=True
    )
    platform_ref: Mapped[str | None] = mapped_column(String(128), nullable=True, unique=True)
    is_daily: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The mock interview round it belongs to; its answers are graded there, not on the spot.
    interview_id: Mapped[int | None] = mapped_column(
        ForeignKey("interviews.id", ondelete="SET NULL"), nullable=True, default=None
    )


class Review(Base):
    """One answer or self-rating; unique per ask and person so a double click counts once."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("ask_id", "person_id"),
        Index("ix_reviews_person_reviewed", "person_id", "reviewed_at"),
        Index("ix_reviews_chat_reviewed", "chat_id", "reviewed_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ask_id: Mapped[int | None] = mapped_column(
        ForeignKey("asks.id", ondelete="CASCADE"), nullable=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    chat_id: Mapped[int | None] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), nullable=True
    )
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"))
    rating: Mapped[int] = mapped_column(Integer)  # fsrs.Rating: 1 Again .. 4 Easy
    correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    reviewed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    local_date: Mapped[date] = mapped_column(Date)  # in the person's zone, for streaks


class Subscription(Base):
    """A chat's daily question: local time and zone, and the next push in UTC."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_active_next", "active", "next_push_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), unique=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), nullable=True
    )
    hour: Mapped[int] = mapped_column(Integer)
    minute: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    paused_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    next_push_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Delivery(Base):
    """A claimed daily push; the unique (subscription, local date) row makes it happen once."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "local_date"),
        Index("ix_deliveries_status_claimed", "status", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # claimed, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)


class InboxUpdate(Base):
    """A platform update, stored before the platform is told it arrived; `handled_at` is set in
    the same transaction as the handling, so after a crash an update is handled later, once.
    Its replies wait here until they are sent."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_platform_handled", "platform", "handled_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(160), unique=True)
    payload: Mapped[str] = mapped_column(Text)  # the update as the platform sent it (JSON)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # The outbox: the handling's replies (JSON) and the chat they go to, written in the
    # handling's transaction and cleared once sent; a restart sends what is left.
    reply_to: Mapped[str | None] = mapped_column(String(64), nullable=True)
    replies: Mapped[str | None] = mapped_column(Text, nullable=True)


class LinkCode(Base):
    """A one-time code from /link: whoever sends it on another platform joins this learner."""

    __tablename__ = "link_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256, hex
    learner_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class LinkAttempt(Base):
    """A wrong /link code, counted to lock out guessing."""

    __tablename__ = "link_attempts"
    __table_args__ = (Index("ix_link_attempts_person_at", "person_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class Interview(Base):
    """A timed mock interview round: for one person, or for everyone in a group.

    `deadline` is when the question on screen times out; it is claimed (set to NULL) by one
    atomic UPDATE before anything acts on it, so of several processes exactly one does.
    `running_key` is set only while the round runs and is unique: one round at a time per
    person (`person:ID`) and per group (`chat:ID`)."""

    __tablename__ = "interviews"
    __table_args__ = (Index("ix_interviews_state_deadline", "state", "deadline"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(  # who started it
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    is_group: Mapped[bool] = mapped_column(Boolean, default=False)
    running_key: Mapped[str | None] = mapped_column(String(40), nullable=True, unique=True)
    state: Mapped[str] = mapped_column(String(16))  # running, finished, stopped, abandoned
    level: Mapped[str | None] = mapped_column(String(10), nullable=True)
    question_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    seconds: Mapped[int] = mapped_column(Integer)  # the time limit of each question
    position: Mapped[int] = mapped_column(Integer, default=0)  # of the question on screen
    current_ask_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    asked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revealed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_activity: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class InterviewAnswer(Base):
    """One person's result on one question of a round; unique so an answer counts once."""

    __tablename__ = "interview_answers"
    __table_args__ = (UniqueConstraint("interview_id", "position", "person_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"))
    outcome: Mapped[str] = mapped_column(String(10))  # right, wrong, timeout, rated
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a card's own rating
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Meta(Base):
    """Small facts about the database itself, such as the version of the synced bank."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
