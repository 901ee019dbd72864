"""What one client may do on the public surfaces, as one app instance holds it: the rate limits (from
`AppSettings`; the table and why each is what it is: README, Configuration), the cap on open event
streams and the bound on concurrent password hashing. A refusal is 429 with `Retry-After`, in the
app's JSON error shape (api/errors.py); the console's sign-in page shows it as a page.
(The web chat's caps on sockets are the web chat's own: channels/webchat/settings.py.)"""

from __future__ import annotations

from dataclasses import dataclass

from anyio import CapacityLimiter
from starlette.exceptions import HTTPException

from api.settings import AppSettings
from engine.connection_caps import ConnectionCaps
from engine.escalation_budget import EscalationBudget
from engine.rate_limiter import Limits, RateLimiter, parse_limits


class TooManyRequests(HTTPException):
    def __init__(self, retry_after: int, detail: str) -> None:
        super().__init__(429, detail, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


@dataclass
class PublicLimits:
    limiter: RateLimiter
    conversation_starts: Limits
    messages: Limits
    client_messages: Limits
    reads: Limits
    client_reads: Limits
    sign_ins: Limits
    escalations: EscalationBudget
    streams: ConnectionCaps
    # Argon2 verifications and hashes run in worker threads only while they hold one of its tokens;
    # the others wait on the event loop, so a burst of sign-ins holds neither memory nor threads.
    hashing: CapacityLimiter

    @classmethod
    def for_settings(cls, settings: AppSettings) -> PublicLimits:
        limiter = RateLimiter(settings.rate_limit_storage)
        return cls(
            limiter=limiter,
            conversation_starts=parse_limits(settings.rate_limit_conversation_starts),
            messages=parse_limits(settings.rate_limit_messages),
            client_messages=parse_limits(settings.rate_limit_client_messages),
            reads=parse_limits(settings.rate_limit_reads),
            client_reads=parse_limits(settings.rate_limit_client_reads),
            sign_ins=parse_limits(settings.rate_limit_sign_ins),
            escalations=EscalationBudget(
                limiter,
                per_conversation=parse_limits(settings.rate_limit_escalations),
                per_client=parse_limits(settings.rate_limit_client_escalations),
            ),
            streams=ConnectionCaps(settings.max_event_streams_per_client, settings.max_event_streams),
            hashing=CapacityLimiter(settings.password_hashing_slots),
        )

    async def count(self, limits: Limits, what: str, key: str, refusal: str) -> None:
        """Count one `what` of `key` (a client, a conversation), or raise 429 saying `refusal`."""
        wait = await self.limiter.hit(limits, what, key)
        if wait:
            raise TooManyRequests(wait, f"{refusal} Try again in {wait} s.")

    async def close(self) -> None:
        await self.limiter.close()
