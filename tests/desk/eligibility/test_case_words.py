"""Reading a case from a customer's words (docs/eligibility-cases.md): the flow, the facts, each date
with what it is the date of, and a reply read as the answer to the question asked."""

from __future__ import annotations

from datetime import date

import pytest

from desk.eligibility.case_vocabulary import UNOPENED
from desk.eligibility.case_words import CaseWords, DateSaid, Flow, InvoiceChange, read_words, vocabulary_meanings
from desk.eligibility.clause_meaning import Meaning
from desk.eligibility.date_ranges import Language
from desk.eligibility.facts import DamageCause, Fact, Part
from desk.eligibility.rules import Anchor
from desk.orders.records import Category

TODAY = date(2026, 12, 9)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "language", "flow"),
    [
        ("我上周买的空气净化器有异味，能退吗？", "zh", Flow.RETURN),
        ("收到10天了还能换货吗", "zh", Flow.EXCHANGE),
        ("我要申请维修，充电座坏了", "zh", Flow.REPAIR),
        ("还在保修期吗", "zh", Flow.WARRANTY),
        ("净水器还能预约免费安装吗", "zh", Flow.INSTALLATION),
        ("付款第三天就降价了，能价保吗", "zh", Flow.PRICE_PROTECTION),
        ("发票抬头开错了能改吗", "zh", Flow.INVOICE),
        ("can I still return it?", "en", Flow.RETURN),
        ("I'd like an exchange", "en", Flow.EXCHANGE),
        ("can you fix it", "en", Flow.REPAIR),
        ("is it still under warranty?", "en", Flow.WARRANTY),
        ("the price dropped, can I get price protection", "en", Flow.PRICE_PROTECTION),
        ("how are you", "en", None),
        # said indirectly, in Cantonese, or beside a word that looks like another remedy
        ("部冷氣上個月到咗，一直未搵人裝，而家約師傅仲免唔免費？", "zh", Flow.INSTALLATION),
        ("部掃地機用咗十三個月，個摩打好大聲，可唔可以免費整？", "zh", Flow.REPAIR),
        ("白色的跟家里装修不搭，想换成灰色的", "zh", Flow.EXCHANGE),  # 装修 is no repair
        ("能不能给我弄台新的", "zh", Flow.EXCHANGE),
        ("Could it go back? Everything is still in the box.", "en", Flow.RETURN),
        ("Can I get a partial refund for the price drop?", "en", Flow.PRICE_PROTECTION),
        ("充电座指示灯不亮了，能不能给我弄好", "zh", Flow.REPAIR),
        ("the fan clicks constantly 🙄 I'd like a new one.", "en", Flow.EXCHANGE),
        ("my vaccum stopped charging. still under waranty?", "en", Flow.WARRANTY),
        # replacement filters are no exchange
        ("I opened one of the replacement filters, I'd rather return the whole purifier", "en", Flow.RETURN),
    ],
)
def test_the_flow_is_what_the_customer_is_after(text: str, language: str, flow: Flow | None) -> None:
    assert read_words(text, TODAY, language).flow is flow  # type: ignore[arg-type]


def test_which_invoice_change() -> None:
    assert read_words("能开专票吗", TODAY, "zh").invoice_change is InvoiceChange.SPECIAL
    assert read_words("can I change the invoice title", TODAY, "en").invoice_change is InvoiceChange.TITLE


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("机器人充不进电了", Part.BATTERY),
        ("my vacuum stopped charging", Part.BATTERY),
        ("遥控器失灵了", Part.ACCESSORY),
        ("the charging dock broke", Part.ACCESSORY),
        ("滤芯有问题", Part.CONSUMABLE),
        ("压缩机坏了", Part.COMPRESSOR),
        ("the motor is broken", Part.MOTOR),
        ("保修吗，不开机了", Part.WHOLE_UNIT),
        ("能退吗", None),
    ],
)
def test_the_part(text: str, part: Part | None) -> None:
    language = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"
    assert read_words(text, TODAY, language).part is part  # type: ignore[arg-type]


def test_quality_problem_said_or_denied() -> None:
    assert read_words("有异味，能退吗", TODAY, "zh").quality_problem is True
    assert read_words("不想要了能退吗", TODAY, "zh").quality_problem is False
    assert read_words("I changed my mind, can I return it", TODAY, "en").quality_problem is False
    assert read_words("能退吗", TODAY, "zh").quality_problem is None


def test_conditions_causes_flags() -> None:
    words = read_words("滤芯拆了能退吗", TODAY, "zh")
    assert words.opened_consumable is True
    assert read_words("没拆封，能退吗", TODAY, "zh").used_beyond_inspection is False
    assert read_words("I dropped it, is that covered", TODAY, "en").damage_causes == {DamageCause.DROP}
    assert read_words("进水了保修吗", TODAY, "zh").damage_causes == {DamageCause.LIQUID_DAMAGE}
    assert read_words("秒杀买的能价保吗", TODAY, "zh").flash_sale is True
    assert read_words("我们公司要开专票", TODAY, "zh").is_company is True
    assert read_words("a vacuum", TODAY, "en").category is Category.ROBOT_VACUUM


def test_causes_and_changes_of_mind_told_as_a_story() -> None:
    rain = "音箱一直放窗台上，前几天下暴雨忘了关窗，飘进去不少水"
    assert read_words(rain, TODAY, "zh").damage_causes == {DamageCause.LIQUID_DAMAGE}
    juice = "My son knocked his juice over the speaker and now the buttons don't do anything"
    assert read_words(juice, TODAY, "en").damage_causes == {DamageCause.LIQUID_DAMAGE}
    assert read_words("猫把音箱碰到地上了", TODAY, "zh").damage_causes == {DamageCause.DROP}
    charger = read_words("用我手机的快充头给耳机充了几次", TODAY, "zh").damage_causes
    assert charger == {DamageCause.NON_ORIGINAL_CHARGER}
    # a filter's bag opened to look is no repair of the unit
    assert not read_words("滤芯的包装袋我拆开看了一眼，决定不装了", TODAY, "zh").damage_causes
    assert read_words("外机声音太大了，想换一台", TODAY, "zh").quality_problem is True  # loud, not too big
    assert (
        read_words("Got it yesterday in grey but I really wanted the white one", TODAY, "en").quality_problem is False
    )
    assert read_words("扫地机已经扫过两回了，现在想退", TODAY, "zh").used_beyond_inspection is True


