"""Settings of the Slack channel (environment prefix `SLACK_`)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SlackSettings(BaseSettings):
    """The channel is on when the signing secret and the bot token are set (only one of them stops
    the app with an error naming the other)."""

    model_config = SettingsConfigDict(env_prefix="SLACK_", extra="ignore")

    # Basic Information → App Credentials → Signing Secret: verifies that requests come from Slack.
    signing_secret: SecretStr | None = None
    # OAuth & Permissions → Bot User OAuth Token (`xoxb-…`): the Web API calls.
    bot_token: SecretStr | None = None
    api_base_url: str = "https://slack.com/api/"
    api_timeout: float = Field(default=10.0, gt=0)
    # Channel id (or name) where new escalations are announced; none: no announcements.
    escalation_channel: str | None = None
    # The console's public address for links in announcements (default: the app's host and port).
    console_base_url: str | None = None
    # Requests whose timestamp is further than this from now are refused (replays).
    signature_window_seconds: int = Field(default=300, ge=1, le=3600)
    # Larger requests get 413 (Slack's own are a few kilobytes).
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)

    @field_validator("signing_secret", "bot_token", mode="after")
    @classmethod
    def _empty_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None

    @field_validator("escalation_channel", "console_base_url", mode="after")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("api_base_url", mode="after")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("SLACK_API_BASE_URL must be an http(s) URL")
        return value.rstrip("/") + "/"

    @model_validator(mode="after")
    def _both_secrets_or_none(self) -> SlackSettings:
        if (self.signing_secret is None) != (self.bot_token is None):
            missing = "SLACK_BOT_TOKEN" if self.bot_token is None else "SLACK_SIGNING_SECRET"
            raise ValueError(f"the Slack channel is half configured: set {missing} as well")
        return self

    @property
    def enabled(self) -> bool:
        return self.signing_secret is not None and self.bot_token is not None
