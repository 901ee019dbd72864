"""Chinese typos that sound like a word of the knowledge base: "保秀" for 保修, "退宽" for 退款, "发漂"
for 发票, "退huo" for 退货 (the only module that imports pypinyin and jieba directly).

A pinyin input method types the right sound and the wrong character; the sound gives the word back.
The domain's vocabulary (the Chinese words of the knowledge base's entries and of the synonym table)
is indexed by toneless pinyin. In a customer's message, characters that jieba's dictionary leaves
as single characters, joined two or three at a time, that are neither a domain word nor a word of
jieba's dictionary and sound like one domain word (or one clearly more frequent than the others of
that sound), are read as that word. A syllable typed in pinyin beside a character ("退huo") is read
the same way. Real words are never rewritten: "报修" and "保修" are both domain words, "电击" (an
electric shock) is a dictionary word that sounds like the domain's "电机" (a motor).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.entries import load_entries
from knowledge.settings import get_settings
from knowledge.synonyms import SYNONYMS

if TYPE_CHECKING:
    import jieba

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")
# A pinyin syllable typed instead of a character, right after or right before one: "退huo", "tui货".
_SYLLABLE_AFTER = re.compile(r"([\u4e00-\u9fff])([a-z]{1,6})(?![A-Za-z])")
_SYLLABLE_BEFORE = re.compile(r"(?<![A-Za-z])([a-z]{1,6})([\u4e00-\u9fff])")
# Windows of single characters tried, longest first ("保秀期" → 保修期 before "保秀" → 保修).
WINDOWS = (3, 2)
# A sound shared by several domain words stands for the most frequent one only when it is this many
# times as frequent in the knowledge base as the next ("baoxiu": 保修 far ahead of 报修 and 包修).
CLEARLY_MORE = 3
# What a typo may be read as: the synonym table's words, and the knowledge base's words it uses at
# least MIN_COUNT times and far more than Chinese at large does (its count over jieba's dictionary
# frequency): 保修, 退款, 积分, 快递, but not 除了, 收到 or 使用, which "出了", "手到", "时用" sound like.
MIN_COUNT = 3
MIN_SPECIFICITY = 0.05
# Characters that are this frequent as words of their own (jieba's dictionary: 不, 了, 是, 只, 会, 到,
# 有, 里 …) are read as themselves: "不发" is no 补发, "只保" no 质保, "里有" no 理由.
FUNCTION_CHAR_FREQUENCY = 50_000


def sound(word: str) -> str:
    """Toneless pinyin, syllables joined: "保修" → "baoxiu"."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(word))


@dataclass(frozen=True)
class Vocabulary:
    """The domain's Chinese words, how often the knowledge base uses them, and what each sound stands for."""

    counts: Counter[str]
    by_sound: dict[str, str]  # toneless pinyin → the one domain word it is read as
    by_sound_all: dict[str, tuple[str, ...]]  # toneless pinyin → every domain word of that sound
    tokenizer: jieba.Tokenizer

    def is_word(self, text: str) -> bool:
        """A domain word, or a word of jieba's dictionary: never rewritten."""
        return text in self.counts or bool(self.tokenizer.FREQ.get(text))

    def word_for(self, text: str) -> str | None:
        """The domain word `text` is a typo of, if any."""
        if self.is_word(text) or any(self.tokenizer.FREQ.get(c, 0) >= FUNCTION_CHAR_FREQUENCY for c in text):
            return None
        return self.by_sound.get(sound(text))


def _chosen(words: Iterable[str], counts: Counter[str]) -> str | None:
    """The one word a sound stands for: the only one, or one clearly more frequent than the next."""
    ranked = sorted(words, key=lambda w: -counts[w])
    if len(ranked) == 1:
        return ranked[0]
    return ranked[0] if counts[ranked[0]] >= CLEARLY_MORE * counts[ranked[1]] else None


def build_vocabulary(texts: Iterable[str]) -> Vocabulary:
    """The vocabulary of `texts` (Chinese text of the knowledge base) and of the synonym table."""
    import jieba

    jieba.setLogLevel(60)  # its "Building prefix dict" lines say nothing to a reader of our logs
    # A tokenizer of our own: words added here must not change how spaCy's jieba segments for the retriever.
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    table = [w for canonical, variants in SYNONYMS.items() for w in (canonical, *variants) if _CJK_WORD.fullmatch(w)]
    for word in table:
        tokenizer.add_word(word)
    counts: Counter[str] = Counter(table)
    for text in texts:
        for run in _CJK_RUN.findall(text):
            counts.update(w for w in tokenizer.lcut(run, HMM=False) if len(w) >= 2)
    in_table = set(table)
    frequency = tokenizer.FREQ
    sounds: dict[str, list[str]] = defaultdict(list)
    for word, count in counts.items():
        if word in in_table or (count >= MIN_COUNT and count >= MIN_SPECIFICITY * (frequency.get(word, 0) + 1)):
            sounds[sound(word)].append(word)
    by_sound = {key: chosen for key, words in sounds.items() if (chosen := _chosen(words, counts))}
    return Vocabulary(counts, by_sound, {key: tuple(words) for key, words in sounds.items()}, tokenizer)


def knowledge_base_texts(faq_dir: Path) -> list[str]:
    """The Chinese phrasings and answers of every entry."""
    return [
        text
        for entry in load_entries(faq_dir)
        for text in [*entry.questions.get("zh", []), entry.answer.get("zh", "")]
        if text
    ]


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The seed knowledge base's vocabulary, built on first use (about a second)."""
    return build_vocabulary(knowledge_base_texts(get_settings().faq_dir))


def corrected(text: str, words: Vocabulary | None = None) -> str:
    """`text` with its Chinese typos read as the domain words they sound like."""
    if not _CJK_RUN.search(text):
        return text
    words = words or vocabulary()
    text = _CJK_RUN.sub(lambda run: _corrected_run(run.group(0), words), text)
    text = _SYLLABLE_AFTER.sub(lambda m: _with_syllable(m.group(1), m.group(2), words, first=True) or m.group(0), text)
    return _SYLLABLE_BEFORE.sub(
        lambda m: _with_syllable(m.group(2), m.group(1), words, first=False) or m.group(0), text
    )


def _corrected_run(run: str, words: Vocabulary) -> str:
    """A run of Chinese characters: jieba's words kept, runs of single characters looked at."""
    pieces: list[str] = []
    singles: list[str] = []
    for token in [*words.tokenizer.lcut(run, HMM=False), ""]:
        if len(token) == 1:
            singles.append(token)
            continue
        pieces.append(_corrected_singles("".join(singles), words))
        singles = []
        pieces.append(token)
    return "".join(pieces)


def _corrected_singles(chars: str, words: Vocabulary) -> str:
    out: list[str] = []
    i = 0
    while i < len(chars):
        for size in WINDOWS:
            window = chars[i : i + size]
            if len(window) == size and (word := words.word_for(window)):
                out.append(word)
                i += size
                break
        else:
            out.append(chars[i])
            i += 1
    return "".join(out)


def _with_syllable(char: str, syllable: str, words: Vocabulary, *, first: bool) -> str | None:
    """The two-character domain word made of `char` and the one `syllable` sounds like, when only one is."""
    key = sound(char) + syllable if first else syllable + sound(char)
    found = {w for w in words.by_sound_all.get(key, ()) if len(w) == 2 and w[0 if first else 1] == char}
    return _chosen(found, words.counts) if found else None
