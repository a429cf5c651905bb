from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.store import learners
from bot.store.models import Person, Schedule

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def person(session, platform: str) -> Person:
    found = Person(platform=platform, platform_id="7", display_name="Ada", created_at=NOW)
    session.add(found)
    session.flush()
    return found


def schedule(session, who: Person, question: str, reviewed: datetime | None, due: datetime):
    session.add(
        Schedule(
            person_id=who.id,
            question_id=question,
            state=2,
            stability=3.0,
            difficulty=5.0,
            due=due,
            last_review=reviewed,
        )
    )


async def test_merge_keeps_the_schedule_reviewed_last(core, db):
    later_due = NOW + timedelta(days=9)
    with db.write_session() as session:
        keep, gone = person(session, "telegram"), person(session, "slack")
        schedule(session, keep, "gil-io", NOW - timedelta(days=3), NOW + timedelta(days=1))
        schedule(session, gone, "gil-io", NOW - timedelta(days=1), later_due)
        schedule(session, keep, "celery-broker", NOW - timedelta(days=1), NOW)
        schedule(session, gone, "celery-broker", None, NOW + timedelta(days=5))
        schedule(session, gone, "gil-release", NOW, NOW + timedelta(days=2))
        learners.merge(session, keep, gone)
        keep_id, gone_id = keep.id, gone.id

    with db.read_session() as session:
        rows = session.scalars(select(Schedule).order_by(Schedule.question_id)).all()
        by_question = {row.question_id: row for row in rows}
        assert {row.person_id for row in rows} == {keep_id}
        assert by_question["gil-io"].due == later_due  # the other side reviewed it last
        assert by_question["celery-broker"].due == NOW  # only this side ever reviewed it
        assert "gil-release" in by_question  # scheduled on one side only: moved over
        assert session.get(Person, gone_id).learner_id == keep_id
