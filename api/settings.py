"""Settings of the app (environment prefix `APP_`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_RASA_TOKEN = "development-only-rasa-token"
DEVELOPMENT_ACTION_TOKEN = "development-only-action-token"
DEVELOPMENT_SECRET_KEY = "development-only-secret-key"


class AppSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    # Rasa's HTTP server: REST channel and HTTP API, on loopback.
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: SecretStr = SecretStr(DEVELOPMENT_RASA_TOKEN)
    # Rasa sends it with every action call (endpoints.yml), so nobody else can run the actions.
    action_token: SecretStr = SecretStr(DEVELOPMENT_ACTION_TOKEN)
    rasa_timeout: float = Field(default=15.0, gt=0)
    migrate_on_start: bool = True
    warm_up_retriever: bool = True
    # Signs the console's session cookie.
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET_KEY)
    # The first admin, created at start when no admin exists; required in production.
    admin_username: str = "admin"
    admin_password: SecretStr | None = None
    session_hours: float = Field(default=12.0, gt=0)
    # Send the session cookie over HTTPS only (on by default in production).
    secure_cookies: bool | None = None
    # How often the delivery worker looks for replies due (another) delivery attempt.
    delivery_poll_seconds: float = Field(default=1.0, gt=0)

    @property
    def cookies_secure(self) -> bool:
        return self.secure_cookies if self.secure_cookies is not None else self.environment == "production"

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_production(self) -> AppSettings:
        if self.environment != "production":
            return self
        if self.rasa_token.get_secret_value() in ("", DEVELOPMENT_RASA_TOKEN):
            raise ValueError("APP_RASA_TOKEN must be set to a real secret in production")
        if self.action_token.get_secret_value() in ("", DEVELOPMENT_ACTION_TOKEN):
            raise ValueError("APP_ACTION_TOKEN must be set to a real secret in production")
        if len(self.secret_key.get_secret_value()) < 32 or self.secret_key.get_secret_value() == DEVELOPMENT_SECRET_KEY:
            raise ValueError("APP_SECRET_KEY must be set to a random secret of at least 32 characters in production")
        if self.admin_password is None or len(self.admin_password.get_secret_value()) < 12:
            raise ValueError("APP_ADMIN_PASSWORD (at least 12 characters) must be set in production")
        return self


@lru_cache(maxsize=1)
def get_settings() -> AppSettings:
    return AppSettings()