@pytest.mark.parametrize(
    ("text", "language", "anchor", "earliest", "latest"),
    [
        ("我上周买的", "zh", Anchor.PAYMENT, date(2026, 11, 30), date(2026, 12, 6)),
        ("前天签收的", "zh", Anchor.DELIVERY, date(2026, 12, 7), date(2026, 12, 7)),
        ("买了14个月", "zh", Anchor.PAYMENT, date(2025, 10, 9), date(2025, 10, 9)),
        ("发票是10月9号开的", "zh", Anchor.INVOICE, date(2026, 10, 9), date(2026, 10, 9)),
        ("it arrived 3 days ago", "en", Anchor.DELIVERY, date(2026, 12, 6), date(2026, 12, 6)),
        ("发票是去年8月31号开的", "zh", Anchor.INVOICE, date(2025, 8, 31), date(2025, 8, 31)),
        ("I got it on June 5 last year", "en", Anchor.DELIVERY, date(2025, 6, 5), date(2025, 6, 5)),
        ("净化器用了两周，屏幕数值乱跳", "zh", Anchor.DELIVERY, date(2026, 11, 25), date(2026, 11, 25)),
        # A clause longer than a piece: its last piece reaches its end ("…two years ago").
        (
            "my earbuds won't hold a charge anymore and the case is scratched too, bought them two years ago",
            "en",
            Anchor.PAYMENT,
            date(2024, 12, 9),
            date(2024, 12, 9),
        ),
        ("It arrived on Monday, Nov 30", "en", Anchor.DELIVERY, date(2026, 11, 30), date(2026, 11, 30)),
    ],
)
def test_a_date_and_what_it_is_of(text: str, language: str, anchor: Anchor, earliest: date, latest: date) -> None:
    dates = read_words(text, TODAY, language).dates  # type: ignore[arg-type]
    assert [(d.anchor, d.earliest, d.latest) for d in dates] == [(anchor, earliest, latest)]


def test_two_dates_in_two_clauses() -> None:
    dates = read_words("11月28号下单的，12月1号收到", TODAY, "zh").dates
    assert {(d.anchor, d.earliest) for d in dates} == {
        (Anchor.PAYMENT, date(2026, 11, 28)),
        (Anchor.DELIVERY, date(2026, 12, 1)),
    }


def test_a_reply_answers_the_question_asked() -> None:
    (said,) = read_words("上周一", TODAY, "zh", asked=Fact.DELIVERED_ON).dates
    assert said.anchor is Anchor.DELIVERY and said.earliest == date(2026, 11, 30)
    assert read_words("不是", TODAY, "zh", asked=Fact.QUALITY_PROBLEM).quality_problem is False
    assert read_words("yes", TODAY, "en", asked=Fact.QUALITY_PROBLEM).quality_problem is True
    assert read_words("公司", TODAY, "zh", asked=Fact.IS_COMPANY).is_company is True
    assert read_words("the battery", TODAY, "en", asked=Fact.PART).part is Part.BATTERY


def test_a_cause_denied_is_none_and_a_gift_given_away_is_incomplete() -> None:
    assert not read_words("The hinge snapped off on its own, I never dropped it.", TODAY, "en").damage_causes
    words = read_words("送的那个小香薰机我已经拆开给我妈用了，净化器本身没开封", TODAY, "zh")
    assert words.incomplete is True


@pytest.mark.parametrize(
    ("text", "asked", "quality"),
    [
        ("开最大档有很响的咔哒声", Fact.QUALITY_PROBLEM, True),  # what is wrong: a fault
        ("不知道", Fact.QUALITY_PROBLEM, None),
        ("让我想想", Fact.QUALITY_PROBLEM, None),
        ("买错颜色了", Fact.QUALITY_PROBLEM, False),
        ("电池", Fact.PART, True),  # the part the fault is in
    ],
)
def test_a_reply_describing_the_fault_is_one(text: str, asked: Fact, quality: bool | None) -> None:
    assert read_words(text, TODAY, "zh", asked=asked).quality_problem is quality


def test_later_words_add_and_correct() -> None:
    first = read_words("我上周买的净化器有异味，能退吗", TODAY, "zh")
    later = first.then(read_words("12月3日签收的", TODAY, "zh", asked=Fact.DELIVERED_ON))
    assert later.flow is Flow.RETURN and later.quality_problem is True
    assert later.date_of(Anchor.DELIVERY) == DateSaid(Anchor.DELIVERY, date(2026, 12, 3), date(2026, 12, 3), "12月3日")
    assert later.date_of(Anchor.PAYMENT) is not None


def test_the_words_survive_json() -> None:
    words = read_words("我上周买的扫地机摔了，电池充不进电，还保修吗", TODAY, "zh")
    assert CaseWords.from_json(words.to_json()) == words


@pytest.mark.parametrize(
    ("text", "language", "flow"),
    [
        ("不想修也不想换，我要退！扫地机前天到的，一开机就报错", "zh", Flow.RETURN),
        ("I don't want a repair, just a refund. It arrived on the 3rd and the suction is weak.", "en", Flow.RETURN),
        ("A replacement or a repair isn't what I'm after, I'd rather have my money back.", "en", Flow.RETURN),
        ("The fan was loud so I opened it up to try and fix it. Can I get an exchange?", "en", Flow.EXCHANGE),
        ("耳機電池掉電快 保秀嗎 幫我修一下", "zh", Flow.REPAIR),
        ("今天来看的维修师傅说是压缩机坏了，压缩机不是保两年吗？", "zh", Flow.WARRANTY),
        ("安装师傅上周来装的，今天发现净水器一直在滴水，这个能退吗？", "zh", Flow.RETURN),
        ("耳机今天降了50块，我干脆退了重新买吧", "zh", Flow.RETURN),
    ],
)
def test_the_remedy_asked_for_not_the_ones_refused_or_in_the_story(text: str, language: str, flow: Flow) -> None:
    assert read_words(text, TODAY, language).flow is flow  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("昨天加班到很晚，今天问一下，¥1299的东西还能退吗", "zh"),
        ("隔壁王阿姨家买的别的牌子1999块都好好的", "zh"),
        ("we ordered the wrong size, can we return it?", "en"),
        ("is the compressor covered for 2 years?", "en"),
        ("the purifier I bought is now ¥200 cheaper", "en"),
    ],
)
def test_days_and_numbers_of_the_story_are_no_dates_of_the_case(text: str, language: str) -> None:
    assert read_words(text, TODAY, language).dates == ()  # type: ignore[arg-type]


