"""A person's data out (export) and gone (forget)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import learners, queries
from bot.store.database import Database
from bot.store.models import Review, Schedule, Subscription

__all__ = ["export_person", "forget_person"]


async def export_person(db: Database, platform: str, platform_id: str) -> dict[str, Any] | None:
    return await db.read(_export, platform, platform_id)


def _export(session: Session, platform: str, platform_id: str) -> dict[str, Any] | None:
    """The whole learner: the progress of every platform joined with /link."""
    found = queries.find_person(session, platform, platform_id)
    if found is None:
        return None
    person = learners.learner_of(session, found)
    schedules = (session.execute(select(Schedule).where(Schedule.person_id == person.id))).scalars()
    reviews = (
        session.execute(
            select(Review).where(Review.person_id == person.id).order_by(Review.reviewed_at)
        )
    ).scalars()
    subscriptions = (
        session.execute(select(Subscription).where(Subscription.person_id == person.id))
    ).scalars()
    return {
        "person": {
            "platform": person.platform,
            "platform_id": person.platform_id,
            "display_name": person.display_name,
            "timezone": person.timezone,
            "created_at": person.created_at.isoformat(),
        },
        "linked": [
            f"{member.platform}:{member.platform_id}"
            for member in learners.members(session, person.id)
        ],
        "schedules": [
            {
                "question_id": s.question_id,
                "state": s.state,
                "stability": s.stability,
                "difficulty": s.difficulty,
                "due": s.due.isoformat(),
                "last_review": s.last_review.isoformat() if s.last_review else None,
            }
            for s in schedules
        ],
        "reviews": [
            {
                "question_id": r.question_id,
                "rating": r.rating,
                "correct": r.correct,
                "reviewed_at": r.reviewed_at.isoformat(),
            }
            for r in reviews
        ],
        "daily": [
            {
                "time": f"{s.hour:02d}:{s.minute:02d}",
                "timezone": s.timezone,
                "active": s.active,
            }
            for s in subscriptions
        ],
    }


async def forget_person(db: Database, platform: str, platform_id: str) -> list[str]:
    """Delete the whole learner; the accounts deleted (`platform:id`), none if unknown."""
    return await db.write(_forget, platform, platform_id)


def _forget(session: Session, platform: str, platform_id: str) -> list[str]:
    found = queries.find_person(session, platform, platform_id)
    if found is None:
        return []
    learner = learners.learner_of(session, found)
    accounts = [f"{m.platform}:{m.platform_id}" for m in learners.members(session, learner.id)]
    queries.forget_person(session, learner.id)
    return accounts
