"""Channel adapters' durable state: a value per channel and key, replaced by the last writer."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from desk.channel_state import ChannelStateStore


def test_values_are_kept_per_channel_and_key_and_replaced(sessions: sessionmaker[Session]) -> None:
    store = ChannelStateStore(sessions)
    assert store.get("wechat", "access_token:wx1") is None
    store.put("wechat", "access_token:wx1", {"access_token": "a", "expires_at": 1.5})
    store.put("wecom", "access_token:wx1", {"token": "b"})
    assert store.get("wechat", "access_token:wx1") == {"access_token": "a", "expires_at": 1.5}
    store.put("wechat", "access_token:wx1", {"access_token": "c", "expires_at": 2.5})
    # Another instance (another replica, or the app after a restart) reads the same value.
    assert ChannelStateStore(sessions).get("wechat", "access_token:wx1") == {"access_token": "c", "expires_at": 2.5}
    store.delete("wechat", "access_token:wx1")
    store.delete("wechat", "never-stored")
    assert store.get("wechat", "access_token:wx1") is None
    assert store.get("wecom", "access_token:wx1") == {"token": "b"}
