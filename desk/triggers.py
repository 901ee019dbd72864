"""Words that mean the bot must stop and a human must take over, whatever the NLU thought.

The dialogue engine recognises these situations as intents; this is the safety net beneath it, so a
smoking device described in words the model has never seen is never answered from the FAQ.
"""

from __future__ import annotations

import re

from desk.handoff import HandoffReason

_SAFETY = (
    "冒烟",
    "起火",
    "着火",
    "打火",
    "火花",
    "焦糊",
    "烧焦",
    "糊味",
    "烧糊",
    "漏电",
    "触电",
    "电到",
    "电了一下",
    "烫伤",
    "烧伤",
    "受伤",
    "爆炸",
    "鼓包",
    "自燃",
    # P17's "overheats" and "leaks water near power", said as happening (a device "a bit warm" is not one)
    "过热",
    "烫得(?:拿不住|不敢碰|没法碰|根本)",
    "烫手",
    "(?:插座|插头|电源|插线板|排插)[^，。,]{0,8}(?:漏水|进水|有水)",
    "(?:漏水|渗水|滴水)[^，。,]{0,8}(?:插座|插头|电源|插线板|排插)",
    "(?:漏|渗|滴|流)水[^。！!？?]{0,12}(?:流|滴|漏|淌|溅)(?:到|进|在)[^，。,]{0,6}(?:插座|插头|电源|插线板|排插)",
    r"\bsmok(e|es|ing)\b(?!-)",
    r"\bspark(s|ed|ing)?\b",
    r"\bburning smell\b",
    r"\bsmells? (like )?burn",
    r"\bon fire\b",
    r"\bcaught fire\b",
    r"\belectric(al)? shock",
    r"\bshocked me\b",
    r"\bexplod",
    r"\bswollen\b",
    r"\bbulg(e|es|ed|ing)\b",
    r"\btoo hot to (touch|hold)\b",
    r"\boverheat(s|ed|ing)?\b",
    r"\bleak\w* (water )?(near|onto|into|over) (the |a )?(socket|outlet|plug|power)",
    r"\b(?:drip|leak|pour|run)\w* (?:water )?(?:\w+ ){0,2}(?:onto|into|on|over) (?:the |a )?(?:power )?(?:socket|outlet|plug|power strip)",
    r"\bswelling\b",
    r"\binjur",
    r"\bburned me\b",
    r"\bmelt(ed|ing)\b",
)
_LEGAL_OR_MEDIA = (
    "律师",
    "起诉",
    "法院",
    "告你们",
    "12315",
    "消协",
    "消费者协会",
    "市场监管",
    "工商局",
    "曝光",
    "媒体",
    "记者",
    "微博上",
    r"\blawyer",
    r"\bsue\b",
    r"\blawsuit\b",
    r"\bcourt\b",
    r"\bconsumer (protection|association|council)",
    r"\bregulator",
    r"\bthe press\b",
    r"\bjournalist",
    r"\bmedia\b",
    r"\bgo public\b",
    r"\bweibo\b",
    r"\bnewspapers?\b",
)
_COMPLAINT = ("投诉", r"\bcomplain(t|ts|ing)?\b", r"\bfile a complaint\b")
# An exception to policy asked for (the handbook's escalation table: a human decides, normal priority):
# "能不能通融一下给我退了", "Please make an exception". Never a case the bot decides by the rules.
_EXCEPTION_ASKED = (
    "通融",
    "破例",
    "网开一面",
    "行个方便",
    "特事特办",
    r"\bmake an exception\b",
    r"\bbend the rules?\b",
    r"\b(?:an|one) exception for me\b",
)
# A complaint made, not asked about ("投诉流程是什么", "how do I file a complaint?" are questions for the
# knowledge base): the FAQ's path hands these over too.
_COMPLAINT_MADE = re.compile(
    r"我(?:要|想|必须|一定要|就要|今天要)(?:去)?投诉|(?:给我|帮我)(?:转)?投诉|"
    r"\bi(?:'d| would| really)? (?:like|want|wish|need|intend)(?: very much)? to (?:(?:file|make|lodge|raise|submit|put in) "
    r"(?:a |an )?(?:formal |official )?complaint|complain\b)|\bi(?:'m| am) (?:filing|making|lodging|raising) (?:a |an )?"
    r"(?:formal )?complaint|\bthis is a (?:formal )?complaint\b",
    re.IGNORECASE,
)


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(patterns), re.IGNORECASE)


_RULES: tuple[tuple[HandoffReason, re.Pattern[str]], ...] = (
    (HandoffReason.SAFETY, _compile(_SAFETY)),
    (HandoffReason.LEGAL_OR_MEDIA, _compile(_LEGAL_OR_MEDIA)),
    (HandoffReason.COMPLAINT, _compile(_COMPLAINT)),
    (HandoffReason.COMPENSATION, _compile(_EXCEPTION_ASKED)),
)


# A human asked for, not asked about ("人工几点下班", "when are agents online?" are questions for the
# knowledge base): the FAQ's path hands these over when DIET missed them.
_HUMAN_ASKED = re.compile(
    r"(?:转|找|要|接|换|叫)(?:个|一下)?(?:人工|真人)|"
    r"\b(?:i (?:want|need|would like|'d like)|let me|get me|please)\b[^.?!]{0,12}\b(?:speak|talk|chat) (?:to|with) "
    r"(?:a |an |some )?(?:human|real person|person|agent)\b|"
    r"\b(?:transfer|connect|put) me (?:to|through to|with) (?:a |an )?(?:human|person|agent|real person)|\bhuman,? please\b",
    re.IGNORECASE,
)
_CHINESE = re.compile(r"[\u4e00-\u9fff]")
# A question or a case supposed about reaching one ("要是半夜我点了转人工，会怎么样？", "转人工要等多久吗").
_ABOUT_HUMANS = re.compile(r"[吗呢？?]|怎么样|如果|要是|万一|几点|多久|时间|上班|下班", re.IGNORECASE)


def human_asked(text: str) -> bool:
    """Whether the text asks for a human ("转人工", "I want to speak to a human") rather than asks about
    them: in Chinese, a message that asks anything is taken for a question; in English the words say
    it ("I want to…", "transfer me…")."""
    found = _HUMAN_ASKED.search(text)
    if found is None:
        return False
    return not (_CHINESE.search(found.group(0)) and _ABOUT_HUMANS.search(text))


def complaint_made(text: str) -> bool:
    """Whether the text makes a complaint ("我要投诉…", "I want to file a formal complaint") rather than
    asks how complaints are handled."""
    return bool(_COMPLAINT_MADE.search(text))


def detect_trigger(text: str) -> HandoffReason | None:
    """The most urgent reason the text gives to hand off at once, if any."""
    for reason, pattern in _RULES:
        if pattern.search(text):
            return reason
    return None
