"""Elliptical follow-ups ("那电池呢？", "what about the charging dock?"): a question that leans on the one
before it. Read alone it names a part or a case but not the topic; read after the previous question
it does (docs/routing.md, *Follow-ups*)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.abstention import Decision, offered
from knowledge.language import Language

# How a follow-up opens, or its first clause ends: "那…", "…呢", "滤网呢，…", "还有…", "如果…", "and …",
# "what about …", "so …".
_ZH_LEAN = re.compile(
    r"^(?:那|那么|那要是|那如果|还有|另外|而且|如果|要是|万一|假如|其他|别的)|^[^，,。？?]{0,10}呢(?:[，,？?。!！~～]|$)"
)
_EN_LEAN = re.compile(
    r"^(?:and|so|ok(?:ay)?|also|then|but|what about|how about|what if|and if|same for|even)\b|"
    r"\b(?:it|its|it's|that|those|them|they|then|there|this one|the rest)\b",
    re.IGNORECASE,
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Longer than this, a message says its own topic: read alone.
MAX_ZH_CHARS = 16
MAX_EN_WORDS = 12


def leans_on_previous(text: str, language: Language) -> bool:
    """Whether the words read like a follow-up: short, and opened or ended the way one is."""
    words = text.strip()
    if language == "zh" or _CJK.search(words):
        return len(_CJK.findall(words)) <= MAX_ZH_CHARS and bool(_ZH_LEAN.search(words))
    return len(words.split()) <= MAX_EN_WORDS and bool(_EN_LEAN.search(words))


def read_after(previous: str, text: str) -> str:
    """The follow-up with the question it follows, for the retriever: the earlier words give the topic,
    the later ones what is asked of it."""
    return f"{previous.strip()} {text.strip()}"


@dataclass(frozen=True)
class Ranked:
    """What a search decided, with its ranked entries and their scores (best first)."""

    decision: Decision
    ids: Sequence[str]
    scores: Sequence[float]

    @property
    def confidence(self) -> float:
        return self.scores[0] if self.scores else 0.0


def reads_better(together: Ranked, alone: Ranked) -> bool:
    """Whether a follow-up is better read after the question before it than alone: alone the knowledge
    base has nothing to offer and together it has more, or together it answers outright with one of the
    entries the follow-up alone would offer. The earlier words must not pull the answer back to their own
    topic when the follow-up names another ("那发票呢？" after a shipping answer). Measured on the
    end-to-end dev set (docs/routing.md, *Follow-ups*)."""
    if alone.decision == Decision.ABSTAIN:
        return together.decision != Decision.ABSTAIN or together.confidence > alone.confidence
    offered_ids = set(alone.ids[: offered(alone.scores)]) if alone.decision == Decision.CLARIFY else set()
    return together.decision == Decision.ANSWER and bool(together.ids) and together.ids[0] in offered_ids
