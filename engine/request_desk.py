"""Agents' decisions on self-service requests, as the console and the JSON API both make them: the
desk's `ServiceRequests`, then what must follow (the customer's message delivered by the outbox
worker, live views told). The message is stored with the decision, like an agent's reply, so a
crash between the two cannot lose it (engine/agent_desk.py takes the same path)."""

from __future__ import annotations

from desk.service_requests import Decision, RequestChanges, RequestView, ServiceRequests
from desk.users import Staff
from engine.blocking import run_blocking
from engine.delivery import DeliveryWorker
from engine.events import EventBus, staff_topic


class RequestDesk:
    def __init__(self, requests: ServiceRequests, bus: EventBus, delivery: DeliveryWorker) -> None:
        self.requests = requests
        self._bus = bus
        self._delivery = delivery

    async def approve(self, request_id: int, staff: Staff) -> Decision:
        decision = await run_blocking(self.requests.approve, request_id, staff)
        self._told(decision, "approved")
        return decision

    async def reject(self, request_id: int, staff: Staff, reason: str) -> Decision:
        decision = await run_blocking(self.requests.reject, request_id, staff, reason)
        self._told(decision, "rejected")
        return decision

    async def edit(self, request_id: int, staff: Staff, changes: RequestChanges) -> RequestView:
        request = await run_blocking(self.requests.edit, request_id, staff, changes)
        self._announce(request, "edited")
        return request

    async def cancel(self, request_id: int, staff: Staff | None = None) -> RequestView:
        request = await run_blocking(self.requests.cancel, request_id, staff)
        self._announce(request, "cancelled")
        return request

    def _told(self, decision: Decision, kind: str) -> None:
        self._announce(decision.request, kind)
        self._bus.publish(staff_topic(decision.request.conversation_id), "reply", message_id=decision.message.id)
        self._delivery.wake()

    def _announce(self, request: RequestView, kind: str) -> None:
        # The conversation's view (its requests card) refreshes; the requests page is read on load.
        self._bus.publish(staff_topic(request.conversation_id), "request", request_id=request.id, change=kind)
