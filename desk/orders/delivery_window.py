"""P2's expected delivery window, by the province of the delivery address.

P2: "1–3 days to major mainland cities, 3–5 days to remote areas, 5–7 days to Xinjiang and Tibet".
The handbook does not say which areas are remote, nor what a "major city" is. Decisions (also in
docs/order-lookups.md, "Decisions the handbook leaves open"):

- **The rule is chosen by province**, the one part of an address every order system fills in the same
  way. City-level lists would be guesses the handbook does not make, and P3 (72 hours without a
  tracking update) already catches a parcel that is slower than its window.
- **Remote areas (3–5 days): Qinghai, Gansu, Ningxia, Inner Mongolia and Hainan** (青海、甘肃、宁夏、
  内蒙古、海南). With Xinjiang and Tibet, which P2 names separately, these are the regions Chinese online
  stores and couriers conventionally list as 偏远地区 (the areas excluded from free shipping or given
  longer delivery times): sparsely populated and far from the courier's hubs, or across the Qiongzhou
  Strait for Hainan. Yunnan, Guizhou and Guangxi are not on that conventional list and are served
  by SF Express like the rest of the mainland, so they are not treated as remote.
- **Major mainland cities (1–3 days): every other mainland province, autonomous region and
  municipality** (the other 24). The answer gives the window as what is expected, not a promise.
- **Xinjiang and Tibet (5–7 days)**, as P2 says (新疆维吾尔自治区, 西藏自治区; Tibet also as Xizang).
- **Outside the mainland** (Hong Kong, Macau, Taiwan, abroad) the store does not deliver (P2), so an
  order there should not exist: no window (None). A province that is not recognised at all (empty,
  misspelt, a city in the province field) also gets no window rather than a guessed one.
- **Days are calendar days** (P2 says "days", not working days; the courier delivers every day). The
  day the order ships is day 0 (Counting days), its date taken in Beijing time: a parcel shipped at
  23:30 Beijing time on 3 March has 4 March as day 1. "1–3 days" is then day 1 to day 3.
- **An order not shipped yet** has no dates; `expected_ship_date` gives P2's ship date from the
  payment time (paid before 16:00 Beijing time: the same day; at 16:00 or later: the next day).

Province names arrive as the order system stores them, usually in full Chinese ("新疆维吾尔自治区",
"广东省", "北京市"); a short name, a Traditional Chinese spelling or English ("Xinjiang", "Tibet",
"Xizang", "Inner Mongolia", "Guangdong Province") are recognised too, by prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from desk.orders.records import Order, OrderStatus
from desk.working_days import BEIJING, beijing_date

# P2: orders paid before 16:00 ship the same day, later ones the next day.
SAME_DAY_SHIPPING_CUTOFF = time(16, 0)


class DeliveryRule(StrEnum):
    """Which of P2's delivery times applies."""

    MAJOR_CITIES = "major_cities"  # 1–3 days
    REMOTE = "remote"  # 3–5 days
    XINJIANG_TIBET = "xinjiang_tibet"  # 5–7 days


DAYS: dict[DeliveryRule, tuple[int, int]] = {
    DeliveryRule.MAJOR_CITIES: (1, 3),
    DeliveryRule.REMOTE: (3, 5),
    DeliveryRule.XINJIANG_TIBET: (5, 7),
}


@dataclass(frozen=True)
class Province:
    """A mainland province-level division: its short Chinese and English names, and P2's rule."""

    zh: str
    en: str
    rule: DeliveryRule
    aliases: tuple[str, ...] = ()  # other spellings: Traditional Chinese, pinyin, older English


def _province(zh: str, en: str, *aliases: str, rule: DeliveryRule = DeliveryRule.MAJOR_CITIES) -> Province:
    return Province(zh, en, rule, aliases)


