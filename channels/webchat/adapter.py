"""The web chat: a widget any site embeds with one script tag, its WebSocket (`/chat/ws`), Rasa's
socket.io web-chat protocol (`/socket.io/`) for existing Rasa widgets, and a demo product page (`/`).

The transcript is the web customer's mailbox: delivering a message (an agent's reply, the CSAT
question) means announcing it on the conversation's bus topic; connected sockets fetch and show
it, and a widget that was offline finds it in the history when it reconnects.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, WebSocket
from fastapi.responses import FileResponse, JSONResponse

from channels.webchat import protocol as frames
from channels.webchat.origins import OriginPolicy
from channels.webchat.rasa_socketio import RasaSocketIO, replica_manager
from channels.webchat.session import CHANNEL
from channels.webchat.settings import WebChatSettings
from channels.webchat.socket import INTERNAL_ERROR, POLICY_VIOLATION, WebChatConnection
from channels.webchat.socket_caps import REFUSAL, REFUSED, TRY_AGAIN_LATER, client_of_scope, socket_caps
from desk.outbox import Outgoing
from engine.events import conversation_topic
from engine.port import AssistantPort

STATIC = Path(__file__).parent / "static"

# The widget is loaded by other sites' pages: let them (and pages isolated with COEP) embed it.
WIDGET_HEADERS = {
    "Cache-Control": "public, max-age=300",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "X-Content-Type-Options": "nosniff",
}
# The demo page runs no inline script or style, like the console.
DEMO_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# The origin check's answer is read by the widget on any page (no credentials, nothing cached).
ORIGIN_CHECK_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


class WebChatAdapter:
    name = CHANNEL

    def __init__(
        self,
        settings: WebChatSettings | None = None,
        *,
        production: bool = False,
        redis_url: str | None = None,
        redis_prefix: str = "lumio",
    ) -> None:
        """`production`: the app runs with `APP_ENVIRONMENT=production` (no localhost pages by default);
        `redis_url`, `redis_prefix`: the Redis several app replicas share (`APP_REDIS_URL`), for
        socket.io's sessions (rasa_socketio.replica_manager)."""
        self.settings = settings or WebChatSettings()
        allow_localhost = self.settings.allow_localhost
        self.origins = OriginPolicy(
            self.settings.allowed_origins,
            allow_localhost=not production if allow_localhost is None else allow_localhost,
        )
        self._port: AssistantPort | None = None
        self.sockets = socket_caps(self.settings)
        self.socketio = (
            RasaSocketIO(
                self.origins,
                self.port,
                self.settings.max_message_length,
                sockets=self.sockets,
                events_per_second=self.settings.max_frames_per_second,
                client_manager=replica_manager(redis_url, redis_prefix),
            )
            if self.settings.socketio
            else None
        )

    def port(self) -> AssistantPort:
        if self._port is None:
            raise RuntimeError("the web chat has not started")
        return self._port

    def install(self, app: FastAPI) -> None:
        app.include_router(self._routes())
        if self.socketio is not None:
            app.mount("/socket.io", self.socketio.asgi_app(), name="socketio")

    def _routes(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)

        @router.get("/chat/widget.js")
        async def widget() -> FileResponse:
            """The widget: `<script src="https://<app>/chat/widget.js" defer></script>` on any page."""
            return FileResponse(STATIC / "widget.js", media_type="text/javascript", headers=WIDGET_HEADERS)

        @router.get("/chat/origin")
        async def origin_check(request: Request) -> JSONResponse:
            """Whether the calling page may use the chat. A browser reports a refused handshake as a
            bare error, like a network failure: the widget asks here before it gives up (it shows
            "not allowed" rather than reconnecting forever). Nothing is logged: the handshake was."""
            allowed = self.origins.allows(request.headers.get("origin"), request.headers.get("host"))
            return JSONResponse({"allowed": allowed}, headers=ORIGIN_CHECK_HEADERS)

        @router.websocket("/chat/ws")
        async def chat_socket(websocket: WebSocket) -> None:
            if not self.origins.admits(websocket.headers.get("origin"), websocket.headers.get("host"), "websocket"):
                # Closed before accepting: the server answers the handshake with HTTP 403.
                await websocket.close(POLICY_VIOLATION)
                return
            if self._port is None:
                await websocket.close(INTERNAL_ERROR)
                return
            lease = self.sockets.acquire(client_of_scope(websocket.scope))
            if lease is None:
                # Accepted only to say why, so the widget can tell its customer and retry later.
                await websocket.accept()
                refusal = frames.error(REFUSED, REFUSAL, retry_after=self.sockets.retry_after)
                await websocket.send_text(frames.encode(refusal))
                await websocket.close(TRY_AGAIN_LATER)
                return
            with lease:
                await WebChatConnection(websocket, self._port, self.settings).run()

        if self.settings.demo_page:

            @router.get("/")
            async def demo_page() -> FileResponse:
                """A sample product page that embeds the widget with its one script tag."""
                return FileResponse(STATIC / "demo.html", media_type="text/html", headers=DEMO_HEADERS)

            @router.get("/chat/demo.css")
            async def demo_style() -> FileResponse:
                return FileResponse(STATIC / "demo.css", media_type="text/css", headers=WIDGET_HEADERS)

        return router

    async def start(self, port: AssistantPort) -> None:
        self._port = port

    async def stop(self) -> None:
        if self.socketio is not None:
            await self.socketio.stop()

    async def deliver(self, message: Outgoing) -> None:
        """Stored already: announce it to the conversation's connected widgets (see the module doc)."""
        self.port().publish(conversation_topic(message.conversation_id), "message", message_id=message.message_id)