def test_a_fault_beats_a_change_of_mind_and_an_opened_filter_beats_unopened() -> None:
    assert read_words("太吵了，不想要了，能退吗", TODAY, "zh").quality_problem is True
    assert (
        read_words("he'd rather keep listening to the radio, it's untouched", TODAY, "en").quality_problem is not True
    )
    words = read_words("滤芯塑封我拆开看了一眼，其他都没动过，能退吗", TODAY, "zh")
    assert words.opened_consumable is True and words.used_beyond_inspection is False
    assert read_words("我们单位一共40个人，要开专票", TODAY, "zh").is_company is True


def test_a_day_to_come_is_no_date_of_the_case() -> None:
    assert read_words("扫地机2026年12月25日买的坏了能修吗", TODAY, "zh").dates == ()
    assert read_words("发票日期2026年12月20日，能改抬头吗", TODAY, "zh").dates == ()


def test_a_long_run_of_time_words_is_read_in_a_bounded_number_of_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    from desk.eligibility import case_dates

    calls: list[str] = []
    monkeypatch.setattr(case_dates, "when", lambda text, today, language: calls.append(text))
    read_words("上周" * 1000, TODAY, "zh")
    read_words("dec 1, " * 285, TODAY, "en")
    # Per message: the pieces, and in English up to MAX_PHRASES date phrases within each.
    assert len(calls) <= case_dates.MAX_DATE_PIECES * (1 + 1 + case_dates.MAX_PHRASES)
    assert all(len(text) <= case_dates.MAX_DATE_TEXT for text in calls)


@pytest.mark.parametrize(
    ("text", "is_case"),
    [
        ("如果收货第十天才发现质量问题，还能退货吗？", False),  # a case supposed: the knowledge base answers
        ("what if I just dropped them on the pavement?", False),
        ("以旧换新最多能补贴多少钱？", False),  # a trade-in is no exchange
        ("如果可以的话我要退货，前天收到的", True),  # asking for something: a case
        ("can you check if it's still under warranty? bought it 14 months ago", True),
        ("耳机前天收到的，左耳没声音，能换吗", True),
    ],
)
def test_a_case_supposed_is_a_question_for_the_knowledge_base(text: str, is_case: bool) -> None:
    words = read_words(text, TODAY, "en" if text.isascii() else "zh")
    assert (words.flow is not None and words.is_case) is is_case


@pytest.mark.parametrize(
    ("text", "opened"),
    [
        ("上周到的滤网，拆了包装装上才发现型号不对，能退吗", True),  # unpacked and fitted: opened
        ("边刷拆开袋子装好了，结果不是这款的", True),
        ("滤芯还没装，能退吗", None),
    ],
)
def test_a_consumable_unpacked_and_fitted_is_opened(text: str, opened: bool | None) -> None:
    assert read_words(text, TODAY, "zh").opened_consumable is opened


@pytest.mark.parametrize(
    ("text", "language", "quality"),
    [
        # the customer's own reason: no quality problem
        ("Opened the filter pack and it turns out it's made for the older model. Can I return it?", "en", False),
        ("These ear tips only fit the previous generation, can I send them back?", "en", False),
        ("The robot is much larger than we thought, it doesn't go under the sofa. Return?", "en", False),
        ("Haven't even taken it out of the box yet, can I still return it?", "en", False),
        ("净化器体积比想象的大太多了，放不进角落，能退吗", "zh", False),
        ("滤芯买回来发现是老款的，能退吗", "zh", False),
        # an intermittent fault, a caller who cannot hear: a quality problem
        ("耳机左耳时不时就断了，能换吗", "zh", True),
        ("音箱通话的时候对方听不清，能修吗", "zh", True),
        ("people on calls can't hear me through the earbuds, can I exchange them?", "en", True),
        ("声音比想象的大，吵得睡不着，能退吗", "zh", True),  # loud: a fault, not a size
    ],
)
def test_own_reasons_and_intermittent_faults(text: str, language: str, quality: bool | None) -> None:
    assert read_words(text, TODAY, language).quality_problem is quality  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "language", "causes"),
    [
        ("My son pushed a coin into the headphone jack and now it crackles", "en", {DamageCause.USER_DAMAGE}),
        ("Someone jammed a pencil in the vent of the purifier, it rattles now", "en", {DamageCause.USER_DAMAGE}),
        ("孩子把硬币塞进了充电口，现在充不进电", "zh", {DamageCause.USER_DAMAGE}),
        ("插到插座里就没反应了", "zh", None),  # plugged in: no object forced in
        ("The price dropped another ¥80 since I bought it", "en", None),  # a price, not the device
        ("the speaker dropped by 50 yuan, can I get the difference?", "en", None),
        ("I dropped the speaker and now it buzzes", "en", {DamageCause.DROP}),
    ],
)
def test_objects_forced_in_are_damage_and_prices_that_drop_are_not(
    text: str, language: str, causes: set[DamageCause] | None
) -> None:
    assert read_words(text, TODAY, language).damage_causes == causes  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "language", "flow"),
    [
        ("Could you send someone round to install the purifier?", "en", Flow.INSTALLATION),
        ("can you send an engineer out to mount it on the wall", "en", Flow.INSTALLATION),
        ("Can you send a technician to look at it? It won't turn on.", "en", Flow.REPAIR),
        ("Already had one price-difference refund, the earbuds dropped ¥30 more. Again?", "en", Flow.PRICE_PROTECTION),
        ("the vacuum went down another $20 after I paid, can I claim?", "en", Flow.PRICE_PROTECTION),
    ],
)
def test_installers_sent_over_and_prices_that_drop(text: str, language: str, flow: Flow) -> None:
    assert read_words(text, TODAY, language).flow is flow  # type: ignore[arg-type]


def test_the_order_page_is_no_payment() -> None:
    (said,) = read_words("the invoice on the order page says 3 December", TODAY, "en").dates
    assert said.anchor is Anchor.INVOICE and said.earliest == date(2026, 12, 3)
    (said,) = read_words("I ordered it on 3 December", TODAY, "en").dates
    assert said.anchor is Anchor.PAYMENT


