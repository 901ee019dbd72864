"""The facts of a case in a customer's words (docs/eligibility-cases.md, "How a case is read").

`read_words(text, today, language, asked=…)` gives what one message says: which remedy the customer
is after (`Flow`, and for invoices which one), the product, the faulty part, whether it is a quality
problem, P6's conditions, P8's causes, P12's flags, P13's facts, and each date with what it is the
date of (delivery, payment, invoice: from the verb of its clause). `asked` is the fact the assistant
has just asked for: a bare "上周一" or "yes" is read as the answer to it. Nothing found is None (not
known); `CaseWords.then(later)` lets a later message add to or correct an earlier one.

The vocabulary is a list of patterns per fact below, in both languages (customers mix them); it was
grown on the dev set (knowledge/eval/cases_dev.yml, `python -m bench.cases --set dev`), never on the
test set.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields, replace
from datetime import date
from enum import StrEnum
from typing import Any

from desk.eligibility.customer_dates import Language, when
from desk.eligibility.facts import DamageCause, Fact, Part
from desk.eligibility.rules import Anchor
from desk.orders.records import Category


class Flow(StrEnum):
    """What the customer is after: each flow's answer states the decisions of its remedies."""

    RETURN = "return"
    EXCHANGE = "exchange"
    REPAIR = "repair"
    WARRANTY = "warranty"
    INSTALLATION = "installation"
    PRICE_PROTECTION = "price_protection"
    INVOICE = "invoice"


class InvoiceChange(StrEnum):
    TITLE = "invoice_title_change"
    SPECIAL = "special_invoice"


@dataclass(frozen=True)
class DateSaid:
    """A date the customer gave: the days it may be, and what it is the date of."""

    anchor: Anchor
    earliest: date
    latest: date
    words: str


@dataclass(frozen=True)
class CaseWords:
    """What the customer's messages say of the case; None: not said."""

    flow: Flow | None = None
    invoice_change: InvoiceChange | None = None
    requesting: bool | None = None  # "I want to return it" rather than "can I return it?"
    category: Category | None = None
    part: Part | None = None
    quality_problem: bool | None = None
    opened_consumable: bool | None = None
    used_beyond_inspection: bool | None = None
    incomplete: bool | None = None
    customised: bool | None = None
    gift_card: bool | None = None
    damage_causes: frozenset[DamageCause] | None = None
    flash_sale: bool | None = None
    coupon_price: bool | None = None
    trade_in: bool | None = None
    price_protection_used: bool | None = None
    is_company: bool | None = None
    invoice_title_changed: bool | None = None
    dates: tuple[DateSaid, ...] = ()

    def then(self, later: CaseWords) -> CaseWords:
        """These words, with what a later message says added or corrected (a later date of the same
        kind replaces the earlier one)."""
        changes: dict[str, object] = {}
        for field in fields(self):
            value = getattr(later, field.name)
            if field.name == "dates":
                kept = tuple(said for said in self.dates if all(said.anchor != new.anchor for new in later.dates))
                changes["dates"] = kept + later.dates
            elif field.name in ("flow", "invoice_change") and getattr(self, field.name) is not None:
                continue  # the case stays what it started as ("the invoice is dated …" answers it)
            elif field.name == "damage_causes" and value is not None and self.damage_causes:
                changes["damage_causes"] = self.damage_causes | value
            elif value is not None:
                changes[field.name] = value
        return replace(self, **changes)  # type: ignore[arg-type]

    def date_of(self, anchor: Anchor) -> DateSaid | None:
        return next((said for said in self.dates if said.anchor is anchor), None)

    def to_json(self) -> dict[str, Any]:
        """As JSON values (kept in a Rasa slot between the messages of a case); None left out."""
        data: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "dates":
                data["dates"] = [[d.anchor.value, d.earliest.isoformat(), d.latest.isoformat(), d.words] for d in value]
            elif field.name == "damage_causes" and value is not None:
                data[field.name] = sorted(cause.value for cause in value)
            elif value is not None:
                data[field.name] = value.value if isinstance(value, StrEnum) else value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaseWords:
        """`to_json`'s values back (unknown keys ignored: a slot written by another version)."""
        known = {field.name for field in fields(cls)}
        values: dict[str, Any] = {key: value for key, value in data.items() if key in known}
        for name, kind in _ENUM_FIELDS.items():
            if values.get(name) is not None:
                values[name] = kind(values[name])
        if values.get("damage_causes") is not None:
            values["damage_causes"] = frozenset(DamageCause(cause) for cause in values["damage_causes"])
        values["dates"] = tuple(
            DateSaid(Anchor(anchor), date.fromisoformat(earliest), date.fromisoformat(latest), words)
            for anchor, earliest, latest, words in data.get("dates") or ()
        )
        return cls(**values)


