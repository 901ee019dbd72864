"""English spelling slips read as the knowledge base's words (knowledge/spelling.py)."""

from __future__ import annotations

import pytest

from knowledge.spelling import corrected


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("whats the warrenty on a robot vaccum", "whats the warranty on a robot vacuum"),
        ("how long before u start the refnd?", "how long before u start the refund?"),
        ("i put the wrong adress on my order", "i put the wrong address on my order"),
        ("havent recieved it", "havent received it"),  # a swap of two letters is one edit
        ("who pays shiping", "who pays shipping"),
        ("Warrenty?", "Warranty?"),  # the writer's capitals kept
        ("WARRENTY", "WARRANTY"),
        ("这个refnd几天到", "这个refund几天到"),  # inside Chinese too
    ],
)
def test_slips_are_read_as_the_knowledge_bases_words(written: str, read: str) -> None:
    assert corrected(written) == read


@pytest.mark.parametrize(
    "text",
    [
        "the warranty is fine",  # right words
        "is my iPhone covered",  # a name written with an inner capital
        "where is LM202611260001 and RMA20265678",  # identifiers
        "mail jhon.smiht@exmaple.com or see www.lumio-shpo.com/warrenty",  # e-mail addresses and URLs
        "call 138-1234-5678 pls",  # a phone number; slang too short to choose for
        "helo, thx",  # short words: help or hello?
        "theyre 7 months old and she doesnt want it",  # an apostrophe left out is no slip
        "the service centre has it",  # British spelling: the knowledge base's answers use it
        "is the refund automatic when i cancel an unshipped order",  # no "shipped": first letters differ
        "huawei or xiaomi?",  # no slip of the knowledge base's "huabei"
        "recomend a hotpot place",  # the knowledge base has no "recommend" to read it as
        "保修卡丢了",
    ],
)
def test_words_that_are_right_or_unknowable_stay(text: str) -> None:
    assert corrected(text) == text
