"""Settings of the web chat (environment prefix `WEBCHAT_`): on by default, since it needs no secrets."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from desk.message_text import MAX_TEXT_LENGTH


class WebChatSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WEBCHAT_", extra="ignore")

    enabled: bool = True
    # Pages allowed to open the chat's WebSocket and socket.io connections, besides the app's own origin:
    # exact origins such as "https://shop.example.com", or "*" for any (a JSON list in the environment).
    allowed_origins: list[str] = Field(default_factory=list)
    # Any port on localhost, 127.0.0.1 and [::1] (development pages and local demos).
    allow_localhost: bool = True
    # At most the conversation API's limit; the widget learns it from the session frame.
    max_message_length: int = Field(default=MAX_TEXT_LENGTH, ge=1, le=MAX_TEXT_LENGTH)
    # A connection sending more frames than this within one second is closed (1008).
    max_frames_per_second: int = Field(default=10, ge=1)
    # A message resent while its first sending is still being answered (after a reconnect) waits this
    # long for that answer before the widget is told to resend later (Rasa's timeout and a margin).
    resend_wait_seconds: float = Field(default=20.0, gt=0)
    # A larger frame is refused with an error frame.
    max_frame_bytes: int = Field(default=16_384, ge=1024)
    # Messages sent in the history frame when a widget starts (the latest ones).
    history_limit: int = Field(default=200, ge=1)
    # Serve Rasa's socket.io web-chat protocol at /socket.io/ (for widgets such as rasa-webchat).
    socketio: bool = True
    # Serve the demo product page at `/`.
    demo_page: bool = True
