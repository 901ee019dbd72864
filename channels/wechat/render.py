"""What WeChat shows: Official Account messages have no buttons, so the bot's buttons become numbered
options ("1. … 2. …") and a reply of a digit ("2", "２", "②") picks one. Also the channel's own
phrases (welcome, acknowledgements, apology)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from knowledge.language import Language, language_signal

_CHOICE = re.compile(r"([0-9]{1,2})[.。、)）]?")

PHRASES: dict[str, dict[Language, str]] = {
    "choose": {"zh": "（回复数字选择）", "en": "(Reply with a number to choose.)"},
    "image_received": {
        "zh": "已收到您的图片，客服人员处理您的问题时会查看。请用文字简单描述一下遇到的问题。",
        "en": "We have received your picture; an agent will see it when handling your request. "
        "Please also describe the problem in a few words.",
    },
    "voice_unclear": {
        "zh": "抱歉，没能听清这段语音。请用文字描述您的问题。",
        "en": "Sorry, I could not make out your voice message. Please type your question.",
    },
    "unavailable": {
        "zh": "抱歉，智能助手暂时无法回复，您的消息已保存，请稍后再试。",
        "en": "Sorry, the assistant cannot answer right now. Your message was saved; please try again shortly.",
    },
}

WELCOME = (
    "您好，欢迎关注禾光售后服务！我是智能售后助手，可以帮您查询退换货、退款、保修、维修、物流和发票等问题，"
    "请直接发送您的问题。需要人工客服请回复“人工”。\n\n"
    "Welcome to Lumio after-sales support! Ask me about returns, refunds, warranty, repairs, delivery "
    "or invoices, in Chinese or English. Type “agent” to talk to a person."
)


def phrase(key: str, language: Language) -> str:
    return PHRASES[key][language]


def with_options(text: str, buttons: Sequence[tuple[str, str]]) -> str:
    """The message text with its buttons as numbered options (button titles, in order)."""
    if not buttons:
        return text
    language = language_signal(text) or "zh"
    options = "\n".join(f"{number}. {title}" for number, (title, _) in enumerate(buttons, start=1))
    return f"{text}\n\n{options}\n{phrase('choose', language)}"


def chosen_option(text: str) -> int | None:
    """The option number a reply picks ("2", "２", "②", "2."), or None when it is not a bare number."""
    normalised = unicodedata.normalize("NFKC", text).strip()
    match = _CHOICE.fullmatch(normalised)
    if match is None:
        return None
    number = int(match.group(1))
    return number if number >= 1 else None
