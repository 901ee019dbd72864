"""An order delivered some days ago, as eligibility tests use it (the order's dates decide a case)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from desk.models import utcnow
from desk.orders.records import Address, Category, Customer, Order, OrderItem, OrderStatus


def delivered_purifier(number: str, phone: str, days_ago: int) -> Order:
    """An air purifier delivered `days_ago` days ago: paid two days before, invoiced the day after."""
    delivered = utcnow() - timedelta(days=days_ago)
    return Order(
        number=number,
        customer=Customer("钱七", phone),
        status=OrderStatus.DELIVERED,
        address=Address("上海市", "上海市", "浦东新区", "世纪大道 1 号"),
        items=(OrderItem("AP-X1", "Lumio 净化器 X1", Category.AIR_PURIFIER, "AP2411000011", Decimal("1299"), 1),),
        paid_at=delivered - timedelta(days=2),
        shipped_at=delivered - timedelta(days=1),
        delivered_at=delivered,
        invoice_date=delivered + timedelta(days=1),
        carrier="SF Express",
        tracking_number="SF0002223334",
    )
