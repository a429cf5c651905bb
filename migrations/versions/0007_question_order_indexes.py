"""indexes for picking the next unseen question in bank order

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 12:55:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.drop_index("ix_questions_topic_id")
        batch.create_index("ix_questions_live_order", ["retired", "position"])
        batch.create_index("ix_questions_topic_order", ["topic_id", "retired", "position"])


def downgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.drop_index("ix_questions_topic_order")
        batch.drop_index("ix_questions_live_order")
        batch.create_index("ix_questions_topic_id", ["topic_id"])
