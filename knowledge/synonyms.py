"""Domain synonyms: the words customers use mapped onto the words the knowledge base uses.

The offline embedding model knows almost no Chinese, so the lexical signals carry Chinese; folding
synonyms into one canonical word lets "三包" find an entry phrased with "保修".
"""

from __future__ import annotations

import re
from functools import lru_cache

# canonical word -> variants customers write. Variants are matched longest first in one pass,
# so a canonical word is never rewritten again.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "保修": ("质保", "三包", "保固", "包修", "延保", "保修期内"),
    "维修": ("修理", "返修", "送修", "寄修", "修一下", "修好", "报修", "坏了能修"),
    "退货": ("退回去", "退回", "退掉", "退了", "退换货", "退货退款"),
    "退款": ("退钱", "返款", "退费", "钱退", "把钱退", "钱没到账"),
    "换货": ("调换", "换一台", "换个新的", "换新机", "换一个"),
    "快递": ("物流", "包裹", "快件", "邮包", "配送", "快递公司", "顺丰", "顺丰快递", "送货"),
    "发货": ("寄出", "发出", "出库", "寄货", "发走"),
    "运费": ("邮费", "快递费", "运输费", "配送费", "包邮"),
    "签收": ("收到货", "拿到货", "收到快递"),
    "拒收": ("拒签", "不签收", "拒绝签收"),
    "价保": ("保价", "价格保护", "退差价", "补差价", "差价", "降价补偿"),
    "增值税专用发票": ("专票", "增票", "专用发票"),
    "发票": ("开票", "票据", "普票", "电子发票", "电子票"),
    "积分": ("会员分", "会员积分", "积分值"),
    "以旧换新": ("旧机回收", "回收旧机", "旧换新", "旧机换新"),
    "投诉": ("举报", "申诉", "差评"),
    "人工": ("真人", "客服人员", "人工客服", "活人"),
    "取消订单": ("撤销订单", "订单取消", "取消下单"),
    "安装": ("装机", "上门装", "上门安装"),
    "扫地机": ("扫地机器人", "扫拖机器人", "扫地机械人", "扫地宝"),
    "净化器": ("空气净化器",),
    "净水器": ("净水机",),
    "耳机": ("无线耳机", "蓝牙耳机", "耳塞"),
    "音箱": ("智能音箱", "音响", "小音箱"),
    "滤芯": ("滤网",),
    "refund": ("money back", "reimburse", "reimbursement", "refunded", "refunds", "refunding"),
    "warranty": ("guarantee", "guaranty", "warrantee", "warranties"),
    "return": ("send back", "send it back", "returning", "returns", "returned"),
    "repair": ("fix", "fixed", "fixing", "repairs", "repaired", "mend"),
    "package": ("parcel", "delivery box", "shipment", "packages", "parcels"),
    "courier": ("carrier", "sf express", "shipping company", "delivery company"),
    "shipping fee": ("delivery fee", "postage", "delivery charge", "shipping cost", "shipping charge"),
    "price protection": ("price match", "price guarantee", "price drop", "price difference"),
    "vacuum": ("robot vacuum", "robovac", "hoover"),
    "earbuds": ("earphones", "headphones", "earbud", "airpods"),
    "invoice": ("receipt", "fapiao", "invoices", "tax invoice"),
    "points": ("reward points", "loyalty points", "member points"),
    "cancel": ("cancelled", "canceled", "cancelling", "canceling", "cancellation"),
    "agent": ("human", "real person", "live agent", "representative", "rep"),
}


@lru_cache(maxsize=1)
def _pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    lookup = {variant.lower(): canonical for canonical, variants in SYNONYMS.items() for variant in variants}
    alternatives = sorted(lookup, key=len, reverse=True)
    escaped = []
    for variant in alternatives:
        piece = re.escape(variant)
        # English variants match whole words only; Chinese has no word boundaries to respect.
        escaped.append(rf"\b{piece}\b" if variant.isascii() else piece)
    return re.compile("|".join(escaped), re.IGNORECASE), lookup


def canonicalise(text: str) -> str:
    """Replace every known variant with its canonical word."""
    pattern, lookup = _pattern()
    return pattern.sub(lambda match: lookup[match.group(0).lower()], text)
