"""The web chat: a widget any site embeds with one script tag, its WebSocket (`/chat/ws`), Rasa's
socket.io web-chat protocol (`/socket.io/`) for existing Rasa widgets, and a demo product page (`/`).

The transcript is the web customer's mailbox: delivering a message (an agent's reply, the CSAT
question) means announcing it on the conversation's bus topic; connected sockets fetch and show
it, and a widget that was offline finds it in the history when it reconnects.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, WebSocket
from fastapi.responses import FileResponse

from channels.webchat.origins import OriginPolicy
from channels.webchat.rasa_socketio import RasaSocketIO
from channels.webchat.session import CHANNEL
from channels.webchat.settings import WebChatSettings
from channels.webchat.socket import INTERNAL_ERROR, POLICY_VIOLATION, WebChatConnection
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


class WebChatAdapter:
    name = CHANNEL

    def __init__(self, settings: WebChatSettings | None = None) -> None:
        self.settings = settings or WebChatSettings()
        self.origins = OriginPolicy(self.settings.allowed_origins, allow_localhost=self.settings.allow_localhost)
        self._port: AssistantPort | None = None
        self.socketio = (
            RasaSocketIO(self.origins, self.port, self.settings.max_message_length) if self.settings.socketio else None
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

        @router.websocket("/chat/ws")
        async def chat_socket(websocket: WebSocket) -> None:
            if not self.origins.allows(websocket.headers.get("origin"), websocket.headers.get("host")):
                await websocket.close(POLICY_VIOLATION)
                return
            if self._port is None:
                await websocket.close(INTERNAL_ERROR)
                return
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
