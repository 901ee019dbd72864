"""answer retries: which customer message a bot message answers, messages by state; feedback keyed
by the message that gave it and what it is about

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-11 09:00:00

Feedback stored before this revision has no `about` (NULL never collides), so it stays as it is.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_to", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_messages_reply_to"), ["reply_to"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_state"), ["state"], unique=False)
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("about", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_feedback_conversation_id_kind_about"), ["conversation_id", "kind", "about"]
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_feedback_conversation_id_kind_about"), type_="unique")
        batch_op.drop_column("about")
        batch_op.drop_column("message_id")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_state"))
        batch_op.drop_index(batch_op.f("ix_messages_reply_to"))
        batch_op.drop_column("reply_to")
