"""What the WeCom adapter keeps across restarts (in `channel_state`): the `kf/sync_msg` cursor of each
customer-service account (open_kfid), the accounts it has synced, and the cached access token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.port import ChannelState

CHANNEL = "wecom"
ACCOUNTS = "accounts"
ACCESS_TOKEN = "access_token"


@dataclass(frozen=True)
class CachedToken:
    value: str
    expires_at: datetime


class WeComState:
    def __init__(self, store: ChannelState) -> None:
        self._store = store

    def cursor(self, open_kfid: str) -> str:
        """Where the next `sync_msg` of this account starts ("" before its first sync)."""
        value = self._store.get(CHANNEL, f"cursor:{open_kfid}")
        return str(value.get("cursor", "")) if value else ""

    def save_cursor(self, open_kfid: str, cursor: str) -> None:
        self._store.put(CHANNEL, f"cursor:{open_kfid}", {"cursor": cursor})
        self.add_account(open_kfid)

    def add_account(self, open_kfid: str) -> None:
        """An account WeCom announced news for: caught up at start from now on, even before its first
        sync saved a cursor."""
        known = self.accounts()
        if open_kfid not in known:
            self._store.put(CHANNEL, ACCOUNTS, {"open_kfids": sorted([*known, open_kfid])})

    def accounts(self) -> list[str]:
        """The accounts synced before (caught up at start)."""
        value = self._store.get(CHANNEL, ACCOUNTS) or {}
        return [str(kfid) for kfid in value.get("open_kfids", [])]

    def access_token(self) -> CachedToken | None:
        value = self._store.get(CHANNEL, ACCESS_TOKEN)
        if not value:
            return None
        try:
            return CachedToken(str(value["token"]), datetime.fromisoformat(str(value["expires_at"])))
        except (KeyError, ValueError):
            return None

    def save_access_token(self, token: CachedToken) -> None:
        self._store.put(CHANNEL, ACCESS_TOKEN, {"token": token.value, "expires_at": token.expires_at.isoformat()})

    def forget_access_token(self) -> None:
        self._store.delete(CHANNEL, ACCESS_TOKEN)
