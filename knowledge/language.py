"""Which language a customer wrote in."""

from __future__ import annotations

import re
from typing import Literal, get_args

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Two letters or more, not glued to other letters or digits: the letters of an identifier (an order
# number "LM202611260001", a model "RV7") are no English words. Not `\b`: a Chinese character next to
# a word ("我的order") is a word character too.
_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])")


def language_signal(text: str) -> Language | None:
    """The text's language, or None when it carries none (a bare order number, an emoji, a button)."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    if cjk == 0 and latin == 0:
        return None
    return "zh" if cjk >= latin else "en"


def detect_language(text: str, default: Language = "en") -> Language:
    """Chinese when Chinese characters carry at least as much of the text as Latin words.

    Mixed messages such as "我的order怎么还没到" are Chinese; "where is my 包裹" is English.
    """
    return language_signal(text) or default


def parse_language(value: str) -> Language:
    if value not in LANGUAGES:
        raise ValueError(f"unsupported language {value!r}; expected one of {', '.join(LANGUAGES)}")
    return value
