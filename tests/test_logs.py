import json
import logging

import pytest

from bot.logs import bind_update, configure_logging


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_logs_are_one_object_per_line_with_the_update(capsys, restore_logging):
    configure_logging("INFO", "json")
    bind_update("telegram", "42", "quiz")
    logging.getLogger("bot.test").info("handled %s", "it")
    line = capsys.readouterr().err.strip()
    entry = json.loads(line)
    assert entry["message"] == "handled it"
    assert (entry["platform"], entry["chat"], entry["command"]) == ("telegram", "42", "quiz")


def test_secrets_never_reach_the_log(capsys, restore_logging):
    configure_logging("INFO", "text", secrets=["123456:SECRET-TOKEN", "SECRET-TOKEN"])
    log = logging.getLogger("bot.test")
    log.info("POST https://api.telegram.org/bot123456:SECRET-TOKEN/sendMessage")
    try:
        raise RuntimeError("failed at /bot123456:SECRET-TOKEN/getMe")
    except RuntimeError:
        log.exception("boom")
    err = capsys.readouterr().err
    assert "SECRET-TOKEN" not in err
    assert "[secret]" in err


def test_httpx_request_lines_are_silenced(restore_logging):
    configure_logging("INFO", "text")
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
