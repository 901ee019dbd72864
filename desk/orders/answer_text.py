"""What the customer is told about an order or repair once the phone check passed, in Chinese and
English: the status in P19's words, carrier, tracking number and latest tracking event, P2's
expected delivery window, P9's expected repair completion. (P3's stalled tracking is said by the
action, which knows whether it could open the investigation: actions/orders.py.)

P19: no phone number and no address below the district ever appear. Tracking and repair event
descriptions are shown as the order system wrote them.
"""

from __future__ import annotations

from datetime import date, datetime

from desk.copy import say
from desk.orders.delivery_window import expected_delivery, expected_ship_date
from desk.orders.records import Order, OrderStatus, Repair, TrackingEvent
from desk.orders.repair_eta import EtaKind, repair_eta
from desk.working_days import BEIJING, beijing_date
from knowledge.language import Language


def day_text(day: date, language: Language) -> str:
    return f"{day.month}月{day.day}日" if language == "zh" else f"{day:%-d %b}"


def moment_text(at: datetime, language: Language) -> str:
    local = at.astimezone(BEIJING)
    return f"{day_text(local.date(), language)} {local:%H:%M}"


def _span(earliest: date, latest: date, language: Language) -> str:
    return f"{day_text(earliest, language)}–{day_text(latest, language)}"


def _goods(order: Order, language: Language) -> str:
    first = order.items[0].name if order.items else ""
    count = sum(item.quantity for item in order.items)
    return first if count <= 1 else say("lookup_goods_more", language, first=first, count=count)


def _event(event: TrackingEvent | None, key: str, language: Language) -> list[str]:
    if event is None:
        return []
    return [say(key, language, at=moment_text(event.at, language), description=event.description)]


def order_answer(order: Order, now: datetime, language: Language) -> str:
    status = say(f"order_status_{order.status}", language)
    lines = [say("lookup_order_head", language, number=order.number, goods=_goods(order, language), status=status)]
    if order.status is OrderStatus.PAID and order.paid_at is not None:
        lines.append(say("lookup_ships_on", language, day=day_text(expected_ship_date(order.paid_at), language)))
    if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED) and order.tracking_number:
        lines.append(say("lookup_carrier", language, carrier=order.carrier or "–", tracking=order.tracking_number))
    if order.status is OrderStatus.SHIPPED:
        lines += _event(order.latest_event, "lookup_latest_tracking", language)
        dates = expected_delivery(order)
        if dates is not None:
            window = dates.window
            province = window.province.zh if language == "zh" else window.province.en
            key = "lookup_window_passed" if dates.is_late(beijing_date(now)) else "lookup_window"
            span = _span(dates.earliest, dates.latest, language)
            lines.append(say(key, language, span=span, province=province, low=window.min_days, high=window.max_days))
    if order.status is OrderStatus.DELIVERED and order.delivered_at is not None:
        lines.append(say("lookup_delivered_on", language, day=day_text(beijing_date(order.delivered_at), language)))
    address = order.address
    lines.append(say("lookup_address", language, area=f"{address.province} {address.city} {address.district}".strip()))
    return "\n".join(lines)


def repair_answer(repair: Repair, order: Order, now: datetime, language: Language) -> str:
    product = next((i.name for i in order.items if i.serial_number == repair.serial_number), _goods(order, language))
    stage = say(f"repair_stage_{repair.stage}", language)
    lines = [
        say(
            "lookup_repair_head",
            language,
            number=repair.rma_number,
            product=product,
            serial=repair.serial_number,
            stage=stage,
        )
    ]
    eta = repair_eta(repair, today=beijing_date(now))
    if eta.kind is EtaKind.NOT_ARRIVED:
        lines.append(say("lookup_repair_not_arrived", language))
    elif eta.kind is EtaKind.AWAITING_APPROVAL:
        lines.append(say("lookup_repair_quoted", language))
    elif eta.kind is EtaKind.EXPECTED and eta.earliest is not None and eta.latest is not None:
        if eta.overdue:
            lines.append(say("lookup_repair_overdue", language))
        else:
            span = _span(eta.earliest, eta.latest, language)
            lines.append(say("lookup_repair_expected", language, span=span))
            if eta.estimate:
                lines.append(say("lookup_repair_estimate", language))
    lines += _event(max(repair.events, key=lambda e: e.at, default=None), "lookup_latest_repair", language)
    return "\n".join(lines)
