"""the inbox: platform updates stored before they are confirmed; it replaces seen_events

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", bot.store.models.UtcDateTime(), nullable=False),
        sa.Column("handled_at", bot.store.models.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("key", name=op.f("uq_inbox_key")),
    )
    op.create_index("ix_inbox_platform_handled", "inbox", ["platform", "handled_at"])
    with op.batch_alter_table("seen_events") as batch_op:
        batch_op.drop_index("ix_seen_events_seen_at")
    op.drop_table("seen_events")


def downgrade() -> None:
    op.create_table(
        "seen_events",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("seen_at", bot.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_seen_events")),
    )
    op.create_index("ix_seen_events_seen_at", "seen_events", ["seen_at"])
    op.drop_index("ix_inbox_platform_handled", table_name="inbox")
    op.drop_table("inbox")
