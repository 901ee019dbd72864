"""Signed platform callbacks taken once (WeChat, WeCom).

A platform signs a callback's timestamp and nonce (WeChat's URL signature, WeCom's msg_signature),
and the timestamp window alone lets whoever captured one request send it again for minutes. The
same request carries the same signature, so a signature is taken once: it is recorded in the desk
database (`ChannelState.remember_once`), which every replica and a restart share, for twice the
window (a timestamp may be as far ahead of our clock as behind it); after that the window refuses
the request anyway.
"""

from __future__ import annotations

from engine.blocking import run_blocking
from engine.port import ChannelState


class ReplayGuard:
    def __init__(self, state: ChannelState, channel: str, window_seconds: float) -> None:
        self._state = state
        self._channel = channel
        self._keep_seconds = 2 * window_seconds

    async def first_time(self, signature: str) -> bool:
        """Whether this signature is new; call it only once the request's signature has been checked,
        so nobody can spend a signature WeChat has not made."""
        return await run_blocking(self._state.remember_once, self._channel, _key(signature), self._keep_seconds)

    async def forget(self, signature: str) -> None:
        """The request was refused for a reason of ours (its message could not be stored): the
        platform's retry of it, which may carry the same signature, must be taken. Best effort: with
        the database down this fails as well, and is logged by the caller."""
        await run_blocking(self._state.forget_once, self._channel, _key(signature))


def _key(signature: str) -> str:
    return f"signature:{signature.lower()}"
