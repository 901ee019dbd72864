from __future__ import annotations

import pytest

from desk.orders.lookup_numbers import LookupKind, LookupNumber, find_lookup_number, near_miss


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的订单LM202611260001到哪了", LookupNumber(LookupKind.ORDER, "LM202611260001")),
        ("lm202611260001", LookupNumber(LookupKind.ORDER, "LM202611260001")),
        ("lm 2026 1126 0001", LookupNumber(LookupKind.ORDER, "LM202611260001")),
        ("order #LM-2026-1126-0001 please", LookupNumber(LookupKind.ORDER, "LM202611260001")),
        ("订单号：LM202611260001", LookupNumber(LookupKind.ORDER, "LM202611260001")),
        ("ＬＭ２０２６１１２６０００１", LookupNumber(LookupKind.ORDER, "LM202611260001")),  # full width
        ("RMA20261234进度", LookupNumber(LookupKind.REPAIR, "RMA20261234")),
        ("how is rma 2026 1234 going", LookupNumber(LookupKind.REPAIR, "RMA20261234")),
        # The first well-formed one wins, a near miss before it does not hide it.
        ("LM2026 no, LM202611260009", LookupNumber(LookupKind.ORDER, "LM202611260009")),
    ],
)
def test_numbers_are_found_however_they_are_typed(text: str, expected: LookupNumber) -> None:
    assert find_lookup_number(text) == expected
    assert near_miss(text) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [("LM2026112600", LookupKind.ORDER), ("LM2026112600011", LookupKind.ORDER), ("rma123", LookupKind.REPAIR)],
)
def test_a_number_of_the_wrong_length_is_a_near_miss(text: str, kind: LookupKind) -> None:
    assert find_lookup_number(text) is None
    assert near_miss(text) is kind


@pytest.mark.parametrize(
    "text", ["where is my order", "FILM202611260001", "13800138000", "SN RV2406123456", "", "LM" + "٢" * 12]
)
def test_nothing_else_is_a_number(text: str) -> None:
    assert find_lookup_number(text) is None
    assert near_miss(text) is None
