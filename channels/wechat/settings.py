"""Settings of the WeChat Official Account channel (environment prefix `WECHAT_`)."""

from __future__ import annotations

import base64
import binascii
import re

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# What the Official Account admin accepts as a Token: 3–32 letters and digits.
_TOKEN = re.compile(r"[A-Za-z0-9]{3,32}")


class WeChatSettings(BaseSettings):
    """The channel is on when the app id, the app secret and the Token are set.

    `encoding_aes_key` None means plaintext mode; set, every request must be encrypted (compatible
    or safe mode), so nobody holding only a signed URL can post a forged plaintext message. In
    production (`APP_ENVIRONMENT=production`) plaintext mode is refused at start unless
    `allow_plaintext_in_production` says otherwise.
    """

    model_config = SettingsConfigDict(env_prefix="WECHAT_", extra="ignore")

    app_id: str | None = None
    app_secret: SecretStr | None = None
    # The Token entered in the admin's server configuration (signs every callback).
    token: SecretStr | None = None
    # The EncodingAESKey (43 characters) of compatible and safe mode.
    encoding_aes_key: SecretStr | None = None
    # Plaintext mode in production, knowingly: the URL signature does not cover the body, so within
    # the timestamp window a captured signed URL (from a log, a proxy) can carry a forged message.
    allow_plaintext_in_production: bool = False
    api_base_url: str = "https://api.weixin.qq.com"
    api_timeout: float = Field(default=10.0, gt=0)
    # Callbacks whose timestamp is further than this from our clock are refused (replays).
    timestamp_tolerance_seconds: int = Field(default=300, gt=0)
    # WeChat waits 5 s for a passive reply; a turn that takes longer is sent by the customer-service API.
    reply_budget_seconds: float = Field(default=4.5, gt=0, lt=5)
    # A message that could not be stored (database down) gets no answer until WeChat has stopped
    # waiting (5 s): WeChat then sends it again, as it does with a callback it got no answer to
    # (three times). Answering sooner, "success" would drop it and an error would not be retried.
    unstored_wait_seconds: float = Field(default=5.5, gt=0, le=30)
    max_body_bytes: int = Field(default=64 * 1024, gt=0)
    # Menu CLICK events: EventKey → the question (or text) the customer is taken to have sent.
    # An EventKey not listed is used as the question itself.
    menu: dict[str, str] = Field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return bool(self.app_id and self.app_secret and self.token)

    @property
    def encrypted(self) -> bool:
        return self.encoding_aes_key is not None

    @model_validator(mode="after")
    def _complete_and_well_formed(self) -> WeChatSettings:
        given = {"WECHAT_APP_ID": self.app_id, "WECHAT_APP_SECRET": self.app_secret, "WECHAT_TOKEN": self.token}
        if any(given.values()) and not all(given.values()):
            missing = ", ".join(name for name, value in given.items() if not value)
            raise ValueError(f"the WeChat channel is half configured: set {missing} as well")
        if self.token is not None and not _TOKEN.fullmatch(self.token.get_secret_value()):
            raise ValueError("WECHAT_TOKEN must be 3–32 letters or digits (as the Official Account admin requires)")
        if self.encoding_aes_key is not None:
            key = self.encoding_aes_key.get_secret_value()
            try:
                decoded = base64.b64decode(key + "=", validate=True)
            except (binascii.Error, ValueError):
                decoded = b""
            if len(key) != 43 or len(decoded) != 32:
                raise ValueError("WECHAT_ENCODING_AES_KEY must be the 43-character EncodingAESKey from the admin")
        return self
