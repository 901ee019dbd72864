"""customer ids namespaced by channel; customer links

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 09:00:00

Customer ids stored before this revision are moved into their channel's namespace (desk.customers):
a WeChat OpenID becomes `wechat:<appid>:<openid>` and a WeCom external_userid
`wecom:<corpid>:<external_userid>`, with the app id and corp id read once from `WECHAT_APP_ID` and
`WECOM_CORP_ID` (the channels' settings; the migration cannot import the channels). An id that cannot
be attributed (the channel's account is not configured now; an API customer id from before
integrations had their namespace, which anyone could claim) goes to `legacy:<channel>:<id>`: it joins
only the history it joined before, and no new id can ever equal it. Slack's and integrations' ids
are namespaced already. A WeChat conversation that lacks its delivery address gets its OpenID there.
"""

import hashlib
import os

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

MAX_ID = 128
# The namespace each channel's ids are in already.
NAMESPACE = {"wechat": "wechat:", "wecom": "wecom:", "slack": "slack:", "api": "int:"}
ACCOUNT_VARIABLE = {"wechat": "WECHAT_APP_ID", "wecom": "WECOM_CORP_ID"}
LEGACY = "legacy:"

conversations = sa.table(
    "conversations",
    sa.column("id", sa.String),
    sa.column("channel", sa.String),
    sa.column("customer_id", sa.String),
    sa.column("channel_data", sa.JSON),
)


def namespaced(channel: str, customer_id: str) -> str:
    account = (os.environ.get(ACCOUNT_VARIABLE.get(channel, "")) or "").strip()
    stored = f"{channel}:{account}:{customer_id}" if account else f"{LEGACY}{channel}:{customer_id}"
    if len(stored) > MAX_ID:  # an over-long legacy id stays distinct, if no longer readable
        stored = f"{LEGACY}{channel}:sha256:{hashlib.sha256(customer_id.encode()).hexdigest()}"
    return stored


def upgrade() -> None:
    op.create_table(
        "customer_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("linked_id", sa.String(length=128), nullable=False),
        sa.Column("created_by", sa.String(length=160), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_id", "linked_id"),
    )
    with op.batch_alter_table("customer_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_links_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_links_linked_id"), ["linked_id"], unique=False)

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            conversations.c.id, conversations.c.channel, conversations.c.customer_id, conversations.c.channel_data
        )
        .where(conversations.c.customer_id.is_not(None))
        .order_by(conversations.c.id)
    ).all()
    for conversation_id, channel, customer_id, channel_data in rows:
        if customer_id.startswith((NAMESPACE.get(channel, "\0"), LEGACY)):
            continue
        values: dict[str, object] = {"customer_id": namespaced(channel, customer_id)}
        if channel == "wechat" and not (channel_data or {}).get("openid"):
            # The WeChat adapter replies to the OpenID in channel_data; it no longer is the customer id.
            values["channel_data"] = {**(channel_data or {}), "openid": customer_id}
        connection.execute(conversations.update().where(conversations.c.id == conversation_id).values(**values))


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(conversations.c.id, conversations.c.channel, conversations.c.customer_id).where(
            conversations.c.customer_id.is_not(None)
        )
    ).all()
    for conversation_id, channel, customer_id in rows:
        # `<channel>:<account>:<id>` and `legacy:<channel>:<id>` back to `<id>` (hashed ones stay).
        is_native = channel in ACCOUNT_VARIABLE and customer_id.startswith(f"{channel}:")
        is_legacy = customer_id.startswith(LEGACY) and ":sha256:" not in customer_id
        if is_native or is_legacy:
            raw = customer_id.split(":", 2)[2]
            connection.execute(
                conversations.update().where(conversations.c.id == conversation_id).values(customer_id=raw)
            )
    with op.batch_alter_table("customer_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_links_linked_id"))
        batch_op.drop_index(batch_op.f("ix_customer_links_customer_id"))

    op.drop_table("customer_links")
