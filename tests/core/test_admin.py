from bot.core import actions
from bot.core.catalog import Catalog
from bot.core.handler import Core, ReloadContent
from bot.core.outbox import Outbox, Outgoing
from bot.core.replies import Message
from bot.core.srs import make_scheduler
from tests.fakes.chat import FakeChat, labels, only


async def admin_core(
    db, clock, reload_content: ReloadContent | None = None, outbox: Outbox | None = None
) -> Core:
    core = Core(
        db,
        Catalog(),
        clock=clock,
        scheduler=make_scheduler(fuzzing=False),
        admin_ids=frozenset({"test:1"}),
        reload_content=reload_content,
        outbox=outbox,
    )
    await core.load_topics()
    return core


async def test_forget_asks_for_confirmation_then_deletes(core):
    chat = FakeChat.private(core)
    question = only(await chat.say("/quiz"))
    await chat.press(actions.answer(question.ask_id, question.correct_index))
    confirm = only(await chat.say("/forget"))
    assert "cannot be undone" in confirm.markdown
    assert labels(confirm) == ["Yes, delete everything", "Cancel"]
    cancelled = only(await chat.press(actions.forget(confirm=False)))
    assert cancelled.markdown == "Nothing was deleted."
    assert "Answered: 1" in only(await chat.say("/stats")).markdown
    done = only(await chat.press(actions.forget(confirm=True)))
    assert "deleted" in done.markdown
    assert only(await chat.say("/stats")).markdown.startswith("You have not answered")


async def test_reload_is_for_admins_only(core, db, clock):
    reloaded = []

    async def fake_reload() -> str:
        reloaded.append(True)
        return "0 added, 0 updated, 0 retired, 5 unchanged"

    admin = await admin_core(db, clock, reload_content=fake_reload)
    assert "not allowed" in only(await FakeChat.private(admin, "2", "Eve").say("/reload")).markdown
    reply = only(await FakeChat.private(admin, "1", "Root").say("/reload"))
    assert reply.markdown == "Bank reloaded: 0 added, 0 updated, 0 retired, 5 unchanged."
    assert reloaded == [True]


async def test_broadcast_posts_to_every_subscribed_chat(core, db, clock):
    outbox = Outbox()
    admin = await admin_core(db, clock, outbox=outbox)
    for person in ("3", "4"):
        done = only(await FakeChat.private(admin, person, "Sub").say("/daily 08:00"))
        assert "Done" in done.markdown
    refused = only(await FakeChat.private(admin, "2", "Eve").say("/broadcast hi"))
    assert "not allowed" in refused.markdown
    reply = only(await FakeChat.private(admin, "1", "Root").say("/broadcast New topics are in!"))
    assert reply.markdown == "Broadcast on its way to 2 subscribed chat(s)."
    posted = {await outbox.next(), await outbox.next()}
    message = (Message("New topics are in!"),)
    assert posted == {Outgoing("test", "dm-3", message), Outgoing("test", "dm-4", message)}


async def test_help_shows_admin_commands_to_admins(db, clock):
    admin = await admin_core(db, clock)
    assert "/broadcast" in only(await FakeChat.private(admin, "1", "Root").say("/help")).markdown


async def test_running_core_picks_up_a_content_sync_from_another_process(core, db, tmp_path):
    import shutil

    from bot.bank.sync import sync_bank
    from bot.bank.validate import load_bank
    from tests.conftest import FIXTURE_CONTENT

    assert await core.refresh_topics() is False
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    path = content / "celery.md"
    path.write_text(path.read_text().replace("title: Celery", "title: Celery tasks"))
    bank, _ = load_bank(content)
    await sync_bank(db, bank)  # as `revision-bot content sync` would, elsewhere
    assert await core.refresh_topics() is True
    assert core.index.topics["celery"].title == "Celery tasks"


async def test_reload_syncs_the_real_bank_without_blocking_itself(db, clock, tmp_path):
    import shutil

    from bot.app import load_content
    from bot.config import Settings
    from tests.conftest import FIXTURE_CONTENT

    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    settings = Settings(_env_file=None, content_dir=content)  # type: ignore[call-arg]

    async def reload_from_disk() -> str:
        return str(await load_content(settings, db))

    admin = await admin_core(db, clock, reload_content=reload_from_disk)
    celery = content / "celery.md"
    celery.write_text(celery.read_text().replace("title: Celery", "title: Celery task queue"))
    reply = only(await FakeChat.private(admin, "1", "Root").say("/reload"))
    assert reply.markdown.startswith("Bank reloaded:")
    assert admin.index.topics["celery"].title == "Celery task queue"
