"""Settings of the app (environment prefix `APP_`)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from desk.answer_backlog import RetrySchedule
from engine.rate_limiter import check_redis_url, check_storage_uri, parse_limits

# The secrets, and their variables. One left unset is a random value for this process, never a
# well-known placeholder: a deployment that forgets APP_ENVIRONMENT=production must not leave
# /webhook (the actions) or the console's cookies open to anyone who has read this file.
SECRETS = {"rasa_token": "APP_RASA_TOKEN", "action_token": "APP_ACTION_TOKEN", "secret_key": "APP_SECRET_KEY"}


def _random_secret() -> SecretStr:
    return SecretStr(secrets.token_urlsafe(48))


def _rate_limit(text: str) -> str:
    parse_limits(text)
    return text


# A rate limit as the `limits` library writes it: "30/minute", or several, "20/minute;300/day".
RateLimitText = Annotated[str, AfterValidator(_rate_limit)]


class AppSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    # Rasa's HTTP server: REST channel and HTTP API, on loopback.
    rasa_url: str = "http://127.0.0.1:5005"
    # Unset: a random one, which Rasa (started with another) refuses: set it for both (`make run` does).
    rasa_token: SecretStr = Field(default_factory=_random_secret)
    # Rasa sends it with every action call (endpoints.yml), so nobody else can run the actions.
    action_token: SecretStr = Field(default_factory=_random_secret)
    rasa_timeout: float = Field(default=15.0, gt=0)
    migrate_on_start: bool = True
    # Load the retriever's index and model (and fit the case reader's learned part) at start.
    warm_up_retriever: bool = True
    # Send the knowledge base's evidence with each customer message, for Rasa's routing step to weigh
    # against DIET (docs/routing.md). Off: Rasa routes on DIET alone (bench.routing_cost compares).
    routing_evidence: bool = True
    # Signs the console's session cookie (unset: a random key, so sessions end when the process does).
    secret_key: SecretStr = Field(default_factory=_random_secret)
    # The first admin, created at start when no admin exists; required in production.
    admin_username: str = "admin"
    admin_password: SecretStr | None = None
    session_hours: float = Field(default=12.0, gt=0)
    # Send the session cookie over HTTPS only (on by default in production).
    secure_cookies: bool | None = None
    # How often the delivery worker looks for replies due (another) delivery attempt.
    delivery_poll_seconds: float = Field(default=1.0, gt=0)
    # A customer message whose turn failed (Rasa down or too slow) is answered by the retry loop
    # (engine/retries.py), its answer pushed through the conversation's channel: first after this
    # many seconds, then twice as long each time up to the longest wait; given up this many hours
    # after the customer wrote (the console shows it "unanswered").
    answer_retry_seconds: float = Field(default=5.0, gt=0)
    answer_retry_longest_seconds: float = Field(default=300.0, gt=0)
    answer_retry_give_up_hours: float = Field(default=24.0, gt=0)
    # On SIGTERM, requests still running after this many seconds are cancelled and the app stops.
    shutdown_seconds: int = Field(default=10, ge=1)

    # Who the client is, and what one client may do (api/client_address.py, api/public_limits.py;
    # the table of limits and why each is what it is: README, Configuration).
    # Reverse proxies whose X-Forwarded-For names the client: addresses or networks, comma-separated.
    # None by default: the peer is the client, and X-Forwarded-For is ignored.
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)
    # Several app replicas: the Redis they share (redis://host:6379/0). Set, the live events (console,
    # event streams, web chat), socket.io's sessions and knowledge-base publications reach every
    # replica through its pub/sub, and the rate-limit counters default to it. Unset (the default):
    # one process, everything in memory. The replicas of one deployment share `redis_prefix` too
    # (it names their pub/sub channels; another deployment on the same Redis takes another).
    redis_url: Annotated[str, AfterValidator(check_redis_url)] | None = None
    redis_prefix: str = Field(default="lumio", pattern=r"^[A-Za-z0-9_.:-]+$")
    # Work one replica does at a time (a WeCom account's message sync) holds a lease in the desk
    # database this long, renewed every third of it (engine/leases.py): a replica that dies holding
    # one is taken over this long after its last renewal.
    lease_seconds: float = Field(default=30.0, ge=3)
    # Where rate-limit counters live: this process, or a Redis every replica shares (redis://host:6379/0).
    # Unset: `redis_url` when that is set, else memory://.
    rate_limit_storage: Annotated[str, AfterValidator(check_storage_uri)] = "memory://"
    rate_limit_conversation_starts: RateLimitText = "20/minute"  # per client
    rate_limit_messages: RateLimitText = "30/minute"  # per conversation
    rate_limit_client_messages: RateLimitText = "120/minute"  # per client (browsers; integrations are not)
    rate_limit_reads: RateLimitText = "120/minute"  # per conversation: reads, event tickets, streams
    rate_limit_client_reads: RateLimitText = "600/minute"  # per client (browsers)
    rate_limit_escalations: RateLimitText = "3/hour"  # new escalations per conversation
    rate_limit_client_escalations: RateLimitText = "10/hour"  # new escalations per client
    rate_limit_sign_ins: RateLimitText = "30/minute"  # console sign-in attempts per client
    # Open event streams (per client: a browser, a staff member, an integration) in this process.
    max_event_streams_per_client: int = Field(default=20, ge=1)
    max_event_streams: int = Field(default=1000, ge=1)
    # Argon2 hashes at once in this process (64 MiB and a core each); more sign-ins wait their turn.
    password_hashing_slots: int = Field(default=2, ge=1)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value

    @property
    def answer_retries(self) -> RetrySchedule:
        return RetrySchedule(
            first=timedelta(seconds=self.answer_retry_seconds),
            longest=timedelta(seconds=max(self.answer_retry_seconds, self.answer_retry_longest_seconds)),
            give_up_after=timedelta(hours=self.answer_retry_give_up_hours),
        )

    @property
    def cookies_secure(self) -> bool:
        return self.secure_cookies if self.secure_cookies is not None else self.environment == "production"

    @property
    def generated_secrets(self) -> list[str]:
        """The variables of the secrets that were not set (random for this process)."""
        return [variable for name, variable in SECRETS.items() if name not in self.model_fields_set]

    @model_validator(mode="after")
    def _rate_limits_shared_with_replicas(self) -> AppSettings:
        if self.redis_url is not None and "rate_limit_storage" not in self.model_fields_set:
            self.rate_limit_storage = self.redis_url
        return self

    @model_validator(mode="after")
    def _real_secrets_in_production(self) -> AppSettings:
        for name, variable in SECRETS.items():
            if not getattr(self, name).get_secret_value().strip():
                raise ValueError(f"{variable} must not be empty")
        if self.environment != "production":
            return self
        # Production runs with Rasa and with several processes or restarts: a secret of this process only
        # would break them (and hide a deployment mistake).
        if missing := self.generated_secrets:
            raise ValueError(f"{', '.join(missing)} must be set to a real secret in production")
        if len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("APP_SECRET_KEY must be set to a random secret of at least 32 characters in production")
        if self.admin_password is None or len(self.admin_password.get_secret_value()) < 12:
            raise ValueError("APP_ADMIN_PASSWORD (at least 12 characters) must be set in production")
        return self


@lru_cache(maxsize=1)
def get_settings() -> AppSettings:
    return AppSettings()
