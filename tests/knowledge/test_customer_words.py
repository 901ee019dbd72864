"""A customer's words as every reader takes them (knowledge/text.py: customer_words)."""

from __future__ import annotations

import pytest

from knowledge.text import customer_words


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("請問發貨後幾天能到？", "请问发货后几天能到？"),  # traditional characters
        ("序列号是什么格式的", "序列号是什么格式的"),  # simplified words stay (tw2sp made it 串行号)
        ("师傅把我家墙打坏了", "师傅把我家墙打坏了"),  # simplified text is not converted (t2s: 打坯了)
        ("退款會退到哪裡？？？", "退款会退到哪里？"),  # a run of marks as one
        ("where is my order LM202611260001!!!", "where is my order LM202611260001!"),
        ("净水器漏水了", "净水器漏水了"),  # simplified text unchanged
        ("I'm 😡 about the delay", "I'm 😡 about the delay"),  # emoji kept: they say something
        ("退款什么时候到😭😭", "退款什么时候到😭😭"),  # stripping them changed no turn of the dev set
        ("3.5元", "3.5元"),  # one mark is no run
        ("還在保秀期嗎", "还在保修期吗"),  # simplified first, then a typo read by its sound
        ("保修和报修", "保修和报修"),  # two domain words that sound alike both stay
        ("whats the warrenty??", "whats the warranty?"),  # an English slip
        ("my iPhone, order LM202611260001", "my iPhone, order LM202611260001"),
    ],
)
def test_customer_words(written: str, read: str) -> None:
    assert customer_words(written) == read