_ENUM_FIELDS: dict[str, type[StrEnum]] = {
    "flow": Flow,
    "invoice_change": InvoiceChange,
    "category": Category,
    "part": Part,
}


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns), re.IGNORECASE)


# --- the vocabulary -------------------------------------------------------------------------------

# In order: the first flow found wins (a price-protection question may say "return"; an exchange or
# return question may mention the warranty).
_FLOWS: tuple[tuple[Flow, re.Pattern[str]], ...] = (
    (Flow.PRICE_PROTECTION, _any(r"价保|保价|价格保护|差价|降价|便宜了", r"price[- ]?(?:protection|drop|difference|match|adjust)", r"cheaper|for less|price (?:has |already )?(?:dropped|gone down|went down)|the difference")),
    (Flow.INSTALLATION, _any(r"安装|装机", r"\binstall|set (?:it |them )?up|setup")),
    (Flow.EXCHANGE, _any(r"换货|换一?[台个副只]|换新|调换|更换|换吗|能换|可以换|想换|要换", r"exchange|replacement|replace (?:it|them|the)|swap")),
    (Flow.RETURN, _any(r"退货|退掉|退回|退款|退了|能退|可以退|想退|要退|退吗|退不|无理由", r"\breturn|send (?:it|them) back|refund|money back")),
    (Flow.REPAIR, _any(r"维修|修理|寄修|返修|(?<!保)修", r"repair|\bfix|get it fixed|send it in")),
    (Flow.WARRANTY, _any(r"保修|质保|在保|过保|保固|还保|保吗|保不保|能保|保[一两二三\d]年|保多久", r"warrant|guarantee|covered")),
    (Flow.INVOICE, _any(r"发票|抬头|专票", r"invoice")),
)  # fmt: skip
_SPECIAL_INVOICE = _any(r"专票|专用发票|增值税专用", r"special (?:vat )?invoice|vat special")
_TITLE_CHANGE = _any(r"抬头|改发票|换发票|开错", r"title|company name on|wrong name")
_REQUESTING = _any(r"我要|我想|(?<!不)想要|要求|申请|帮我|给我|麻烦", r"\bi want|i'?d like|i would like|\bplease\b|want to|arrange|\bstart (?:a|the)")

_CATEGORIES: tuple[tuple[Category, re.Pattern[str]], ...] = (
    (Category.WATER_PURIFIER, _any(r"净水器|净水机", r"water (?:purifier|filter system)")),
    (Category.AIR_PURIFIER, _any(r"空气净化器|净化器", r"air purifier|purifier")),
    (Category.ROBOT_VACUUM, _any(r"扫地机|扫拖|扫地", r"robot vacuum|vacuum|robovac|hoover")),
    (Category.AIR_CONDITIONER, _any(r"空调", r"air ?con|air conditioner|\bac\b|a/c")),
    (Category.SMART_SPEAKER, _any(r"音箱|音响", r"speaker")),
    (Category.EARBUDS, _any(r"耳机|耳塞(?!套)", r"ear ?buds?|earphones?|headphones?")),
)  # fmt: skip

