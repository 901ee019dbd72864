"""conversation access keys and client metadata; API token scopes and expiry

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 07:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("access_key_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("client_metadata", sa.JSON(), nullable=True))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scopes", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("scopes")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("client_metadata")
        batch_op.drop_column("access_key_hash")
