"""learners: people joined across platforms with /link, their one-time codes and wrong tries

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch_op:
        batch_op.add_column(sa.Column("learner_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_people_learner_id_people"),
            "people",
            ["learner_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(op.f("ix_people_learner_id"), ["learner_id"])
    op.create_table(
        "link_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", bot.store.models.UtcDateTime(), nullable=False),
        sa.Column("used_at", bot.store.models.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["people.id"],
            name=op.f("fk_link_codes_learner_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_link_codes")),
    )
    op.create_table(
        "link_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("at", bot.store.models.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_link_attempts_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_attempts")),
    )
    op.create_index("ix_link_attempts_person_at", "link_attempts", ["person_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_link_attempts_person_at", table_name="link_attempts")
    op.drop_table("link_attempts")
    op.drop_table("link_codes")
    with op.batch_alter_table("people") as batch_op:
        batch_op.drop_index(op.f("ix_people_learner_id"))
        batch_op.drop_constraint(op.f("fk_people_learner_id_people"), type_="foreignkey")
        batch_op.drop_column("learner_id")