_BATTERY_FAULT = _any(
    r"充不进电|充不上电|不充电|充不了电|掉电|不蓄电|充电充不",
    r"won'?t (?:hold a )?charge|not charging|stopped charging|doesn'?t charge|can'?t charge|no longer charges|drains",
)
# Named parts first (a remote that fails is the accessory, not the whole unit).
_PARTS: tuple[tuple[Part, re.Pattern[str]], ...] = (
    (Part.CONSUMABLE, _any(r"滤芯|滤网|边刷|滚刷|耳塞套|耳帽|尘袋|集尘袋", r"filter|brush|ear ?tips?|dust ?bags?")),
    (Part.ACCESSORY, _any(r"充电座|基站|遥控器|遥控|充电盒|充电仓", r"charging (?:dock|base|station|case)|\bdock\b|remote")),
    (Part.COMPRESSOR, _any(r"压缩机", r"compressor")),
    (Part.MOTOR, _any(r"电机|马达", r"motor")),
    (Part.BATTERY, _any(r"电池|续航", r"battery", _BATTERY_FAULT.pattern)),
)  # fmt: skip
_WHOLE_UNIT = _any(
    r"整机|不开机|开不了机|开不开机|坏了|不工作|不能用|用不了|不制冷|不制热|不出水|没反应|死机|故障|不转|不亮|没声音|连不上|不动了?|不走|罢工",
    r"whole (?:unit|thing|device|machine)|(?:won'?t|will not|doesn'?t|does not) (?:turn|switch|power) on|stopped working|not working|doesn'?t work|broke|broken|dead|died|faulty|malfunction",
)
_FAULT = _any(
    r"异味|臭味|怪味|噪音|噪声|响声|异响|杂音|电流声|滋滋|嗡嗡|漏水|滴水|质量问题|瑕疵|次品|有问题|毛病|失灵|不灵|卡顿|卡住|发热|裂|转圈|断连|断开|不出|报错|故障码|掉毛|划痕",
    r"smell|stink|nois|loud|rattl|leak|drip|defect|quality (?:problem|issue)|faulty|crack|glitch|keeps? (?:\w+ing)|squeak|stick|grind|buzz|hum\b|beep|error|disconnect|static|crackl|flicker|overheat|snapped|scratch|no sound|(?:won'?t|doesn'?t|does not|will not|can'?t) (?:work|start|turn|power|cool|heat|pair|connect|suck|clean|charge)",
)
_NO_FAULT = _any(
    r"不想要|不喜欢|买错|买多|不需要|用不上|不合适|没有?质量问题|不是质量问题|没问题|没坏|好好的|闲置",
    r"changed? my mind|don'?t (?:want|need|like)|no longer (?:need|want)|wrong (?:one|model|colou?r|size)|ordered (?:the )?wrong|nothing wrong|not (?:a )?(?:quality|defect)|works fine|not faulty",
)
_UNOPENED = _any(r"没拆封|未拆封|没开封|未开封|全新未拆|没拆过|原封|没拆", r"unopened|still sealed|never opened|not opened|sealed|brand new in (?:the )?box|unused")
_OPENED_CONSUMABLE = _any(
    r"(?:拆|打开|开封|用)[了过]?(?:的)?(?:滤芯|滤网|边刷|滚刷|耳塞套)|(?:滤芯|滤网|边刷|滚刷|耳塞套)[^，。,]{0,8}(?:拆|开封|打开|用)[了过开]",
    r"(?:opened|used|unsealed|unwrapped|installed|tried)\b[^.,;]{0,30}(?:filter|brush|ear ?tips?)|(?:filter|brush|ear ?tips?)\w* (?:is |are |was |were |has been |have been )?(?:opened|used|unsealed|installed)",
)
_NOT_USED = _any(r"没用过|没用|未使用|没激活|未激活|没开机", r"never used|haven'?t used|not used|didn'?t use|never turned it on|not activated")
_USED = _any(r"用了|用过|使用了|激活|试用了|用了几天|开机用", r"\bused (?:it|them)|been using|\bactivated|used for|tried it|using it")
_INCOMPLETE = _any(
    r"包装(?:盒)?(?:已经)?(?:扔|丢|没了|坏了|破了|撕)|盒子(?:已经)?(?:扔|丢|没了|坏)|箱子(?:扔|丢)|(?:配件|说明书|赠品)(?:丢|没了|少了|不全|找不到)",
    r"threw (?:away )?the (?:box|packaging)|(?:lost|missing|without) (?:the )?(?:box|packaging|accessor\w*|manual|parts?|gift)|box is (?:gone|damaged)|packaging is (?:gone|damaged|torn)",
)
_CUSTOMISED = _any(r"定制|刻字", r"custom|engrav|personali[sz]ed")
_GIFT_CARD = _any(r"礼品卡", r"gift ?card")
_CAUSES: tuple[tuple[DamageCause, re.Pattern[str]], ...] = (
    (DamageCause.NON_ORIGINAL_CHARGER, _any(r"别[的人][^，。,]{0,5}充电器|非原装|其他[^，。,]{0,5}充电器|第三方[^，。,]{0,3}充电器|杂牌", r"(?:third[- ]party|another|other|different|non[- ]?original|generic|cheap) (?:brand )?charger")),
    (DamageCause.LIQUID_DAMAGE, _any(r"进水|泡水|洒了?水|泼|浸水|淋雨|掉水里|进了水|弄湿", r"water (?:got|went)|spill|spilt|got wet|liquid|into (?:the )?water|soaked|rain")),
    (DamageCause.DROP, _any(r"摔|掉地|掉在地|跌落|掉下|磕", r"(?<!price )(?<!price has )(?<!price already )\bdropped\b(?! (?:by|to|in price|out|off|connection))|\bfell\b|knocked (?:it |them )?(?:off|over)")),
    (DamageCause.UNAUTHORISED_REPAIR, _any(r"自己拆(?!.{0,2}滤)|拆开过|拆过(?!.{0,3}(?:滤|包装))|拆机|外面修|私自|找人修|别人修|维修店修|第三方维修", r"opened it up|took it apart|repaired (?:it )?elsewhere|third[- ]party repair|local (?:repair )?shop|disassembl|self[- ]repair")),
    (DamageCause.USER_DAMAGE, _any(r"我弄坏|弄坏了|孩子弄|踩坏|压坏|砸坏|人为", r"i broke|(?:kid|son|daughter|child|dog|cat) (?:broke|chewed|damaged)|stepped on|my fault|damaged it myself")),
)  # fmt: skip
_NO_CAUSE = _any(r"没摔|没进水|没有摔|没有进水|正常使用|没磕", r"never dropped|not dropped|no water|didn'?t drop|normal use|never opened it")
_FLASH_SALE = _any(r"秒杀", r"flash[- ]?sale|lightning deal")
_COUPON = _any(r"(?:用了?|使用了?|领了?)(?:优惠)?券|优惠券|满减券", r"coupon|voucher|promo code")
_TRADE_IN = _any(r"以旧换新", r"trade[- ]?in|traded in")
_NO_FLAG = _any(r"没用券|没有用券|没用优惠券|不是秒杀|原价|正常价", r"no coupon|didn'?t use (?:a|any) coupon|not (?:a|in a) flash|full price|regular price")
_PROTECTION_USED = _any(r"(?:申请|用|办)过(?:一次)?价保|价保过|已经价保|已经申请了?价保|退过差价", r"already (?:claimed|got|used|applied for) (?:the )?price|price protection (?:once )?already")
_COMPANY = _any(r"公司|企业|单位|税号|工作室", r"company|business|corporate|firm|enterprise|tax id")
_PERSON = _any(r"个人|自己用|私人|不是公司", r"personal|myself|individual|private|not a (?:company|business)|for me")
_TITLE_CHANGED = _any(r"改过(?:一次)?(?:发票)?抬头|抬头(?:已经)?改过|已经改过|改过一次", r"already changed|changed (?:it|the title) (?:once )?(?:already|before)|changed it once")
_YES = _any(r"^\s*(?:是|是的|对|对的|有|嗯|没错|确定|公司)", r"^\s*(?:yes|yeah|yep|yup|correct|right|sure|it is|a company)\b")
_NO = _any(r"^\s*(?:不是|没有|否|不|无|没)", r"^\s*(?:no|nope|not|nah|it'?s not|it isn'?t)\b")

