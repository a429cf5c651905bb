import shutil

from sqlalchemy import func, select

from bot.bank.sync import sync_bank
from bot.bank.validate import load_bank
from bot.core import actions
from bot.store.models import Question, Schedule
from tests.conftest import FIXTURE_CONTENT
from tests.fakes.chat import FakeChat, only


async def count(db, model) -> int:
    with db.read_session() as session:
        return (session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_sync_is_idempotent(core, db):
    bank, _ = load_bank(FIXTURE_CONTENT)
    report = await sync_bank(db, bank)
    assert (report.added, report.updated, report.retired) == (0, 0, 0)
    assert report.unchanged == len(bank.questions)
    assert await count(db, Question) == len(bank.questions)


async def test_rewording_a_question_keeps_progress(core, db, tmp_path):
    chat = FakeChat.private(core)
    question = only(await chat.say("/quiz gil"))
    await chat.press(actions.answer(question.ask_id, question.correct_index))

    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    path = content / "gil.md"
    path.write_text(
        path.read_text().replace("What does the GIL allow?", "What does the GIL permit?")
    )
    bank, problems = load_bank(content)
    assert problems == []
    report = await sync_bank(db, bank)
    assert report.updated == 1

    with db.read_session() as session:
        reworded = session.get(Question, "gil-one-thread")
        assert reworded.prompt == "What does the GIL permit?"
    assert await count(db, Schedule) == 1
    assert "Answered: 1" in only(await chat.say("/stats")).markdown


async def test_removed_questions_are_retired_not_deleted(core, db, tmp_path):
    chat = FakeChat.private(core)
    question = only(await chat.say("/quiz celery"))
    await chat.press(actions.answer(question.ask_id, question.correct_index))

    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(FIXTURE_CONTENT / "gil.md", content / "gil.md")
    text = (content / "gil.md").read_text().replace("see_also: [celery]", "see_also: []")
    (content / "gil.md").write_text(text)
    bank, problems = load_bank(content)
    assert problems == []
    report = await sync_bank(db, bank)
    assert report.retired == 2
    with db.read_session() as session:
        retired = session.get(Question, "celery-broker")
        assert retired.retired
    await core.load_topics()
    assert "No topic matches" in only(await chat.say("/quiz celery")).markdown
    assert "Answered: 1" in only(await chat.say("/stats")).markdown