_REMOTE = DeliveryRule.REMOTE
_FAR = DeliveryRule.XINJIANG_TIBET
MAINLAND: tuple[Province, ...] = (
    _province("北京", "Beijing", "Peking"),
    _province("天津", "Tianjin"),
    _province("上海", "Shanghai"),
    _province("重庆", "Chongqing", "重慶"),
    _province("河北", "Hebei"),
    _province("山西", "Shanxi"),
    _province("辽宁", "Liaoning", "遼寧"),
    _province("吉林", "Jilin"),
    _province("黑龙江", "Heilongjiang", "黑龍江"),
    _province("江苏", "Jiangsu", "江蘇"),
    _province("浙江", "Zhejiang"),
    _province("安徽", "Anhui"),
    _province("福建", "Fujian"),
    _province("江西", "Jiangxi"),
    _province("山东", "Shandong", "山東"),
    _province("河南", "Henan"),
    _province("湖北", "Hubei"),
    _province("湖南", "Hunan"),
    _province("广东", "Guangdong", "廣東"),
    _province("广西", "Guangxi", "廣西"),
    _province("四川", "Sichuan"),
    _province("贵州", "Guizhou", "貴州"),
    _province("云南", "Yunnan", "雲南"),
    _province("陕西", "Shaanxi", "陝西"),
    _province("海南", "Hainan", rule=_REMOTE),
    _province("甘肃", "Gansu", "甘肅", rule=_REMOTE),
    _province("青海", "Qinghai", rule=_REMOTE),
    _province("宁夏", "Ningxia", "寧夏", rule=_REMOTE),
    _province("内蒙古", "Inner Mongolia", "內蒙古", "Nei Mongol", "Neimenggu", rule=_REMOTE),
    _province("新疆", "Xinjiang", rule=_FAR),
    _province("西藏", "Tibet", "Xizang", rule=_FAR),
)
# Not delivered to (P2). Listed so that they are recognised as outside the mainland, not misread.
OUTSIDE_MAINLAND: tuple[str, ...] = (
    "香港",
    "澳门",
    "澳門",
    "台湾",
    "臺灣",
    "台灣",
    "Hong Kong",
    "Macau",
    "Macao",
    "Taiwan",
)


@dataclass(frozen=True)
class DeliveryWindow:
    """P2's delivery time to a province: `min_days` to `max_days` calendar days after shipping."""

    province: Province
    rule: DeliveryRule
    min_days: int
    max_days: int


@dataclass(frozen=True)
class DeliveryDates:
    """The expected delivery dates of a shipped order (Beijing dates, both included)."""

    window: DeliveryWindow
    shipped_on: date  # day 0
    earliest: date
    latest: date

    def is_late(self, today: date) -> bool:
        """Past the window's last day and not delivered: worth saying, and P3 may apply."""
        return today > self.latest


def _key(name: str) -> str:
    """Lower case without spaces, punctuation or a leading "China"/"中国": what matching compares."""
    key = re.sub(r"[\W_]+", "", name.casefold())
    for country in ("中国", "中國", "china"):
        if key.startswith(country) and len(key) > len(country):
            key = key[len(country) :]
    return key


_ALIASES: tuple[tuple[str, Province], ...] = tuple(
    (_key(alias), province) for province in MAINLAND for alias in (province.zh, province.en, *province.aliases)
)
_OUTSIDE: tuple[str, ...] = tuple(_key(name) for name in OUTSIDE_MAINLAND)


def province_of(name: str) -> Province | None:
    """The mainland province a stored province name means ("新疆维吾尔自治区", "Guangdong Province");
    None outside the mainland or when not recognised."""
    key = _key(name)
    if not key or key.startswith(_OUTSIDE):
        return None
    for alias, province in _ALIASES:
        if key.startswith(alias):
            return province
    return None


def delivery_window(province_name: str) -> DeliveryWindow | None:
    """P2's delivery time to the province of an address; None outside the mainland (not delivered,
    so it should not happen) or for a province that is not recognised."""
    province = province_of(province_name)
    if province is None:
        return None
    low, high = DAYS[province.rule]
    return DeliveryWindow(province, province.rule, low, high)


def delivery_dates(shipped_at: datetime, window: DeliveryWindow) -> DeliveryDates:
    """The expected delivery dates: day 0 is the Beijing date of shipping; calendar days."""
    shipped_on = beijing_date(shipped_at)
    return DeliveryDates(
        window,
        shipped_on,
        shipped_on + timedelta(days=window.min_days),
        shipped_on + timedelta(days=window.max_days),
    )


def expected_delivery(order: Order) -> DeliveryDates | None:
    """The expected delivery dates of a shipped order; None when the order is not on its way (not
    shipped yet, delivered, cancelled, returned), when the ship time is missing, or when the address
    has no window (outside the mainland, province not recognised)."""
    if order.status is not OrderStatus.SHIPPED or order.shipped_at is None:
        return None
    window = delivery_window(order.address.province)
    return delivery_dates(order.shipped_at, window) if window is not None else None


def expected_ship_date(paid_at: datetime) -> date:
    """P2: paid before 16:00 Beijing time ships the same day; at 16:00 or later, the next day."""
    if paid_at.tzinfo is None:
        raise ValueError("a naive datetime has no Beijing time")
    local = paid_at.astimezone(BEIJING)
    return local.date() if local.time() < SAME_DAY_SHIPPING_CUTOFF else local.date() + timedelta(days=1)
