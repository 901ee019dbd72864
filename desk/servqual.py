"""Which SERVQUAL dimensions a customer's comment touches, from a bilingual keyword lexicon.

SERVQUAL (Parasuraman, Zeithaml and Berry) sorts what customers say about a service into five
dimensions. Tagging comments with them tells a lead *what* a comment is about (slow replies,
a rude agent, a wrong answer), not whether it is praise or blame: "回复很快" and "回复太慢" both
touch responsiveness. A keyword lexicon is transparent and editable, and comments are short.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Dimension(StrEnum):
    RELIABILITY = "reliability"  # doing what was promised, correctly
    RESPONSIVENESS = "responsiveness"  # prompt, willing help
    ASSURANCE = "assurance"  # competence and trustworthiness
    EMPATHY = "empathy"  # care, attitude, patience
    TANGIBLES = "tangibles"  # what the customer sees and touches: website, app, packaging


@dataclass(frozen=True)
class Cues:
    """Chinese phrases match as substrings; English ones as whole words, in any letter case."""

    zh: tuple[str, ...]
    en: tuple[str, ...]  # regular expressions


LEXICON: dict[Dimension, Cues] = {
    Dimension.RELIABILITY: Cues(
        zh=(
            "没解决",
            "没有解决",
            "未解决",
            "解决了",
            "说话不算数",
            "不算数",
            "说好的",
            "承诺",
            "答非所问",
            "答错",
            "回答错",
            "不准确",
            "准确",
            "修好",
            "没修好",
            "又坏",
            "还是坏",
            "靠不住",
            "出错",
        ),
        en=(
            r"wrong (answer|information|info)",
            r"incorrect",
            r"inaccurate",
            r"accurate",
            r"promis(e|ed|es)",
            r"fixed",
            r"(re)?solved",
            r"unsolved",
            r"did(n't| not) work",
            r"broke(n)? again",
            r"reliable",
            r"unreliable",
            r"as (promised|described)",
            r"mistakes?",
        ),
    ),
    Dimension.RESPONSIVENESS: Cues(
        zh=(
            "慢",
            "等了很久",
            "等了半天",
            "等太久",
            "等了好久",
            "半天",
            "没人回",
            "没人理",
            "回复快",
            "回复很快",
            "回得快",
            "响应快",
            "及时",
            "回复速度",
            "处理速度",
            "效率",
            "拖了",
            "一拖再拖",
            "马上",
            "秒回",
        ),
        en=(
            r"slow(ly|er)?",
            r"wait(ed|ing)?",
            r"quick(ly)?",
            r"fast",
            r"prompt(ly)?",
            r"took (so|too) long",
            r"forever",
            r"no (one|body) (answered|replied|responded)",
            r"(quick|fast|rapid) (reply|response)",
            r"respon(d|ded|sive)",
            r"immediately",
            r"delay(ed|s)?",
        ),
    ),
    Dimension.ASSURANCE: Cues(
        zh=("专业", "靠谱", "放心", "信任", "信得过", "可信", "懂行", "外行", "一问三不知", "有经验"),
        en=(
            r"knowledgeable",
            r"professional(ly)?",
            r"unprofessional",
            r"trust(ed|worthy)?",
            r"confident",
            r"competent",
            r"incompetent",
            r"expert(ise)?",
            r"clueless",
            r"reassur(ed|ing)",
        ),
    ),
    Dimension.EMPATHY: Cues(
        zh=("态度", "耐心", "理解", "体贴", "关心", "贴心", "冷漠", "敷衍", "不耐烦", "礼貌", "客气", "热情", "凶"),
        en=(
            r"rude(ly)?",
            r"patient(ly)?",
            r"impatient",
            r"caring",
            r"cared",
            r"polite(ly)?",
            r"impolite",
            r"friendly",
            r"unfriendly",
            r"kindly",
            r"kindness",
            r"(very|so|was|were|is|really) kind",
            r"understanding",
            r"empath(y|etic)",
            r"attitude",
            r"dismissive",
            r"courteous",
        ),
    ),
    Dimension.TANGIBLES: Cues(
        # "App" inside Chinese text is matched by the English pattern.
        zh=("界面", "网页", "页面", "网站", "小程序", "包装", "按钮", "排版", "链接"),
        en=(
            r"web ?sites?",
            r"web ?pages?",
            r"apps?",
            r"interface",
            r"packag(ing|e was)",
            r"buttons?",
            r"layout",
            r"links?",
            r"chat (window|widget)",
        ),
    ),
}


def _english(patterns: tuple[str, ...]) -> re.Pattern[str]:
    # Letters-only boundaries: `\b` would fail between an English word and Chinese characters
    # ("这个App太难用"), which are word characters too.
    return re.compile(r"(?<![a-z])(?:" + "|".join(patterns) + r")(?![a-z])", re.IGNORECASE)


_ENGLISH = {dimension: _english(cues.en) for dimension, cues in LEXICON.items()}
_CHINESE = {
    dimension: tuple(unicodedata.normalize("NFKC", w).lower() for w in cues.zh) for dimension, cues in LEXICON.items()
}


def dimensions_of(comment: str) -> list[Dimension]:
    """The dimensions the comment touches, in the order of `Dimension` (none for "thanks")."""
    text = unicodedata.normalize("NFKC", comment).lower()
    return [
        dimension
        for dimension in Dimension
        if _ENGLISH[dimension].search(text) or any(word in text for word in _CHINESE[dimension])
    ]


def count_dimensions(comments: Iterable[str]) -> dict[Dimension, int]:
    """How many comments touch each dimension (a comment touching two counts for both)."""
    counts = dict.fromkeys(Dimension, 0)
    for comment in comments:
        for dimension in dimensions_of(comment):
            counts[dimension] += 1
    return counts