@pytest.mark.parametrize(
    "text",
    [
        # read in pieces, one of which cuts the date short ("Nov", "November 1"): the whole date is kept
        "The invoice on my account page for the air purifier is dated November 18",
        "The invoice I downloaded from the app for the water purifier is dated November 18",
    ],
)
def test_a_long_clause_keeps_its_whole_date(text: str) -> None:
    (said,) = read_words(text, TODAY, "en").dates
    assert said.anchor is Anchor.INVOICE and (said.earliest, said.latest) == (date(2026, 11, 18), date(2026, 11, 18))


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("收到的不是新款，是翻新机，能退吗", "zh"),  # the shop's doing, not the customer's own reason
        ("你们发错了，发来的是老款", "zh"),
        ("You sent me a filter for the older model, not the one I ordered", "en"),
    ],
)
def test_a_wrong_item_sent_is_no_change_of_mind(text: str, language: str) -> None:
    # The vocabulary's reading (the learned one still takes the English one for the customer's own reason).
    assert read_words(text, TODAY, language, learned=False).quality_problem is not False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    ["帮我判断一下能不能退", "能帮我诊断一下吗", "客服电话打过去一直听不到人说话，能退吗"],
)
def test_words_of_the_conversation_are_no_fault(text: str) -> None:
    assert read_words(text, TODAY, "zh").quality_problem is not True


@pytest.mark.parametrize(
    ("text", "language", "causes"),
    [
        ("It dropped 3 feet off the table and now the screen is cracked", "en", {DamageCause.DROP}),
        ("I inserted the charger into the port and nothing happens", "en", None),
        ("there's dust stuck in the vent and it overheats", "en", None),
        ("快递员把箱子塞到我家门口就走了，能退吗", "zh", None),
        ("耳塞到手第二天充电口就接触不良", "zh", None),
    ],
)
def test_ordinary_use_is_no_damage(text: str, language: str, causes: set[DamageCause] | None) -> None:
    assert read_words(text, TODAY, language).damage_causes == causes  # type: ignore[arg-type]


def test_money_spent_is_no_price_drop_and_an_unboxing_that_failed_is_not_unopened() -> None:
    assert (
        read_words("I dropped $300 on this and it's not what I wanted", TODAY, "en").flow is not Flow.PRICE_PROTECTION
    )
    assert UNOPENED.search("I could not take it out of the box, it's stuck") is None
    (said,) = read_words("order no LM202605030001 placed on 3 May", TODAY, "en").dates
    assert said.anchor is Anchor.PAYMENT


def test_round_9_readings() -> None:
    """The tenth held-out set's misses, said in other words."""
    box = read_words("I don't want it anymore but I tossed the box already, can I return it?", TODAY, "en")
    assert box.incomplete is True
    juice = read_words("my son poured water into the vents of the purifier and now it won't start", TODAY, "en")
    assert juice.damage_causes == {DamageCause.LIQUID_DAMAGE}
    assert read_words("扫地机从台阶上滚下去了，不转了", TODAY, "zh").damage_causes == {DamageCause.DROP}
    assert read_words("We won't need the purifier after all, can it go back?", TODAY, "en").quality_problem is False
    assert (
        read_words("the left earbud is much quieter than the other, can I swap it?", TODAY, "en").quality_problem
        is True
    )


def test_round_10_readings() -> None:
    """The eleventh held-out set's misses, said in other words."""
    assert read_words("机器本身没啥毛病，就是不喜欢，能退吗", TODAY, "zh").quality_problem is False
    assert read_words("小孩用积木把音箱的面板砸裂了，还能换吗", TODAY, "zh").damage_causes == {DamageCause.USER_DAMAGE}
    assert (
        read_words("I'd rather keep my old kettle filter, can I return the purifier?", TODAY, "en").quality_problem
        is False
    )
    speaker = read_words("I set the speaker up and linked it to my account yesterday, can I return it?", TODAY, "en")
    assert speaker.used_beyond_inspection is True
    filters = read_words(
        "Bought spare brush heads. Wrong size, and I'd torn one out of its wrapper already.", TODAY, "en"
    )
    assert filters.opened_consumable is True
    # "主要是电池" is no "要是": a reply naming the part, not a case supposed
    assert read_words("主要是电池，充不进电", TODAY, "zh", asked=Fact.PART).hypothetical is None


@pytest.mark.parametrize(
    ("text", "language"),
    [("孩子拿玩具锤把屏幕敲裂了", "zh"), ("my toddler whacked the screen with a toy hammer and cracked it", "en")],
)
def test_a_fault_told_with_its_cause_in_new_words(text: str, language: str) -> None:
    """The vocabulary reads the fault but has no word for its cause: the learned reading is asked
    about what would refuse a remedy in that clause too."""
    assert read_words(text, TODAY, language, learned=False).damage_causes is None  # type: ignore[arg-type]
    assert read_words(text, TODAY, language).damage_causes == {DamageCause.USER_DAMAGE}  # type: ignore[arg-type]


def test_round_11_readings() -> None:
    """The twelfth held-out set's misses, said in other words."""
    zh = "zh"
    tips = read_words("配的滤网，我把密封袋剪开了，感觉没必要买，想退", TODAY, zh)
    assert tips.opened_consumable is True and tips.quality_problem is False
    assert read_words("切菜的时候把音箱扫到了地上，有杂音了", TODAY, zh).damage_causes == {DamageCause.DROP}
    assert read_words("女儿把遥控器往墙上砸，现在按键失灵", TODAY, zh).damage_causes == {DamageCause.USER_DAMAGE}
    assert read_words("从来没摔过，也没自己修过，突然不转了", TODAY, zh).damage_causes == frozenset()
    assert read_words("用旧空调折了300换的新机，降价了能补差价吗", TODAY, zh).trade_in is True
    assert read_words("扫地机想约个师傅上门看看怎么装", TODAY, zh).requesting is True
    assert read_words("Bought it in the flash deal, now cheaper", TODAY, "en").flash_sale is True
    assert read_words("Bought it in the flash deal, now cheaper", TODAY, "en").quality_problem is None
    assert read_words("the earbuds hiss even when paused, exchange please", TODAY, "en").quality_problem is True
    charger = read_words("lost the charger so I use a universal one now, battery dies fast", TODAY, "en")
    assert charger.damage_causes == {DamageCause.NON_ORIGINAL_CHARGER}
    stall = read_words("a repair stall at the mall replaced the battery, is it covered?", TODAY, "en")
    assert stall.damage_causes == {DamageCause.UNAUTHORISED_REPAIR}
    dock = read_words("It's only charged on the dock it came with, but the battery won't charge", TODAY, "en")
    assert dock.part is Part.BATTERY and dock.damage_causes is None
    assert read_words("it's never been dropped but it died", TODAY, "en").damage_causes == frozenset()
    title = read_words("typo in the company name on the invoice, I haven't changed it before", TODAY, "en")
    assert title.invoice_title_changed is False


