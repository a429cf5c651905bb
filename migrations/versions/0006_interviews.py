"""mock interviews: rounds, their per-person answers, and the round an ask belongs to

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "interviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("is_group", sa.Boolean(), nullable=False),
        sa.Column("running_key", sa.String(length=40), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=True),
        sa.Column("question_ids", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("current_ask_id", sa.BigInteger(), nullable=True),
        sa.Column("asked_at", bot.store.models.UtcDateTime(), nullable=True),
        sa.Column("revealed_at", bot.store.models.UtcDateTime(), nullable=True),
        sa.Column("deadline", bot.store.models.UtcDateTime(), nullable=True),
        sa.Column("last_activity", bot.store.models.UtcDateTime(), nullable=False),
        sa.Column("started_at", bot.store.models.UtcDateTime(), nullable=False),
        sa.Column("ended_at", bot.store.models.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_interviews_chat_id_chats"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_interviews_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interviews")),
        sa.UniqueConstraint("running_key", name=op.f("uq_interviews_running_key")),
    )
    op.create_index("ix_interviews_state_deadline", "interviews", ["state", "deadline"])
    op.create_index(op.f("ix_interviews_person_id"), "interviews", ["person_id"])
    op.create_table(
        "interview_answers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("answered_at", bot.store.models.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["interviews.id"],
            name=op.f("fk_interview_answers_interview_id_interviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_interview_answers_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_interview_answers_question_id_questions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interview_answers")),
        sa.UniqueConstraint(
            "interview_id",
            "position",
            "person_id",
            name=op.f("uq_interview_answers_interview_id"),
        ),
    )
    with op.batch_alter_table("asks") as batch_op:
        batch_op.add_column(sa.Column("interview_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_asks_interview_id_interviews"),
            "interviews",
            ["interview_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("asks") as batch_op:
        batch_op.drop_constraint("fk_asks_interview_id_interviews", type_="foreignkey")
        batch_op.drop_column("interview_id")
    op.drop_table("interview_answers")
    op.drop_index(op.f("ix_interviews_person_id"), table_name="interviews")
    op.drop_index("ix_interviews_state_deadline", table_name="interviews")
    op.drop_table("interviews")
