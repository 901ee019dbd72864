"""question labels: leads' verdicts on customer questions, for calibration and NLU training

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_labels",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("text_key", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("expected_faq_id", sa.String(length=96), nullable=True),
        sa.Column("bot_outcome", sa.String(length=16), nullable=True),
        sa.Column("bot_faq_id", sa.String(length=96), nullable=True),
        sa.Column("bot_confidence", sa.Float(), nullable=True),
        sa.Column("labelled_by", sa.String(length=160), nullable=False),
        sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("text_key"),
    )
    with op.batch_alter_table("question_labels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_labels_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_question_labels_expected_faq_id"), ["expected_faq_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_question_labels_bot_faq_id"), ["bot_faq_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("question_labels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_labels_bot_faq_id"))
        batch_op.drop_index(batch_op.f("ix_question_labels_expected_faq_id"))
        batch_op.drop_index(batch_op.f("ix_question_labels_conversation_id"))
    op.drop_table("question_labels")
