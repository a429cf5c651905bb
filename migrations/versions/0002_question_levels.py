"""question levels, a person's default level; topic tags dropped (nothing read them)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch_op:
        batch_op.add_column(
            sa.Column("level", sa.String(length=10), nullable=False, server_default="mid")
        )
    with op.batch_alter_table("people") as batch_op:
        batch_op.add_column(sa.Column("level", sa.String(length=10), nullable=True))
    with op.batch_alter_table("topics") as batch_op:
        batch_op.drop_column("tags")


def downgrade() -> None:
    with op.batch_alter_table("topics") as batch_op:
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("people") as batch_op:
        batch_op.drop_column("level")
    with op.batch_alter_table("questions") as batch_op:
        batch_op.drop_column("level")