def test_round_12_readings() -> None:
    """The thirteenth held-out set's misses, said in other words."""
    assert (
        read_words("the purifier is too wide to fit beside the desk, can I return it?", TODAY, "en").quality_problem
        is False
    )
    brushes = read_words("I tore open the pack of spare brush heads, but I want to return it", TODAY, "en")
    assert brushes.opened_consumable is True
    case = read_words("the case slid off the table onto the tiles and the lid is stuck", TODAY, "en")
    assert case.damage_causes == {DamageCause.DROP}
    assert read_words("the technician says the motor has failed, fix it please", TODAY, "en").quality_problem is True


def test_round_13_readings() -> None:
    """The fourteenth held-out set's misses, said in other words."""
    used = read_words("上个月已经补过一次差价了，现在又便宜了，还能申请吗", TODAY, "zh")
    assert used.price_protection_used is True
    assert read_words("I want the price difference refunded", TODAY, "en").price_protection_used is None
    assert read_words("we did the old-for-new offer on the purifier, now it's cheaper", TODAY, "en").trade_in is True
    rattles = read_words("my vacuum rattles, can you repair it? I'll pay if I need to", TODAY, "en")
    assert rattles.hypothetical is None
    assert read_words("what if I dropped it?", TODAY, "en").hypothetical is True
    grinding = read_words("the water purifier grinds loudly while it's filtering, fix it please", TODAY, "en")
    assert grinding.part is not Part.CONSUMABLE
    mind = read_words("They're fine, I just prefer my old speaker. Can I send it back?", TODAY, "en")
    assert mind.quality_problem is False


def test_round_14_readings() -> None:
    """The fifteenth held-out set's misses, said in other words."""
    zh = "zh"
    assert read_words("音箱老是出问题，还在保修吗", TODAY, zh).symptom is None
    (said,) = read_words("扫地机买了一年多一点，开不了机了", TODAY, zh).dates
    assert (said.earliest, said.latest) == (date(2024, 12, 9), date(2025, 12, 9))
    assert read_words("家里的柯基把耳机啃坏了，能换吗", TODAY, zh).damage_causes == {DamageCause.USER_DAMAGE}
    assert read_words("限时抢购买的净化器，现在又降了", TODAY, zh).flash_sale is True
    assert read_words("上个月已经申请过一回补差价了，又降了还能申请吗", TODAY, zh).price_protection_used is True
    assert read_words("自己家里用的，能开专票吗", TODAY, zh).is_company is False
    assert read_words("Bought the noise-cancelling earbuds, can I return them?", TODAY, "en").quality_problem is None
    assert read_words("never installed it, it won't fit in our cupboard, return?", TODAY, "en").quality_problem is False
    battery = read_words("the battery drains fast, I always charge it in its case with the cable", TODAY, "en")
    assert battery.part is Part.BATTERY
    assert read_words("I swapped in a new filter and it still leaks, repair?", TODAY, "en").flow is Flow.REPAIR
    (picked,) = read_words("the vacuum I picked up 14 months ago won't charge", TODAY, "en").dates
    assert picked.anchor is Anchor.PAYMENT
    hauled = read_words("the courier took our old unit away and we got money off for it, now it's cheaper", TODAY, "en")
    assert hauled.trade_in is True


def test_look_alikes_of_refusals_refuse_nothing() -> None:
    """Words near a refusal that state none (the dev sets written to stress refusals, rounds 14–15)."""
    en = "en"
    near_water = read_words("the right bud cuts out; never been near water and I haven't dropped it", TODAY, en)
    assert near_water.damage_causes == frozenset()
    stall = read_words(
        "my neighbour recommended a local repair stall but I'd rather use you, battery is dead", TODAY, en
    )
    assert not stall.damage_causes
    assert read_words("我在楼下修手机的店问过，能保修吗", TODAY, "zh").flow is Flow.WARRANTY
    assert read_words("净化器就开箱看了看，滤芯还没拆，用不上了，能退吗", TODAY, "zh").opened_consumable is not True
    assert read_words("Changed my mind on the speaker", TODAY, en).flow is Flow.RETURN
    assert read_words("my phone charger works fine with my phone, the buds don't charge", TODAY, en).quality_problem


def test_round_15_readings() -> None:
    """The sixteenth held-out set's misses, said in other words."""
    zh, en = "zh", "en"
    boxed = read_words("送的小礼品给朋友了，纸箱也压扁扔了，用处不大，能退吗", TODAY, zh)
    assert boxed.damage_causes is None and boxed.quality_problem is False
    assert not read_words("耳机一放口袋里就从盒子里掉出来，还保修吗", TODAY, zh).damage_causes
    assert read_words("扫地机从柜子顶上一头栽下来，不转了", TODAY, zh).damage_causes == {DamageCause.DROP}
    assert read_words("外甥把扫地机当滑板踩着玩，轮子歪了", TODAY, zh).damage_causes == {DamageCause.USER_DAMAGE}
    (ten,) = read_words("净水器到货十天了，一直嗡嗡响", TODAY, zh).dates
    assert ten.earliest == date(2026, 11, 29)
    assert read_words("买空调时把老空调折价抵了300，现在降价了", TODAY, zh).trade_in is True
    (back,) = read_words("Got the purifier ten days back and it rattles", TODAY, en).dates
    assert back.earliest == date(2026, 11, 29)
    assert read_words("he'd rather stick with his old broom, can we send it back?", TODAY, en).quality_problem is False
    brush = read_words("I popped one of the spare brushes onto the vacuum, but we want the other brand", TODAY, en)
    assert brush.opened_consumable is True and brush.quality_problem is False
    assert not read_words(
        "the courier dropped it off yesterday and the screen is stuck at 999", TODAY, en
    ).damage_causes
    (may,) = read_words("bought them in early May, acting up", TODAY, en).dates
    assert (may.earliest, may.latest) == (date(2026, 5, 1), date(2026, 5, 10))
    lego = read_words("my son posted a handful of Lego into the vacuum and it beeps", TODAY, en)
    assert lego.damage_causes == {DamageCause.USER_DAMAGE}


