"""Chinese typos read as the knowledge base's words they sound like (knowledge/pinyin_typos.py)."""

from __future__ import annotations

import pytest

from knowledge.pinyin_typos import build_vocabulary, corrected, sound


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("保秀多久", "保修多久"),  # baoxiu: 保修 far more frequent in the knowledge base than 报修, 包修
        ("退宽什么时候到", "退款什么时候到"),
        ("电子发漂在哪里下载啊", "电子发票在哪里下载啊"),
        ("退货以后积份还在吗", "退货以后积分还在吗"),
        ("还在保秀期吗", "还在保修期吗"),  # three characters before two
        ("快第用的哪家", "快递用的哪家"),
        ("无理由退huo的话运费谁出", "无理由退货的话运费谁出"),  # a syllable typed in pinyin
        ("tui货了", "退货了"),
    ],
)
def test_typos_are_read_as_the_word_they_sound_like(written: str, read: str) -> None:
    assert corrected(written) == read


@pytest.mark.parametrize(
    "text",
    [
        "保修和报修有什么区别",  # both domain words, though they sound alike
        "电机坏了被电击了一下",  # 电击 (a shock) is a word, not a slip of 电机
        "查下我的定单LM202610150789发货没",  # 定单 is a dictionary word; the order number untouched
        "iPhone保修card丢了",  # English inside Chinese is not pinyin
        "配件是不是只保6个月",  # 只 is too common a word to be a slip: no 质保
        "产品出了安全问题",  # no 除了
        "钱会原路退回吗",  # no 会员
        "净化器里有烧焦的味道",  # no 理由
        "下午四点半付的钱 今天还发不发",  # no 垫付, no 补发
        "我的refund到了吗",
        "where is my order",
        "退款什么时候到😭😭",
    ],
)
def test_words_that_are_right_stay(text: str) -> None:
    assert corrected(text) == text


def test_a_sound_shared_by_words_of_like_frequency_is_left_alone() -> None:
    # 保修 and 报修 (both in the synonym table too) as frequent: "保秀" could be either.
    assert sound("保秀") == "baoxiu"
    assert corrected("保秀多久", build_vocabulary(["保修多久", "报修电话"])) == "保秀多久"
    assert corrected("保秀多久", build_vocabulary(["保修多久"] * 6 + ["报修电话"])) == "保修多久"
