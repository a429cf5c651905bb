"""The unit of work's two ways to the database, prepared statements and the ORM session, share
one transaction, and prepared statements read and write values as the ORM does."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.store import event_queries
from bot.store.models import Chat, Person, Review, Schedule
from bot.store.rows import ScheduleRow
from bot.store.tx import Tx

NOW = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)


def _person_and_chat(tx: Tx) -> tuple[int, int]:
    person = Person(platform="telegram", platform_id="7", display_name="Ada", created_at=NOW)
    chat = Chat(platform="telegram", platform_chat_id="7", is_group=False, title="")
    tx.session.add_all([person, chat])
    tx.session.flush()
    return person.id, chat.id


async def test_prepared_statement_sees_what_the_orm_added_earlier_in_the_transaction(core, db):
    def add_then_look(tx: Tx) -> int | None:
        tx.session.add(
            Person(platform="slack", platform_id="U1", display_name="Grace", created_at=NOW)
        )
        found = event_queries.ensure_person(tx, "slack", "U1", "Grace", NOW)
        return found.id

    person_id = await db.write_tx(add_then_look)

    with db.read_session() as session:
        assert session.scalars(select(Person.id).where(Person.platform_id == "U1")).all() == [
            person_id
        ]


async def test_schedule_written_by_a_prepared_statement_reads_back_the_same(core, db):
    due = NOW + timedelta(days=3, microseconds=250)
    saved = ScheduleRow(
        person_id=0,
        question_id="gil-io",
        state=2,
        step=None,
        stability=3.25,
        difficulty=5.5,
        due=due,
        last_review=NOW,
    )

    def save(tx: Tx) -> None:
        saved.person_id, _ = _person_and_chat(tx)
        event_queries.save_schedule(tx, saved)
        saved.stability = 4.0  # the upsert updates the row it inserted
        event_queries.save_schedule(tx, saved)

    await db.write_tx(save)

    with db.read_session() as session:
        stored = session.get(Schedule, (saved.person_id, "gil-io"))
        assert stored is not None
        assert (stored.stability, stored.difficulty, stored.step) == (4.0, 5.5, None)
        assert stored.due == due and stored.due.utcoffset() == timedelta(0)
        assert stored.last_review == NOW


async def test_review_inserted_once_and_its_values_kept(core, db):
    def answer_twice(tx: Tx) -> tuple[bool, bool, list[date]]:
        person_id, chat_id = _person_and_chat(tx)
        ask_id = event_queries.create_ask(tx, chat_id, "gil-io", person_id, NOW)
        values = dict(
            ask_id=ask_id,
            person_id=person_id,
            chat_id=chat_id,
            question_id="gil-io",
            rating=3,
            correct=True,
            reviewed_at=NOW,
            local_date=date(2026, 3, 2),
        )
        first = event_queries.insert_review(tx, **values)
        again = event_queries.insert_review(tx, **values)
        return first, again, event_queries.review_dates(tx, person_id)

    first, again, days = await db.write_tx(answer_twice)

    assert (first, again, days) == (True, False, [date(2026, 3, 2)])
    with db.read_session() as session:
        review = session.scalars(select(Review)).one()
        assert (review.correct, review.reviewed_at, review.local_date) == (
            True,
            NOW,
            date(2026, 3, 2),
        )


async def test_a_failing_prepared_statement_rolls_back_the_orm_changes_too(core, db):
    def insert_then_fail(tx: Tx) -> None:
        _person_and_chat(tx)
        # An ask of a chat that does not exist: the foreign key refuses it.
        event_queries.create_ask(tx, 999_999, "gil-io", None, NOW)

    with pytest.raises(IntegrityError):
        await db.write_tx(insert_then_fail)

    with db.read_session() as session:
        assert session.scalars(select(Person)).all() == []
    assert await db.write_tx(lambda tx: event_queries.ensure_person(tx, "x", "1", "", NOW).id)