@pytest.mark.parametrize(
    ("text", "language", "fact", "not_read"),
    [
        ("这个滤芯还没拆包装，能退吗", "zh", "opened_consumable", True),
        ("It's fine during the day but at night it rattles", "en", "quality_problem", False),
        ("空调出风口有水珠往下滴", "zh", "damage_causes", {DamageCause.LIQUID_DAMAGE}),
        ("拧开水龙头一点水都不出", "zh", "damage_causes", {DamageCause.UNAUTHORISED_REPAIR}),
        ("按说明书把空调面板拆下来洗滤网，装回去就不制冷了", "zh", "damage_causes", {DamageCause.UNAUTHORISED_REPAIR}),
        ("收到当天马上就不制冷", "zh", "damage_causes", {DamageCause.USER_DAMAGE}),
        ("收到的时候外壳就被快递压裂了", "zh", "damage_causes", {DamageCause.USER_DAMAGE}),
        ("往充电口插上线就没反应", "zh", "damage_causes", {DamageCause.USER_DAMAGE}),
        ("耳机跟手机配对不上", "zh", "quality_problem", False),
        (
            "The filter light came on so I replaced it myself, now it leaks",
            "en",
            "damage_causes",
            {DamageCause.UNAUTHORISED_REPAIR},
        ),
        ("The dock is in the hallway and the robot can't find it", "en", "incomplete", True),
        ("我想立刻了解一下退货流程，音箱没拆封", "zh", "customised", True),
        ("As a customer I'm disappointed, I want to return the unopened speaker", "en", "customised", True),
        ("老公用京豆抵扣了20块，现在降价了", "zh", "trade_in", True),
        ("I picked them up from the parcel locker on Monday, one bud is dead", "en", "dates_anchor", "payment"),
    ],
)
def test_words_near_a_fact_that_do_not_say_it(text: str, language: str, fact: str, not_read: object) -> None:
    """A review of the words added in rounds 13–15: ordinary sentences they must not misread."""
    found = read_words(text, TODAY, language, learned=False)  # type: ignore[arg-type]
    if fact == "dates_anchor":
        assert all(said.anchor.value != not_read for said in found.dates)
    else:
        assert getattr(found, fact) != not_read


def test_round_16_readings() -> None:
    """The seventeenth held-out set's misses, said in other words."""
    zh, en = "zh", "en"
    assert read_words("彩盒和泡沫托都被我扔了，不想要了能退吗", TODAY, zh).incomplete is True
    assert not read_words("空调不制冷了，想找人修一下", TODAY, zh).damage_causes
    assert read_words("we already own a stick vac, so I'd rather return it", TODAY, en).quality_problem is False
    assert read_words("I'm just not feeling them, can I send them back?", TODAY, en).quality_problem is False
    assert read_words("the tap only dribbles and shows E3, I'd rather have my money back", TODAY, en).quality_problem
    dry = read_words("the left bud crackles; never been wet, I don't wear them in the rain", TODAY, en)
    assert not dry.damage_causes
    assert read_words("does the warranty replace a frayed brush roll?", TODAY, en).flow is Flow.WARRANTY
    coin = read_words("my niece pushed a coin into the speaker's bass port, it buzzes", TODAY, en)
    assert coin.damage_causes == {DamageCause.USER_DAMAGE}
    (few,) = read_words("I bought the speaker a few months ago and it buzzes", TODAY, en).dates
    assert (few.earliest, few.latest) == (date(2026, 8, 9), date(2026, 10, 9))
    assert read_words("the kitchen is done, I'd like it installed, can you send someone?", TODAY, en).flow is (
        Flow.INSTALLATION
    )


def test_round_17_readings() -> None:
    """The eighteenth held-out set's misses, said in other words."""
    zh, en = "zh", "en"
    assert not read_words("试了下挺好，就是太占地方，包装盒还留着，能退吗", TODAY, zh).incomplete
    assert read_words("空调现在不打算装了，想退掉", TODAY, zh).quality_problem is False
    assert read_words("音箱电池撑不了多久了，还在保修期吗", TODAY, zh).policy_question is None
    assert read_words("净化器打不开了，想报修", TODAY, zh).part is Part.WHOLE_UNIT
    rain = read_words("音箱放阳台淋了一夜的雨，开不了机", TODAY, zh)
    assert rain.damage_causes == {DamageCause.LIQUID_DAMAGE}
    assert read_words("it came last week, we don't need it after all", TODAY, en).flow is Flow.RETURN
    assert read_words("the price went down by 150, can I get the gap refunded?", TODAY, en).flow is (
        Flow.PRICE_PROTECTION
    )
    assert read_words("the earbuds are now 30 yuan cheaper, can I get the difference?", TODAY, en).dates == ()
    (new_year,) = read_words("got the vacuum just before New Year, the wheel squeaks", TODAY, en).dates
    assert (new_year.earliest, new_year.latest) == (date(2025, 12, 25), date(2025, 12, 31))
    night = read_words("arrived yesterday, I ran it all night to try it, but we don't like the look", TODAY, en)
    assert night.used_beyond_inspection is True


def test_round_18_readings() -> None:
    """The nineteenth held-out set's misses, said in other words."""
    en = "en"
    cat = read_words("the cat clawed the touch panel and now two buttons are dead, return?", TODAY, en)
    assert cat.damage_causes == {DamageCause.USER_DAMAGE}
    carton = read_words("I sent the carton down the trash chute, and I don't want it now", TODAY, en)
    assert carton.incomplete is True
    sleeve = read_words("I slit open the sleeve on the spare filter; it's too bulky anyway, refund?", TODAY, en)
    assert sleeve.opened_consumable is True and sleeve.quality_problem is False
    kiosk = read_words("a repair kiosk opened the case and glued it; warranty?", TODAY, en)
    assert kiosk.flow is Flow.WARRANTY and kiosk.damage_causes == {DamageCause.UNAUTHORISED_REPAIR}
    assert read_words("the reading is frozen at 999, swap it please", TODAY, en).quality_problem is True
    assert not read_words("the sensor stopped working; nobody dropped it, promise", TODAY, en).damage_causes
    assert read_words(
        "the invoice header was already corrected once, change it again?", TODAY, en
    ).invoice_title_changed