# What a date is of: the verb of its clause (docs/eligibility-cases.md, "Dates").
_ANCHOR_WORDS: tuple[tuple[Anchor, re.Pattern[str]], ...] = (
    (Anchor.INVOICE, _any(r"开票|发票日期|发票是|发票上", r"invoice")),
    (Anchor.DELIVERY, _any(r"收到|签收|到货|到的|送到|送达|到手|拿到|到了", r"receiv|deliver|arriv|\bgot\b|came|showed up|turned up")),
    (Anchor.PAYMENT, _any(r"买|购买|下单|付款|付的款|入手|拍的|订的", r"bought|order|purchas|paid|buy")),
)  # fmt: skip
# Chinese clauses end at any comma; English ones at a sentence's end or "and/but" ("on May 3, 2025" is one date).
_CLAUSE = {
    "zh": re.compile(r"[，,。!！?？;；\n]+|\s+"),
    "en": re.compile(r"[!?;\n]+|\.(?!\d)|\s+(?:and|but|so)\s+", re.IGNORECASE),
}
# Words a date reader takes for today which are no date of the case ("现在不想要了", "now on sale").
_NOT_A_DATE = re.compile(r"^(?:现在|目前|当前|如今|now(?: on)?|currently|right now)$", re.IGNORECASE)


def _first(table: tuple[tuple[object, re.Pattern[str]], ...], text: str) -> object | None:
    return next((value for value, pattern in table if pattern.search(text)), None)


def _said(positive: re.Pattern[str], negative: re.Pattern[str] | None, text: str) -> bool | None:
    if negative is not None and negative.search(text):
        return False
    return True if positive.search(text) else None


