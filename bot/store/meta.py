"""Small facts about the database itself, such as the version of the synced bank."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from bot.store.models import Meta

__all__ = ["bank_version", "bump_bank_version"]

BANK_VERSION = "bank_version"


def bank_version(session: Session) -> str | None:
    row = session.get(Meta, BANK_VERSION)
    return row.value if row else None


def bump_bank_version(session: Session) -> None:
    """Running bots compare this to the version they loaded, and reload when it moved."""
    row = session.get(Meta, BANK_VERSION)
    if row is None:
        session.add(Meta(key=BANK_VERSION, value=uuid.uuid4().hex))
    else:
        row.value = uuid.uuid4().hex
