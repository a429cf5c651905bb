"""Concurrent updates: different chats at once, one chat in order."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.adapters.telegram_transport import PerChatUpdateProcessor


def message_update(update_id: int, chat_id: int) -> Update:
    chat = {"id": chat_id, "type": "private", "first_name": "P"}
    message = {"message_id": update_id, "date": 1_700_000_000, "chat": chat, "text": "/help"}
    return Update.de_json({"update_id": update_id, "message": message}, None)


def poll_answer_update(update_id: int, user_id: int) -> Update:
    answer = {
        "poll_id": "p1",
        "user": {"id": user_id, "is_bot": False, "first_name": "P"},
        "option_ids": [0],
        "option_persistent_ids": ["0"],
    }
    return Update.de_json({"update_id": update_id, "poll_answer": answer}, None)


async def test_one_chat_runs_in_order_while_another_chat_goes_ahead():
    processor = PerChatUpdateProcessor(8)
    log: list[str] = []
    first_may_finish = asyncio.Event()

    async def work(name: str, gate: asyncio.Event | None = None) -> None:
        log.append(f"start {name}")
        if gate is not None:
            await gate.wait()
        log.append(f"end {name}")

    async with processor:
        first = asyncio.create_task(
            processor.process_update(message_update(1, 7), work("quiz", first_may_finish))
        )
        await asyncio.sleep(0)
        answer = asyncio.create_task(
            processor.process_update(poll_answer_update(2, 7), work("answer"))
        )
        other = asyncio.create_task(processor.process_update(message_update(3, 9), work("other")))
        await other
        assert log == ["start quiz", "start other", "end other"]
        first_may_finish.set()
        await asyncio.gather(first, answer)
    assert log[3:] == ["end quiz", "start answer", "end answer"]
