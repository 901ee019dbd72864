"""Migration 0006 moves customer ids stored before it into their channel's namespace (issue 11, M4),
and back on a downgrade (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import text

from desk.database import MIGRATIONS_DIR, make_engine, normalise_url
from desk.models import Base

APP_ID, CORP_ID = "wx5f6e7d8c9b0a1234", "ww1234567890abcdef"
OPENID, EXTERNAL = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "wmAbCdEf0123"
# conversation id, channel, customer id before → after, channel data before → after
ROWS = [
    ("wechat:a", "wechat", OPENID, f"wechat:{APP_ID}:{OPENID}", None, {"openid": OPENID}),
    ("wechat:b", "wechat", OPENID, f"wechat:{APP_ID}:{OPENID}", {"openid": OPENID, "account": "gh_1"}, None),
    ("wecom:k:u", "wecom", EXTERNAL, f"wecom:{CORP_ID}:{EXTERNAL}", None, None),
    ("slack:T1:C1:1.0", "slack", "slack:T1:U1", "slack:T1:U1", None, None),
    ("int:crm:c1", "api", "int:crm:u-42", "int:crm:u-42", None, None),
    # Claimed by an unauthenticated caller before integrations had their namespace.
    ("demo-1", "api", "u-42", "legacy:api:u-42", None, None),
    ("demo-2", "api", "x" * 128, None, None, None),
    ("web:abc", "web", None, None, None, None),
]


def alembic(url: str, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    getattr(command, action)(config, revision)


def as_dict(value: object) -> Any:
    """A JSON column read with plain SQL: a dict on PostgreSQL, text on SQLite."""
    return json.loads(value) if isinstance(value, str) else value


def customers(url: str) -> dict[str, tuple[str | None, object]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, customer_id, channel_data FROM conversations")).all()
    finally:
        engine.dispose()
    return {row[0]: (row[1], row[2]) for row in rows}


def test_customer_ids_move_into_their_channels_namespace_and_back(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    alembic(database_url, "downgrade", "0005")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        for conversation_id, channel, before, _, data, _ in ROWS:
            connection.execute(
                text(
                    "INSERT INTO conversations (id, channel, customer_id, channel_data, language, status, "
                    "created_at, updated_at) VALUES (:id, :channel, :customer, :data, 'zh', 'bot', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {
                    "id": conversation_id,
                    "channel": channel,
                    "customer": before,
                    "data": None if data is None else json.dumps(data),
                },
            )
    engine.dispose()
    monkeypatch.setenv("WECHAT_APP_ID", APP_ID)
    monkeypatch.setenv("WECOM_CORP_ID", CORP_ID)

    alembic(database_url, "upgrade", "head")
    after = customers(database_url)
    for conversation_id, _, _, expected, _, added in ROWS:
        customer_id, channel_data = after[conversation_id]
        if conversation_id == "demo-2":  # too long for its namespace: a digest stands in
            assert customer_id is not None and customer_id.startswith("legacy:api:sha256:") and len(customer_id) < 128
            continue
        assert customer_id == expected, conversation_id
        if added is not None:  # a WeChat conversation without its address gets the OpenID there
            assert as_dict(channel_data) == added

    alembic(database_url, "downgrade", "0005")
    restored = customers(database_url)
    for conversation_id, _, before, _, _, _ in ROWS:
        if conversation_id != "demo-2":
            assert restored[conversation_id][0] == before, conversation_id
    alembic(database_url, "upgrade", "head")


def test_without_the_account_a_platform_id_stays_apart_from_new_ones(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    alembic(database_url, "downgrade", "0005")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO conversations (id, channel, customer_id, language, status, created_at, updated_at) "
                "VALUES ('wechat:a', 'wechat', :openid, 'zh', 'bot', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"openid": OPENID},
        )
    engine.dispose()
    monkeypatch.delenv("WECHAT_APP_ID", raising=False)
    alembic(database_url, "upgrade", "head")
    assert customers(database_url)["wechat:a"][0] == f"legacy:wechat:{OPENID}"


def test_the_migrations_build_the_tables_the_models_declare(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()