def test_round_19_readings() -> None:
    """The twentieth held-out set's misses, said in other words."""
    zh, en = "zh", "en"
    kept = read_words("屋里摆不下，不想要了，纸箱泡沫也留着，退吧", TODAY, zh)
    assert kept.incomplete is not True and kept.quality_problem is False
    here = read_words("We changed our minds, the packaging is still here and the film is still on. Refund?", TODAY, en)
    assert here.incomplete is not True and here.quality_problem is False
    stops = read_words("吹风机吹一会儿就自己停了，能换吗", TODAY, zh)
    assert stops.quality_problem is True
    remote = read_words("遥控器按了没反应，换了两节新电池还是不行，能修吗", TODAY, zh)
    assert remote.part is Part.ACCESSORY
    aa = read_words("the remote does nothing even with fresh AA batteries, repair?", TODAY, en)
    assert aa.part is Part.ACCESSORY
    gap = read_words("前天买的音箱今天便宜了30，差的那30能补给我吗", TODAY, zh)
    assert gap.flow is Flow.PRICE_PROTECTION


def test_round_20_readings() -> None:
    """The twenty-first held-out set's misses, said in other words."""
    zh, en = "zh", "en"
    assert read_words("书房太小了塞不下这台净化器，想退", TODAY, zh).quality_problem is False
    music = read_words("到货后每天拿它当背景音乐放，现在不想要了，退货行吗", TODAY, zh)
    assert music.used_beyond_inspection is True
    spare = read_words("送的备用滤芯一直没拆，不喜欢这个颜色，能退吗", TODAY, zh)
    assert spare.opened_consumable is not True
    ridden = read_words("儿子把扫地机当车骑，轮子压坏了，能修吗", TODAY, zh)
    assert ridden.damage_causes == {DamageCause.USER_DAMAGE}
    nobody = read_words("音箱没声音了，没找别人修过，能保修吗", TODAY, zh)
    assert not nobody.damage_causes
    mornings = read_words("I ran it through the whole house every single evening; I don't like it, return?", TODAY, en)
    assert mornings.used_beyond_inspection is True
    assert (
        read_words("Turns out my laptop does the job anyway, can I return the speaker?", TODAY, en).quality_problem
        is False
    )
    phone = read_words("I charged the dock with my phone's quick charger and now it's dead. Warranty?", TODAY, en)
    assert phone.damage_causes == {DamageCause.NON_ORIGINAL_CHARGER}
    dock = read_words("I charge the vacuum on the dock it came with and the battery dies fast. Warranty?", TODAY, en)
    assert dock.part is Part.BATTERY
    assert read_words("my earbuds go from 100% to 0% in half an hour, fix please", TODAY, en).part is Part.BATTERY
    assert read_words("the speaker came with a dent on top, exchange please", TODAY, en).quality_problem is True


def test_round_21_readings() -> None:
    """The twenty-second held-out set's misses, said in other words."""
    zh, en = "zh", "en"
    washed = read_words("耳机放在口袋里跟衣服一起洗了，现在一边没声音，能修吗", TODAY, zh)
    assert washed.damage_causes == {DamageCause.LIQUID_DAMAGE}
    laundry = read_words("My earbuds went through the wash in my jeans pocket, one side is dead. Repair?", TODAY, en)
    assert laundry.damage_causes == {DamageCause.LIQUID_DAMAGE}
    trade = read_words("My uncle fixes washing machines; he says it's the motor. Warranty?", TODAY, en)
    assert not trade.damage_causes
    told = read_words("The repair man said it's the fan motor", TODAY, en, asked=Fact.PART)
    assert (told.part, told.damage_causes) == (Part.MOTOR, None)
    drains = read_words("The speaker's battery drains overnight even when it's off. Repair please?", TODAY, en)
    assert (drains.part, drains.damage_causes) == (Part.BATTERY, None)
    weak = read_words("The AC isn't cooling well any more, can you repair it?", TODAY, en)
    assert (weak.quality_problem, weak.part) == (True, None)
    assert read_words("The AC isn't cooling at all, can you repair it?", TODAY, en).part is Part.WHOLE_UNIT


def test_round_22_readings() -> None:
    """The twenty-third held-out set's misses, said in other words."""
    zh, en = "zh", "en"
    kitchen = read_words("书房不动了，计划变了，这台空调用不上了，想退", TODAY, zh)
    assert kitchen.quality_problem is False
    gift = read_words("赠品小音箱我送给我爸在用了，扫地机想退掉", TODAY, zh)
    assert (gift.incomplete, gift.used_beyond_inspection) == (True, None)
    cable = read_words("充电盒充不进电了，我一直用原装线充的，保修吗", TODAY, zh)
    assert not cable.damage_causes
    poked = read_words("小孩拿筷子把扬声器的网罩戳破了，现在破音，能修吗", TODAY, zh)
    assert (poked.damage_causes, poked.quality_problem) == ({DamageCause.USER_DAMAGE}, True)
    denied = read_words("音箱有杂音，没拆过，也没送去别处修过，能保修维修吗", TODAY, zh)
    assert (denied.flow, denied.damage_causes) == (Flow.REPAIR, frozenset())
    dock = read_words("Don't want the vacuum any more, but I can't find the dock, return?", TODAY, en)
    assert dock.incomplete is True
    for text in ("We bought the AC in June last year. Warranty?", "We bought the AC in June 2025. Warranty?"):
        (said,) = read_words(text, TODAY, en).dates
        assert (said.earliest, said.latest) == (date(2025, 6, 1), date(2025, 6, 30)), text


def test_round_23_readings() -> None:
    """The twenty-fourth held-out set's misses, said in other words."""
    en = "en"
    unboxed = read_words("Got the speaker Monday, opened it up and it's not really my style. Return?", TODAY, en)
    assert (unboxed.damage_causes, unboxed.quality_problem) == (None, False)
    looked = read_words("I opened it up to see what was rattling, now it's dead. Repair?", TODAY, en)
    assert looked.damage_causes == {DamageCause.UNAUTHORISED_REPAIR}
    running = read_words("We've had the air purifier running all week and I don't like it, can I return it?", TODAY, en)
    assert running.used_beyond_inspection is True
    assert Meaning.CHANGE_OF_MIND not in vocabulary_meanings("it beeps every few minutes for no reason")
    assert Meaning.CHANGE_OF_MIND in vocabulary_meanings("can i get a no-reason return")
    heating = read_words("The AC isn't heating the room properly any more, can you repair it?", TODAY, en)
    assert (heating.quality_problem, heating.part) == (True, None)


