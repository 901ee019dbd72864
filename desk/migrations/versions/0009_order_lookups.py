"""order lookups: the phone checks of P19 and the cases they showed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_lookups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("case", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_order_lookups_conversation_id", "order_lookups", ["conversation_id"])
    op.create_index("ix_order_lookups_number", "order_lookups", ["number"])
    op.create_index("ix_order_lookups_created_at", "order_lookups", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_order_lookups_created_at", table_name="order_lookups")
    op.drop_index("ix_order_lookups_number", table_name="order_lookups")
    op.drop_index("ix_order_lookups_conversation_id", table_name="order_lookups")
    op.drop_table("order_lookups")
