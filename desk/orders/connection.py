"""Which order system the assistant reads (`DESK_ORDER_SYSTEM`): the built-in store in the desk
database, or the merchant's own system over HTTP (docs/order-system.md)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from desk.orders.http_system import HttpOrderSystem
from desk.orders.store import OrderStore
from desk.orders.system import OrderSystem
from desk.settings import DeskSettings


def order_system(
    settings: DeskSettings, sessions: sessionmaker[Session], store: OrderStore | None = None
) -> OrderSystem:
    """The built-in store (`store`, or one over `sessions`) by default; the HTTP connector when
    `DESK_ORDER_SYSTEM=http` (the settings have already refused it without its URL and token)."""
    if settings.order_system == "http":
        return HttpOrderSystem.from_settings(settings)
    return store if store is not None else OrderStore(sessions)