def test_round_24_readings() -> None:
    """The twenty-fifth held-out set's misses, said in other words."""
    zh, en = "zh", "en"
    wrap = read_words("不喜欢了想退，配件都在，备用滤芯的塑封都没撕", TODAY, zh)
    assert wrap.opened_consumable is not True
    passed_on = read_words("买净化器送了个加湿器当赠品，我转手送人了。净化器没拆封，想退", TODAY, zh)
    assert passed_on.incomplete is True
    fitted = read_words("出水有怪味，新的滤芯装上了还是一样，整机还保修吗", TODAY, zh)
    assert fitted.part is Part.WHOLE_UNIT
    docked = read_words("电池充不进电，放在充电座上一整晚还是没电，电池保修吗", TODAY, zh)
    assert docked.part is Part.BATTERY
    brush = read_words("We've used it daily and now the roller brush won't rotate. Return it?", TODAY, en)
    assert brush.quality_problem is True
    missing = read_words(
        "Changed my mind about the speaker, but the remote went missing during the move. Return?", TODAY, en
    )
    assert missing.incomplete is True
    random = read_words(
        "I've been charging it with some random charger from a market stall and now it's dead. Warranty?", TODAY, en
    )
    assert random.damage_causes == {DamageCause.NON_ORIGINAL_CHARGER}


def test_round_25_readings() -> None:
    """The twenty-sixth held-out set's misses, said in other words."""
    too_wide = read_words(
        "Honestly the whole unit is too wide for the shelf, I don't want it anymore. Can I return it?", TODAY, "en"
    )
    assert too_wide.quality_problem is False
    denied = read_words("The purifier stopped working. It has never been dropped or got wet. Warranty?", TODAY, "en")
    assert denied.damage_causes == frozenset()
    repair = read_words("扫地机买了三个月，滚刷不转了，能走保修帮我修一下吗", TODAY, "zh")
    assert repair.flow is Flow.REPAIR


def test_round_26_readings() -> None:
    """The twenty-seventh held-out set's misses, said in other words (the vocabulary's, without the
    learned reading, which guessed some of them already)."""

    def vocabulary(text: str, language: Language) -> CaseWords:
        return read_words(text, TODAY, language, learned=False)

    used = read_words("净化器这一周天天定时开着，现在有异响，重启了也没用，想退", TODAY, "zh")
    assert used.used_beyond_inspection is True  # "也没用": it did not help
    first_start = read_words("净化器第一次开机就报错，重启了好几次都没用，想退货", TODAY, "zh")
    assert first_start.used_beyond_inspection is False
    soaked = read_words("耳机前天到的，不小心掉进鱼缸里泡了，现在没声音了，能退吗", TODAY, "zh")
    assert soaked.incomplete is True  # damaged: not "complete, packaging intact" (P6)
    brushes = (
        "Got it last week. I clipped the three spare side brushes onto it already, but I'd rather not keep it. Return?"
    )
    assert read_words(brushes, TODAY, "en").opened_consumable is True
    mid_month = read_words("The purifier was delivered mid-November, can I still get it installed?", TODAY, "en")
    assert [(said.earliest, said.latest) for said in mid_month.dates] == [(date(2026, 11, 11), date(2026, 11, 20))]
    assert vocabulary("净水器还没装，家里商量完决定先不换了，能退吗", "zh").quality_problem is False
    assert vocabulary("空调制冷一直不行，开到最低屋里还是热，想报修", "zh").quality_problem is True
    outside = vocabulary("空调外机响，之前请小区门口修家电的师傅弄过，还能保修吗", "zh")
    assert outside.damage_causes == frozenset({DamageCause.UNAUTHORISED_REPAIR})
    casing = vocabulary("空调外机响，自己把外机的机壳拆下来看过，还能保修吗", "zh")
    assert casing.damage_causes == frozenset({DamageCause.UNAUTHORISED_REPAIR})
    mount = read_words("音箱能不能派人上门帮我挂在墙上装好？", TODAY, "zh")
    assert mount.flow is Flow.INSTALLATION


def test_round_27_readings() -> None:
    """The twenty-eighth held-out set's misses, said in other words."""
    tried = read_words("音箱拆开试听了一下，低音就破了，能退吗", TODAY, "zh")
    assert tried.used_beyond_inspection is False  # a try is the inspection P6 allows
    warranty = read_words("净水器不出水了。之前楼下修电器的人帮我看过一回，现在还在保修期吗", TODAY, "zh")
    assert warranty.flow is Flow.WARRANTY  # "修电器的人" is the repairman, not a repair asked for
    sealed = read_words(
        "I only turned it on to see that it works, then packed it back up; the spare filter is still in its "
        "wrapper. I don't need it any more, can I return it?",
        TODAY,
        "en",
    )
    assert sealed.opened_consumable is not True
    tips = "I took the foam tips out of their pouch and tried them, but I don't like how they feel. Can I return the earbuds?"
    assert read_words(tips, TODAY, "en").opened_consumable is True


def test_round_28_readings() -> None:
    """The twenty-ninth held-out set's misses, said in other words (the vocabulary's)."""

    def vocabulary(text: str, language: Language) -> CaseWords:
        return read_words(text, TODAY, language, learned=False)

    assert vocabulary("净化器的风扇一直在原地打转似的呼呼响，想报修", "zh").quality_problem is True
    assert vocabulary("It keeps ramming into the table legs, can I get it repaired?", "en").quality_problem is True
    sale = vocabulary("618抢的净化器，能保价吗", "zh")
    assert [(said.earliest, said.latest) for said in sale.dates] == [(date(2026, 6, 18), date(2026, 6, 18))]
    spilt = vocabulary("A cup of tea got knocked over onto the speaker and now it crackles. Return?", "en")
    assert spilt.damage_causes == frozenset({DamageCause.LIQUID_DAMAGE})
    fitted = "I twisted the new cartridge in to test the water, but we don't need the purifier. Return?"
    assert vocabulary(fitted, "en").opened_consumable is True
    checked = vocabulary("I only switched it on to check it works and never set it up. Don't need it, return?", "en")
    assert checked.used_beyond_inspection is False
