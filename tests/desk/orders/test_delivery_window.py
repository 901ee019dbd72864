"""P2's delivery windows by province, in Chinese and English, and the expected dates of a shipped order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import permutations
from zoneinfo import ZoneInfo

import pytest

from desk.orders.delivery_window import (
    MAINLAND,
    DeliveryRule,
    delivery_dates,
    delivery_window,
    expected_delivery,
    expected_ship_date,
    province_of,
)
from desk.orders.records import Address, Category, Customer, Order, OrderItem, OrderStatus

BEIJING = ZoneInfo("Asia/Shanghai")


def order(province: str, status: OrderStatus = OrderStatus.SHIPPED, shipped_at: datetime | None = None) -> Order:
    return Order(
        number="LM202611260001",
        customer=Customer("王小明", "13800138000"),
        status=status,
        address=Address(province, "某市", "某区", "某路 1 号"),
        items=(OrderItem("RV-100", "扫地机器人", Category.ROBOT_VACUUM, "RV2406123456", Decimal("1999.00"), 1),),
        shipped_at=shipped_at,
    )


@pytest.mark.parametrize(
    ("province", "rule", "days"),
    [
        ("新疆维吾尔自治区", DeliveryRule.XINJIANG_TIBET, (5, 7)),
        ("西藏自治区", DeliveryRule.XINJIANG_TIBET, (5, 7)),
        ("新疆", DeliveryRule.XINJIANG_TIBET, (5, 7)),
        ("Xinjiang", DeliveryRule.XINJIANG_TIBET, (5, 7)),
        ("Xinjiang Uygur Autonomous Region", DeliveryRule.XINJIANG_TIBET, (5, 7)),
        ("Tibet", DeliveryRule.XINJIANG_TIBET, (5, 7)),
        ("Xizang Autonomous Region", DeliveryRule.XINJIANG_TIBET, (5, 7)),
        ("tibet autonomous region", DeliveryRule.XINJIANG_TIBET, (5, 7)),
        ("青海省", DeliveryRule.REMOTE, (3, 5)),
        ("甘肃省", DeliveryRule.REMOTE, (3, 5)),
        ("宁夏回族自治区", DeliveryRule.REMOTE, (3, 5)),
        ("内蒙古自治区", DeliveryRule.REMOTE, (3, 5)),
        ("海南省", DeliveryRule.REMOTE, (3, 5)),
        ("Inner Mongolia", DeliveryRule.REMOTE, (3, 5)),
        ("Ningxia Hui Autonomous Region", DeliveryRule.REMOTE, (3, 5)),
        ("Hainan Province", DeliveryRule.REMOTE, (3, 5)),
        ("广东省", DeliveryRule.MAJOR_CITIES, (1, 3)),
        ("北京市", DeliveryRule.MAJOR_CITIES, (1, 3)),
        ("上海", DeliveryRule.MAJOR_CITIES, (1, 3)),
        ("广西壮族自治区", DeliveryRule.MAJOR_CITIES, (1, 3)),
        ("黑龙江省", DeliveryRule.MAJOR_CITIES, (1, 3)),
        ("陕西省", DeliveryRule.MAJOR_CITIES, (1, 3)),
        (" 云南省 ", DeliveryRule.MAJOR_CITIES, (1, 3)),
        ("廣東省", DeliveryRule.MAJOR_CITIES, (1, 3)),
        ("中国浙江省", DeliveryRule.MAJOR_CITIES, (1, 3)),
        ("Guangdong", DeliveryRule.MAJOR_CITIES, (1, 3)),
        ("Beijing Municipality", DeliveryRule.MAJOR_CITIES, (1, 3)),
        ("SHAANXI", DeliveryRule.MAJOR_CITIES, (1, 3)),
    ],
)
def test_the_window_follows_the_province(province: str, rule: DeliveryRule, days: tuple[int, int]) -> None:
    window = delivery_window(province)
    assert window is not None
    assert (window.rule, window.min_days, window.max_days) == (rule, *days)


def test_similar_names_are_told_apart() -> None:
    pairs = [("山西省", "Shanxi"), ("陕西省", "Shaanxi"), ("Shanxi", "Shanxi"), ("Shaanxi", "Shaanxi")]
    pairs += [("河南", "Henan"), ("海南", "Hainan"), ("湖北", "Hubei"), ("河北", "Hebei"), ("广西", "Guangxi")]
    for name, english in pairs:
        province = province_of(name)
        assert province is not None and province.en == english, name


def test_no_name_is_the_prefix_of_another_provinces_name() -> None:
    names = [(name.casefold().replace(" ", ""), p.zh) for p in MAINLAND for name in (p.zh, p.en, *p.aliases)]
    clashes = [(a, b) for (a, pa), (b, pb) in permutations(names, 2) if pa != pb and b.startswith(a)]
    assert not clashes


def test_every_mainland_province_level_division_is_listed_once() -> None:
    assert len(MAINLAND) == 31
    assert len({p.zh for p in MAINLAND}) == 31
    assert {p.zh for p in MAINLAND if p.rule is DeliveryRule.REMOTE} == {"青海", "甘肃", "宁夏", "内蒙古", "海南"}


@pytest.mark.parametrize(
    "province",
    ["香港特别行政区", "澳门特别行政区", "台湾省", "臺灣", "Hong Kong", "Hong Kong SAR", "Macao", "Macau", "Taiwan"],
)
def test_no_window_outside_the_mainland(province: str) -> None:
    assert delivery_window(province) is None


@pytest.mark.parametrize("province", ["", "   ", "深圳市", "Atlantis", "China", "中国"])
def test_no_window_for_a_province_not_recognised(province: str) -> None:
    assert delivery_window(province) is None


def test_dates_count_calendar_days_from_the_beijing_ship_date() -> None:
    # Shipped 23:30 Beijing time on Friday 2 October 2026 (a holiday): day 0 is 2 October, and
    # weekends and holidays count, since P2 speaks of days.
    shipped = datetime(2026, 10, 2, 15, 30, tzinfo=UTC)
    window = delivery_window("广东省")
    assert window is not None
    dates = delivery_dates(shipped, window)
    assert (dates.shipped_on, dates.earliest, dates.latest) == (date(2026, 10, 2), date(2026, 10, 3), date(2026, 10, 5))
    assert not dates.is_late(date(2026, 10, 5)) and dates.is_late(date(2026, 10, 6))


def test_a_shipped_order_to_xinjiang() -> None:
    shipped = datetime(2026, 3, 2, 10, 0, tzinfo=BEIJING)
    dates = expected_delivery(order("新疆维吾尔自治区", shipped_at=shipped))
    assert dates is not None
    assert dates.window.rule is DeliveryRule.XINJIANG_TIBET
    assert (dates.earliest, dates.latest) == (date(2026, 3, 7), date(2026, 3, 9))


@pytest.mark.parametrize(
    "status", [OrderStatus.PAID, OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.RETURNED]
)
def test_only_an_order_on_its_way_has_dates(status: OrderStatus) -> None:
    assert expected_delivery(order("广东省", status, datetime(2026, 3, 2, 10, 0, tzinfo=BEIJING))) is None


def test_no_dates_without_a_ship_time_or_outside_the_mainland() -> None:
    assert expected_delivery(order("广东省", shipped_at=None)) is None
    assert expected_delivery(order("香港特别行政区", shipped_at=datetime(2026, 3, 2, tzinfo=BEIJING))) is None


def test_the_ship_date_follows_the_16_00_cutoff_in_beijing_time() -> None:
    assert expected_ship_date(datetime(2026, 3, 2, 15, 59, tzinfo=BEIJING)) == date(2026, 3, 2)
    assert expected_ship_date(datetime(2026, 3, 2, 16, 0, tzinfo=BEIJING)) == date(2026, 3, 3)
    # 07:59 UTC is 15:59 in Beijing; 08:00 UTC is 16:00.
    assert expected_ship_date(datetime(2026, 3, 2, 7, 59, tzinfo=UTC)) == date(2026, 3, 2)
    assert expected_ship_date(datetime(2026, 3, 2, 8, 0, tzinfo=UTC) + timedelta(seconds=1)) == date(2026, 3, 3)
    with pytest.raises(ValueError):
        expected_ship_date(datetime(2026, 3, 2, 10, 0))
