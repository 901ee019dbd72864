"""Channel adapters' durable state: a value per channel and key, replaced by the last writer, and keys
remembered once for a while (the signatures of callbacks taken)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


def test_a_key_is_remembered_once_for_its_time_by_every_replica(sessions: sessionmaker[Session]) -> None:
    now = [datetime(2026, 12, 1, 12, 0, tzinfo=UTC)]
    store = ChannelStateStore(sessions, clock=lambda: now[0])
    assert store.remember_once("wechat", "signature:ab", 600) is True
    assert store.remember_once("wechat", "signature:ab", 600) is False
    # Another replica (or the app after a restart) shares the record; another channel has its own.
    assert ChannelStateStore(sessions, clock=lambda: now[0]).remember_once("wechat", "signature:ab", 600) is False
    assert store.remember_once("wecom", "signature:ab", 600) is True
    store.put("wechat", "access_token:wx1", {"access_token": "a"})
    now[0] += timedelta(seconds=599)
    assert store.remember_once("wechat", "signature:ab", 600) is False
    now[0] += timedelta(seconds=2)  # past its time: dropped on the way, and taken again
    assert store.remember_once("wechat", "signature:cd", 600) is True
    assert store.remember_once("wechat", "signature:ab", 600) is True
    assert store.get("wechat", "access_token:wx1") == {"access_token": "a"}  # values are never dropped


def test_a_remembered_key_can_be_forgotten_for_a_retry(sessions: sessionmaker[Session]) -> None:
    store = ChannelStateStore(sessions)
    assert store.remember_once("wechat", "signature:ab", 600) is True
    store.put("wechat", "signature:ab", {"kept": True})  # a value of the same name is another record
    store.forget_once("wechat", "signature:ab")  # its message could not be stored: the retry is taken
    assert store.remember_once("wechat", "signature:ab", 600) is True
    assert store.get("wechat", "signature:ab") == {"kept": True}
    store.forget_once("wecom", "never-remembered")
