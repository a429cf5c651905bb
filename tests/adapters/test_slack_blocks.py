"""Block Kit rendering: every reply fits Slack's limits, whatever the content."""

from __future__ import annotations

import yaml

from bot.adapters.slack import EVENTS_PATH
from bot.adapters.slack_blocks import home_view, render, tally_blocks
from bot.core.commands import COMMANDS
from bot.core.replies import Button, ChoicePrompt, Message
from bot.core.stats import Progress, Streak
from tests.conftest import REPO_ROOT


def test_long_options_are_listed_in_full_and_cut_on_their_buttons():
    option = "x" * 100
    prompt = ChoicePrompt(1, "GIL", "Which?", (option, "short", "other"), 0, "why")
    ((_text, blocks),) = render(prompt)
    section = next(b for b in blocks if b["type"] == "section")
    assert option in section["text"]["text"]
    labels = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert all(len(label) <= 75 for label in labels) and labels[0].endswith("…")


def test_many_buttons_go_in_actions_blocks_of_at_most_25_with_unique_ids():
    buttons = tuple(Button(f"Topic {n}", f"quiz:t{n}") for n in range(33))
    ((_text, blocks),) = render(Message("**Topics**", buttons=buttons))
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [len(b["elements"]) for b in actions] == [25, 8]
    ids = [e["action_id"] for b in actions for e in b["elements"]]
    assert len(set(ids)) == 33


def test_tally_is_replaced_not_stacked():
    question = [{"type": "section", "text": {"type": "mrkdwn", "text": "Q"}}]
    once = tally_blocks(question, 1)
    twice = tally_blocks(once, 2)
    assert len(twice) == 2 and twice[-1]["elements"][0]["text"] == "2 answers so far"


def test_markdown_becomes_mrkdwn():
    ((_text, blocks),) = render(Message("**Bold** and `code` and [docs](https://x.dev)"))
    assert blocks[0]["text"]["text"] == "*Bold* and `code` and <https://x.dev|docs>"


def test_home_shows_progress_with_quiz_button():
    progress = Progress(5, 4, 3, 2, Streak(1, 3), (("The GIL", 4, 1),))
    view = home_view(progress)
    text = "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")
    assert "Answered: 5" in text and "(75%)" in text and "The GIL: 1/4" in text
    assert view["type"] == "home"


def test_manifest_declares_every_command_and_event_the_app_handles():
    manifest = yaml.safe_load((REPO_ROOT / "slack-manifest.yml").read_text(encoding="utf-8"))
    declared = {c["command"].lstrip("/") for c in manifest["features"]["slash_commands"]}
    assert declared == {c.name for c in COMMANDS} - {"start"}
    urls = {c["url"] for c in manifest["features"]["slash_commands"]}
    urls |= {manifest["settings"]["event_subscriptions"]["request_url"]}
    urls |= {manifest["settings"]["interactivity"]["request_url"]}
    assert all(url.endswith(EVENTS_PATH) for url in urls)
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "message.im",
    }
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
