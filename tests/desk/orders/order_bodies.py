"""Bodies of the order-system API and lines of `python -m desk orders import`, for tests."""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]


def order_body(**changes: Any) -> JSON:
    """A shipped order of a robot vacuum, every field given; `changes` replace fields."""
    body: JSON = {
        "customer": {"name": "张三", "phone": "+86 138-0013-8000"},
        "status": "shipped",
        "paid_at": "2026-11-26T10:00:00+08:00",
        "shipped_at": "2026-11-26T17:30:00+08:00",
        "delivered_at": None,
        "invoice_date": "2026-11-26T10:00:00+08:00",
        "carrier": "SF Express",
        "tracking_number": "SF1234567890123",
        "tracking_events": [
            {"at": "2026-11-27T09:00:00+08:00", "description": "到达上海浦东集散中心"},
            {"at": "2026-11-26T18:00:00+08:00", "description": "顺丰已揽收"},
        ],
        "address": {"province": "上海", "city": "上海市", "district": "浦东新区", "line": "世纪大道 100 号 8 楼"},
        "items": [
            {
                "sku": "RV-S7",
                "name": "Lumio 扫地机器人 S7",
                "category": "robot_vacuum",
                "serial_number": "RV2406123456",
                "price": "1999.00",
                "quantity": 1,
            }
        ],
        "flags": {"flash_sale": False, "coupon_price": True, "trade_in": False},
    }
    body.update(changes)
    return body


def item(**changes: Any) -> JSON:
    """The order's one item, changed."""
    first: JSON = order_body()["items"][0]
    return {**first, **changes}


def repair_body(**changes: Any) -> JSON:
    body: JSON = {
        "order_number": "LM202611260001",
        "serial_number": "RV2406123456",
        "stage": "diagnosing",
        "received_at": "2026-11-30T14:00:00+08:00",
        "events": [{"at": "2026-11-30T14:00:00+08:00", "description": "维修中心已收货"}],
    }
    body.update(changes)
    return body
