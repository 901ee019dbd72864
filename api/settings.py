"""Settings of the app (environment prefix `APP_`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_RASA_TOKEN = "development-only-rasa-token"
DEVELOPMENT_ACTION_TOKEN = "development-only-action-token"


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

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_production(self) -> AppSettings:
        if self.environment != "production":
            return self
        if self.rasa_token.get_secret_value() in ("", DEVELOPMENT_RASA_TOKEN):
            raise ValueError("APP_RASA_TOKEN must be set to a real secret in production")
        if self.action_token.get_secret_value() in ("", DEVELOPMENT_ACTION_TOKEN):
            raise ValueError("APP_ACTION_TOKEN must be set to a real secret in production")
        return self


@lru_cache(maxsize=1)
def get_settings() -> AppSettings:
    return AppSettings()
