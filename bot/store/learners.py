"""One learner on every platform: people joined with /link share one progress.

The learner is a person row (the first to ask for a code); the others point at it with
`learner_id` and hold no progress of their own while they are joined.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from bot.store.models import (
    Ask,
    Chat,
    Interview,
    InterviewAnswer,
    LinkAttempt,
    LinkCode,
    Person,
    Review,
    Schedule,
    Subscription,
)
from bot.store.rows import SCHEDULE_STATE

__all__ = [
    "detach",
    "learner_of",
    "members",
    "merge",
    "person_by_id",
    "record_wrong_code",
    "save_code",
    "schedule_with_history",
    "take_code",
    "wrong_codes_since",
]


def learner_of(session: Session, person: Person) -> Person:
    """The person whose progress this person studies with: themselves unless linked."""
    if person.learner_id is None:
        return person
    learner = session.get(Person, person.learner_id)
    return learner if learner is not None else person


def person_by_id(session: Session, person_id: int) -> Person | None:
    return session.get(Person, person_id)


def members(session: Session, learner_id: int) -> list[Person]:
    """The learner and everyone linked to them, the learner first."""
    learner = session.get(Person, learner_id)
    others = session.scalars(
        select(Person).where(Person.learner_id == learner_id).order_by(Person.id)
    ).all()
    return [learner, *others] if learner is not None else list(others)


def save_code(session: Session, learner_id: int, code_hash: str, expires_at: datetime) -> None:
    session.execute(
        insert(LinkCode).values(code_hash=code_hash, learner_id=learner_id, expires_at=expires_at)
    )


def take_code(session: Session, code_hash: str, now: datetime) -> int | None:
    """Spend a live code, once even when two processes try at the same moment; its learner."""
    return session.execute(
        update(LinkCode)
        .where(
            LinkCode.code_hash == code_hash,
            LinkCode.used_at.is_(None),
            LinkCode.expires_at > now,
        )
        .values(used_at=now)
        .returning(LinkCode.learner_id)
    ).scalar_one_or_none()


def wrong_codes_since(session: Session, person_id: int, since: datetime) -> int:
    return session.execute(
        select(func.count())
        .select_from(LinkAttempt)
        .where(LinkAttempt.person_id == person_id, LinkAttempt.at >= since)
    ).scalar_one()


def record_wrong_code(session: Session, person_id: int, now: datetime) -> None:
    session.execute(insert(LinkAttempt).values(person_id=person_id, at=now))


def merge(session: Session, keep: Person, gone: Person) -> list[str]:
    """Learner `gone` joins learner `keep`: every review, ask and daily question of theirs
    becomes `keep`'s; for a question both have scheduled, the schedule reviewed last stays.
    Returns those questions, whose schedules the caller may rebuild from the merged history."""
    ours = {
        schedule.question_id: schedule
        for schedule in session.scalars(select(Schedule).where(Schedule.person_id == keep.id))
    }
    both: list[str] = []
    for theirs in session.scalars(select(Schedule).where(Schedule.person_id == gone.id)).all():
        mine = ours.get(theirs.question_id)
        if mine is None:
            theirs.person_id = keep.id
            continue
        both.append(theirs.question_id)
        if _reviewed(theirs) > _reviewed(mine):
            for field in SCHEDULE_STATE:
                setattr(mine, field, getattr(theirs, field))
        session.delete(theirs)
    session.flush()
    # A round of theirs still running ends: one learner runs one round at a time.
    session.execute(
        update(Interview)
        .where(Interview.person_id == gone.id, Interview.running_key.is_not(None))
        .values(state="stopped", running_key=None, deadline=None, ended_at=Interview.last_activity),
        execution_options={"synchronize_session": False},
    )
    for model in (Review, Ask, Subscription, Interview, InterviewAnswer):
        session.execute(
            update(model).where(model.person_id == gone.id).values(person_id=keep.id),
            execution_options={"synchronize_session": False},
        )
    session.execute(delete(LinkCode).where(LinkCode.learner_id == gone.id))
    session.execute(
        update(Person)
        .where(or_(Person.id == gone.id, Person.learner_id == gone.id))
        .values(learner_id=keep.id),
        execution_options={"synchronize_session": False},
    )
    keep.timezone = keep.timezone or gone.timezone
    keep.level = keep.level or gone.level
    session.expire_all()
    return both


def detach(session: Session, person: Person, learner: Person) -> Person:
    """`person` leaves `learner` with a copy of the progress so far; returns who holds the
    learner's progress afterwards (another member when the learner itself left)."""
    if person.id != learner.id:
        _copy_progress(session, learner.id, person.id)
        _move_private_subscriptions(session, learner.id, person)
        person.learner_id = None
        return learner
    heir = next(member for member in members(session, learner.id) if member.id != learner.id)
    _copy_progress(session, learner.id, heir.id)
    session.execute(
        update(Person)
        .where(Person.learner_id == learner.id, Person.id != heir.id)
        .values(learner_id=heir.id),
        execution_options={"synchronize_session": False},
    )
    heir.learner_id = None
    for other in members(session, heir.id):
        _move_private_subscriptions(session, learner.id, other)
    session.execute(delete(LinkCode).where(LinkCode.learner_id == learner.id))
    session.flush()
    return heir


def schedule_with_history(
    session: Session, person_id: int, question_id: str
) -> tuple[Schedule | None, list[tuple[int, datetime]]]:
    """The person's schedule for the question and every review of it, (rating, when), oldest
    first."""
    schedule = session.get(Schedule, (person_id, question_id))
    history = session.execute(
        select(Review.rating, Review.reviewed_at)
        .where(Review.person_id == person_id, Review.question_id == question_id)
        .order_by(Review.reviewed_at, Review.id)
    ).all()
    return schedule, [(rating, when) for rating, when in history]


def _reviewed(schedule: Schedule) -> datetime:
    return schedule.last_review or datetime.min.replace(tzinfo=schedule.due.tzinfo)


def _copy_progress(session: Session, source_id: int, target_id: int) -> None:
    session.flush()
    state = [getattr(Schedule, field) for field in SCHEDULE_STATE]
    session.execute(
        insert(Schedule).from_select(
            ["person_id", "question_id", *SCHEDULE_STATE],
            select(literal(target_id), Schedule.question_id, *state).where(
                Schedule.person_id == source_id
            ),
        )
    )
    review_columns = ("ask_id", "chat_id", "question_id", "rating", "correct", "reviewed_at")
    session.execute(
        insert(Review).from_select(
            ["person_id", *review_columns, "local_date"],
            select(
                literal(target_id),
                *(getattr(Review, column) for column in review_columns),
                Review.local_date,
            ).where(Review.person_id == source_id),
        )
    )


def _move_private_subscriptions(session: Session, learner_id: int, person: Person) -> None:
    """The daily question of a private chat on the person's platform goes back with them."""
    own_chats = select(Chat.id).where(Chat.platform == person.platform, Chat.is_group.is_(False))
    session.execute(
        update(Subscription)
        .where(Subscription.person_id == learner_id, Subscription.chat_id.in_(own_chats))
        .values(person_id=person.id),
        execution_options={"synchronize_session": False},
    )
