"""Slack's request signing, version 0: every request Slack sends carries
`X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{X-Slack-Request-Timestamp}:{raw body}">`, keyed with
the app's signing secret. A request is accepted when the signature matches (compared in constant
time) and its timestamp is within the window (five minutes, against replays).

slack_sdk's `SignatureVerifier` does not fit: it decodes the body as UTF-8 (raising on other bytes,
which anyone can send), raises on a non-numeric timestamp or a non-ASCII signature, and fixes the
window. The tests check this implementation against it and against Slack's documented example.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

TIMESTAMP_HEADER = "x-slack-request-timestamp"
SIGNATURE_HEADER = "x-slack-signature"


class SlackRequestVerifier:
    def __init__(self, signing_secret: str, window_seconds: int = 300, clock: Callable[[], float] = time.time) -> None:
        self._secret = signing_secret.encode()
        self._window = window_seconds
        self._clock = clock

    def signature(self, timestamp: str, body: bytes) -> str:
        """`v0=` and the hex digest Slack would send for this timestamp and body."""
        digest = hmac.new(self._secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
        return "v0=" + digest.hexdigest()

    def is_valid(self, body: bytes, timestamp: str | None, signature: str | None) -> bool:
        if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit():
            return False
        if len(timestamp) > 12 or abs(self._clock() - int(timestamp)) > self._window:
            return False
        if not signature.isascii() or not signature.startswith("v0="):
            return False
        return hmac.compare_digest(self.signature(timestamp, body).encode(), signature.encode())

    def is_valid_request(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """`headers`: the request's headers (Starlette's are case-insensitive)."""
        return self.is_valid(body, headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER))
