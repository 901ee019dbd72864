"""Settings of the desk (environment prefix `DESK_`; the database URL is `DATABASE_URL`)."""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.settings import PACKAGE_DIR as KNOWLEDGE_DIR


class DeskSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESK_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/desk.db", validation_alias=AliasChoices("DATABASE_URL", "DESK_DATABASE_URL")
    )
    # Connections each process keeps open to a server database (PostgreSQL), and how many more it may
    # open at a busy moment (SQLAlchemy's own defaults, 5 + 10). Every replica has its own pool: the
    # replicas' sum, Rasa's and the CLIs' must stay under the server's max_connections (docs/cluster.md).
    database_pool_size: int = Field(default=5, ge=1, le=100)
    database_max_overflow: int = Field(default=10, ge=0, le=100)
    # Handbook P1: human agents work 09:00–21:00 Beijing time, every day.
    timezone: str = "Asia/Shanghai"
    service_opens: time = time(9, 0)
    service_closes: time = time(21, 0)
    # Until agents sign in to a console, the expected wait uses these figures.
    agents_on_duty: int = Field(default=2, ge=1)
    minutes_per_customer: float = Field(default=6.0, gt=0)
    # Closed conversations idle longer than this are deleted by `python -m desk purge` (0: kept forever).
    retention_days: int = Field(default=365, ge=0)

    # Where orders and repairs are read (docs/order-system.md): the desk database ("builtin", filled
    # through /api/v1/orders and /api/v1/repairs), or the merchant's own system over HTTP, following
    # docs/order-system.openapi.yaml. "http" needs the URL and the bearer token the merchant issued.
    order_system: Literal["builtin", "http"] = "builtin"
    order_system_url: str | None = None
    order_system_token: SecretStr | None = None
    # The connector's time limits, in seconds. A lookup (every attempt, and the pause between them)
    # ends after `order_system_total_seconds` whatever happens: 2.5 s keeps a WeChat turn inside its
    # 5-second passive reply (the arithmetic is in docs/order-system.md).
    order_system_connect_seconds: float = Field(default=0.5, gt=0, le=10)
    order_system_read_seconds: float = Field(default=1.0, gt=0, le=30)
    order_system_total_seconds: float = Field(default=2.5, gt=0, le=30)
    # Another attempt after a connection error, a timeout or a 5xx (never after a 4xx).
    order_system_retries: int = Field(default=1, ge=0, le=3)
    # After this many failed lookups in a row, lookups fail at once for the reset period; then one
    # trial lookup decides whether the system is back.
    order_system_breaker_failures: int = Field(default=5, ge=1, le=1000)
    order_system_breaker_reset_seconds: float = Field(default=30.0, ge=0.1, le=3600)

    # The after-sales policy as data (docs/eligibility.md): windows, warranty periods, exclusions.
    policy_file: Path = KNOWLEDGE_DIR / "policy.yml"

    @field_validator("order_system_url", mode="after")
    @classmethod
    def _order_system_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().startswith(("https://", "http://")):
            raise ValueError("DESK_ORDER_SYSTEM_URL must be an http(s) URL")
        return value.strip().rstrip("/") + "/"

    @field_validator("order_system_token", mode="after")
    @classmethod
    def _empty_token_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None

    @model_validator(mode="after")
    def _http_order_system_is_complete(self) -> DeskSettings:
        if self.order_system == "http":
            missing = [
                name
                for name, value in (
                    ("DESK_ORDER_SYSTEM_URL", self.order_system_url),
                    ("DESK_ORDER_SYSTEM_TOKEN", self.order_system_token),
                )
                if value is None
            ]
            if missing:
                raise ValueError(f"DESK_ORDER_SYSTEM=http needs {' and '.join(missing)} (docs/order-system.md)")
        if self.order_system_connect_seconds > self.order_system_total_seconds:
            raise ValueError("DESK_ORDER_SYSTEM_CONNECT_SECONDS cannot be longer than DESK_ORDER_SYSTEM_TOTAL_SECONDS")
        return self


@lru_cache(maxsize=1)
def get_settings() -> DeskSettings:
    return DeskSettings()
