"""Settings of the web chat (environment prefix `WEBCHAT_`): on by default, since it needs no secrets."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from desk.message_text import MAX_TEXT_LENGTH

# The largest WebSocket message the server reads at all (uvicorn's `ws_max_size`, which `python -m api`
# sets; uvicorn's own default is 16 MiB): a larger one closes the socket (1009) without being buffered.
# Room for a frame over `max_frame_bytes` to get its error frame, and for Engine.IO's messages
# (`rasa_socketio.MAX_PAYLOAD_BYTES`); these sockets are the app's only ones.
MAX_WEBSOCKET_MESSAGE_BYTES = 64 * 1024


class WebChatSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WEBCHAT_", extra="ignore")

    enabled: bool = True
    # Pages allowed to open the chat's WebSocket and socket.io connections, besides the app's own origin:
    # exact origins such as "https://shop.example.com", or "*" for any (a JSON list in the environment).
    allowed_origins: list[str] = Field(default_factory=list)
    # Any port on localhost, 127.0.0.1 and [::1] (development pages and local demos). Unset: only in
    # development (`APP_ENVIRONMENT`), since in production any program on a visitor's machine could
    # serve such a page.
    allow_localhost: bool | None = None
    # At most the conversation API's limit; the widget learns it from the session frame.
    max_message_length: int = Field(default=MAX_TEXT_LENGTH, ge=1, le=MAX_TEXT_LENGTH)
    # A connection sending more frames (socket.io: events) than this within one second is closed.
    max_frames_per_second: int = Field(default=10, ge=1)
    # Open chat sockets, the WebSocket's and socket.io's together, per client address and in all, in
    # this process (channels/webchat/socket_caps.py): a widget holds one per open page.
    max_sockets_per_client: int = Field(default=20, ge=1)
    max_sockets: int = Field(default=2000, ge=1)
    # A message resent while its first sending is still being answered (after a reconnect) waits this
    # long for that answer before the widget is told to resend later (Rasa's timeout and a margin).
    resend_wait_seconds: float = Field(default=20.0, gt=0)
    # A larger frame is refused with an error frame (one over `MAX_WEBSOCKET_MESSAGE_BYTES` is never read).
    max_frame_bytes: int = Field(default=16_384, ge=1024, le=MAX_WEBSOCKET_MESSAGE_BYTES)
    # Messages sent in the history frame when a widget starts (the latest ones).
    history_limit: int = Field(default=200, ge=1)
    # Serve Rasa's socket.io web-chat protocol at /socket.io/ (for widgets such as rasa-webchat).
    socketio: bool = True
    # Serve the demo product page at `/`.
    demo_page: bool = True
