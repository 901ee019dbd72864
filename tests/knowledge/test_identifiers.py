from __future__ import annotations

from knowledge.identifiers import find_identifiers, mask_personal_data


def labels(text: str) -> list[tuple[str, str]]:
    return [(i.label, i.text) for i in find_identifiers(text)]


def test_order_repair_and_serial_numbers_inside_chinese_text() -> None:
    assert labels("订单LM202611260001的维修单RMA20261234，SN是RV2406123456") == [
        ("ORDER_NUMBER", "LM202611260001"),
        ("REPAIR_NUMBER", "RMA20261234"),
        ("SERIAL_NUMBER", "RV2406123456"),
    ]


def test_near_misses_are_not_identifiers() -> None:
    assert labels("LM20261126 RMA123 XX2406123456") == []


def test_offsets_point_into_the_original_text() -> None:
    text = "我的电话是 138-1234-5678，邮箱 li.ming@example.com"
    for found in find_identifiers(text):
        assert text[found.start : found.end] == found.text


def test_phone_id_number_and_email_are_masked_and_order_numbers_kept() -> None:
    masked = mask_personal_data("订单LM202611260001 电话13812345678 身份证11010119900307123X 邮箱a.b@example.com")
    assert "13812345678" not in masked and "138******78" in masked
    assert "11010119900307123X" not in masked
    assert "a.b@example.com" not in masked and "@example.com" in masked
    assert "LM202611260001" in masked
