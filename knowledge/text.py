"""The text layer: normalisation and spaCy tokenisation (the only module that imports spaCy).

Chinese is segmented by spaCy's `zh` language with its jieba segmenter; English by spaCy's `en`
tokenizer. Chinese also gets character bigrams so that rare words and typos still overlap.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from knowledge.language import Language, detect_language
from knowledge.pinyin_typos import corrected as pinyin_typos_corrected
from knowledge.spelling import corrected as spelling_corrected
from knowledge.synonyms import canonicalise

if TYPE_CHECKING:
    from spacy.language import Language as SpacyLanguage

_WORDLIKE = re.compile(r"\w", re.UNICODE)
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_SPACE = re.compile(r"\s+")

# Words that carry no topic in either language; dropping them keeps BM25 on the content words.
STOP_WORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "啊",
        "吧",
        "呀",
        "么",
        "嘛",
        "我",
        "你",
        "您",
        "我们",
        "你们",
        "他",
        "她",
        "它",
        "是",
        "在",
        "有",
        "和",
        "就",
        "都",
        "也",
        "要",
        "会",
        "能",
        "可以",
        "请问",
        "请",
        "一下",
        "这个",
        "那个",
        "怎么",
        "什么",
        "多少",
        "如何",
        "为什么",
        "哪",
        "哪里",
        "还",
        "没",
        "不",
        "个",
        "下",
        "把",
        "给",
        "被",
        "让",
        "对",
        "又",
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "and",
        "or",
        "my",
        "me",
        "i",
        "you",
        "your",
        "we",
        "our",
        "it",
        "this",
        "that",
        "do",
        "does",
        "did",
        "can",
        "could",
        "would",
        "should",
        "will",
        "what",
        "when",
        "where",
        "how",
        "why",
        "which",
        "who",
        "please",
        "hi",
        "hello",
        "with",
        "from",
        "about",
        "if",
        "so",
        "just",
        "have",
        "has",
        "had",
        "there",
        "any",
        "get",
        "got",
        "am",
    ]
)


# A run of the same mark ("？？？", "!!!", "。。。"): one is as much a question or a shout to a reader.
_REPEATED_MARK = re.compile(r"([!?！？。.,，~～…])\1+")


@lru_cache(maxsize=1)
def _to_simplified() -> Any:
    """OpenCC's traditional-to-simplified characters, built on first use. Characters only: its
    Taiwan-to-mainland words (tw2sp) also rewrite simplified text ("序列号" → "串行号")."""
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=8192)
def _is_traditional(char: str) -> bool:
    """A character OpenCC writes otherwise in simplified Chinese. Only text with one is converted:
    t2s's phrases rewrite simplified text too ("打坏了" → "打坯了")."""
    return bool(_CJK_RUN.match(char)) and _to_simplified().convert(char) != char


def customer_words(text: str) -> str:
    """A customer's words as every reader takes them (Rasa's NLU, the retriever, the case reading),
    each step measured on the end-to-end dev set (docs/routing.md): traditional Chinese characters
    as simplified (in text that has one); Chinese typos that sound like a word of the knowledge base
    as that word (`knowledge.pinyin_typos`: "保秀期" → 保修期, "退huo" → 退货); English spelling slips
    as the knowledge base's words (`knowledge.spelling`: "warrenty" → warranty, identifiers untouched);
    a run of the same punctuation mark as one. Emoji stay, and English words in Chinese stay English
    (measured: neither changed a turn). The transcript keeps the text as written."""
    if _CJK_RUN.search(text):
        if any(_is_traditional(c) for c in set(text)):
            text = str(_to_simplified().convert(text))
        text = pinyin_typos_corrected(text)
    text = spelling_corrected(text)
    return _REPEATED_MARK.sub(r"\1", text)


def warm_up_customer_words() -> None:
    """Build what `customer_words` reads with (OpenCC, the pinyin vocabulary, the English word list,
    a second or two) now rather than in a customer's first turn."""
    customer_words("還在保修期嗎 warranty")


def normalise(text: str) -> str:
    """NFKC (full-width to half-width), lower case, synonyms folded, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return _SPACE.sub(" ", canonicalise(folded)).strip()


@lru_cache(maxsize=2)
def spacy_pipeline(language: Language) -> SpacyLanguage:
    """A blank spaCy pipeline for tokenising; built once per language on first use."""
    import spacy

    if language == "zh":
        return spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    return spacy.blank("en")


def blank_pipeline() -> SpacyLanguage:
    """A fresh blank multi-language pipeline, for rule-based components such as an EntityRuler."""
    import spacy

    return spacy.blank("xx")


def words(text: str, language: Language | None = None) -> list[str]:
    """Content words of normalised text, segmented by spaCy for the text's language."""
    normalised = normalise(text)
    lang = language or detect_language(normalised)
    doc = spacy_pipeline(lang).make_doc(normalised)
    return [t.text for t in doc if _WORDLIKE.search(t.text) and t.text not in STOP_WORDS]


def lexical_tokens(text: str, language: Language | None = None) -> list[str]:
    """Tokens for BM25: words, plus character bigrams of every Chinese run."""
    normalised = normalise(text)
    lang = language or detect_language(normalised)
    tokens = words(normalised, lang)
    for run in _CJK_RUN.findall(normalised):
        tokens.extend(f"#{run[i : i + 2]}" for i in range(len(run) - 1))
    return tokens


def own_script_tokens(normalised: str, tokens: list[str], language: Language) -> list[str] | None:
    """`tokens` (`lexical_tokens` of the text in `language`) when they are what `lexical_tokens`
    gives the text by itself, else None. The classifier's words are always tokenised in the text's
    own script, whatever language a search names: this spares tokenising a second time when they agree."""
    return tokens if detect_language(normalised) == language else None


# Identifiers (LM…, RMA…, e-mail addresses, phone numbers) are kept whole; everything else splits
# into single characters or punctuation, so offsets in Chinese text without spaces stay exact.
_ID_TOKEN = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}|\+?[A-Za-z0-9][A-Za-z0-9\-]*|\s+|."
)


if TYPE_CHECKING:
    from spacy.tokens import Doc


def identifier_doc(nlp: SpacyLanguage, text: str) -> Doc:
    """A spaCy Doc of `text` whose tokens keep identifiers whole; `doc.text == text`."""
    from spacy.tokens import Doc

    pieces = _ID_TOKEN.findall(text)
    token_words: list[str] = []
    spaces: list[bool] = []
    for piece in pieces:
        if piece == " " and token_words and not spaces[-1] and not token_words[-1].isspace():
            spaces[-1] = True
            continue
        token_words.append(piece)
        spaces.append(False)
    return Doc(nlp.vocab, words=token_words, spaces=spaces)
