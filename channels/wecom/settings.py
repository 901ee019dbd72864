"""Settings of the WeCom Customer Service channel (企业微信·微信客服), environment prefix `WECOM_`."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REQUIRED = ("corp_id", "secret", "token", "encoding_aes_key")


class WeComSettings(BaseSettings):
    """The channel is on when the corp id, the 微信客服 secret, the callback Token and the
    EncodingAESKey are all set; setting only some of them is refused at start."""

    model_config = SettingsConfigDict(env_prefix="WECOM_", extra="ignore")

    corp_id: str | None = None
    # The 微信客服 secret (管理后台 → 微信客服 → API → Secret), not an application's secret.
    secret: SecretStr | None = None
    # The callback's Token and EncodingAESKey (微信客服 → API → 回调配置).
    token: SecretStr | None = None
    encoding_aes_key: SecretStr | None = None
    api_base_url: str = "https://qyapi.weixin.qq.com"
    api_timeout: float = Field(default=10.0, gt=0)
    # A callback whose timestamp is further than this from now is refused (replays).
    timestamp_window_seconds: int = Field(default=300, gt=0)
    # Where people answer WeCom customers after a handoff:
    # - "console": in this app's console. WeCom accepts kf/send_msg only while its session is new (0)
    #   or with the assistant (1), so the WeCom session stays "由智能助手接待" throughout.
    # - "wecom": in the WeCom client, as 接待人员. The desk's statuses are mirrored: queued → 2 (待接入池),
    #   agent → 3 (人工接待, by `servicer_userid`), resolved → 4 (已结束), bot → 1.
    human_agents: Literal["console", "wecom"] = "console"
    # The 接待人员 (WeCom userid) a console claim hands the session to in "wecom" mode.
    servicer_userid: str | None = None
    # How often failed syncs are retried (a message Rasa could not answer is the app's retry loop's).
    retry_seconds: float = Field(default=15.0, gt=0)

    @field_validator("corp_id", "secret", "token", "encoding_aes_key", "servicer_userid", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _complete_or_absent(self) -> WeComSettings:
        missing = [name for name in REQUIRED if getattr(self, name) is None]
        if missing and len(missing) < len(REQUIRED):
            names = ", ".join(f"WECOM_{name.upper()}" for name in missing)
            raise ValueError(f"WeCom is only partly configured: set {names} as well (or none of the WECOM_ secrets)")
        if self.encoding_aes_key is not None and not _is_aes_key(self.encoding_aes_key.get_secret_value()):
            raise ValueError("WECOM_ENCODING_AES_KEY must be the 43-character EncodingAESKey from the WeCom admin")
        return self

    @property
    def enabled(self) -> bool:
        return all(getattr(self, name) is not None for name in REQUIRED)


def _is_aes_key(key: str) -> bool:
    if len(key) != 43:
        return False
    try:
        return len(base64.b64decode(key + "=", validate=True)) == 32
    except (binascii.Error, ValueError):
        return False