def _flow(text: str) -> tuple[Flow | None, InvoiceChange | None]:
    flow = _first(_FLOWS, text)  # type: ignore[arg-type]
    if flow is not Flow.INVOICE:
        return flow, None  # type: ignore[return-value]
    if _SPECIAL_INVOICE.search(text):
        return Flow.INVOICE, InvoiceChange.SPECIAL
    return Flow.INVOICE, InvoiceChange.TITLE if _TITLE_CHANGE.search(text) else None


def _dates(text: str, today: date, language: Language, asked: Fact | None) -> tuple[DateSaid, ...]:
    """Each clause's date, with what it is the date of: the clause's verb, else the message's, else
    the fact just asked for, else the purchase. An English sentence whose whole gives the date reader
    nothing is read again by its comma-separated parts ("got it last week, the left one …")."""
    whole = _first(_ANCHOR_WORDS, text)  # type: ignore[arg-type]
    found: dict[Anchor, DateSaid] = {}
    for clause in _CLAUSE[language].split(text):
        if not clause.strip():
            continue
        read = [(clause, when(clause, today, language))]
        if read[0][1] is None and language == "en" and "," in clause:
            read = [(part, when(part, today, language)) for part in clause.split(",") if part.strip()]
        for words, said in read:
            if said is None or _NOT_A_DATE.match(said.words.strip()):
                continue
            anchor = _first(_ANCHOR_WORDS, words) or _ASKED_ANCHOR.get(asked) or whole  # type: ignore[arg-type, call-overload]
            anchor = anchor or Anchor.PAYMENT
            assert isinstance(anchor, Anchor)
            found.setdefault(anchor, DateSaid(anchor, said.earliest, said.latest, said.words))
    return tuple(found.values())


_ASKED_ANCHOR = {Fact.DELIVERED_ON: Anchor.DELIVERY, Fact.PAID_ON: Anchor.PAYMENT, Fact.INVOICE_ON: Anchor.INVOICE}


def _answer(asked: Fact | None, text: str) -> dict[str, object]:
    """A yes or no answering the question just asked."""
    if asked not in (Fact.QUALITY_PROBLEM, Fact.IS_COMPANY):
        return {}
    name = "quality_problem" if asked is Fact.QUALITY_PROBLEM else "is_company"
    if _NO.search(text):
        return {name: False}
    if _YES.search(text):
        return {name: True}
    return {}


def read_words(text: str, today: date, language: Language, *, asked: Fact | None = None) -> CaseWords:
    """What one message says of the case (`asked`: the fact the assistant just asked for)."""
    text = unicodedata.normalize("NFKC", text)
    flow, invoice_change = _flow(text)
    part = _first(_PARTS, text)  # type: ignore[arg-type]
    if part is None and (asked is Fact.PART or flow in (Flow.WARRANTY, Flow.REPAIR)) and _WHOLE_UNIT.search(text):
        part = Part.WHOLE_UNIT
    quality = _said(_any(_FAULT.pattern, _WHOLE_UNIT.pattern, _BATTERY_FAULT.pattern), _NO_FAULT, text)
    unopened = bool(_UNOPENED.search(text))
    causes = frozenset(cause for cause, pattern in _CAUSES if pattern.search(text))  # type: ignore[misc]
    words = CaseWords(
        flow=flow,
        invoice_change=invoice_change,
        requesting=True if _REQUESTING.search(text) else None,
        category=_first(_CATEGORIES, text),  # type: ignore[arg-type]
        part=part,  # type: ignore[arg-type]
        quality_problem=quality,
        opened_consumable=False if unopened else _said(_OPENED_CONSUMABLE, None, text),
        used_beyond_inspection=False if unopened else _said(_USED, _NOT_USED, text),
        incomplete=False if unopened else _said(_INCOMPLETE, None, text),
        customised=_said(_CUSTOMISED, None, text),
        gift_card=_said(_GIFT_CARD, None, text),
        damage_causes=causes or (frozenset() if _NO_CAUSE.search(text) else None),
        flash_sale=_said(_FLASH_SALE, _NO_FLAG, text),
        coupon_price=_said(_COUPON, _NO_FLAG, text),
        trade_in=_said(_TRADE_IN, None, text),
        price_protection_used=_said(_PROTECTION_USED, None, text),
        is_company=_said(_COMPANY, _PERSON, text),
        invoice_title_changed=_said(_TITLE_CHANGED, None, text),
        dates=_dates(text, today, language, asked),
    )
    if asked is Fact.CATEGORY and words.category is None:
        return words
    return replace(words, **_answer(asked, text))  # type: ignore[arg-type]
