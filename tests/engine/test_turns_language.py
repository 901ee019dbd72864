"""The language slot: Rasa is told a conversation's language only when its default would be wrong."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from engine.turns import RASA_DEFAULT_LANGUAGE, Inbound, turn_language
from tests.conversation_api import Started, start_conversation
from tests.fake_rasa import FakeRasa, Resumption, Sent

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def calls(rasa: FakeRasa) -> list[tuple[str, Any, bool]]:
    """What Rasa was asked, in order: ("send", the turn's language, False) or (slot, value, new_conversation)."""
    return [
        ("send", call.metadata["language"], False)
        if isinstance(call, Sent)
        else (call.name, call.value, call.new_conversation)
        for call in rasa.calls
        if not isinstance(call, Resumption)
    ]


def say(client: TestClient, chat: Started, text: str) -> None:
    response = client.post(f"{chat.url}/messages", json={"text": text}, headers=chat.headers)
    assert response.status_code == 200, response.text


def test_every_language_conditioned_response_falls_back_to_the_default_language() -> None:
    """What lets the router skip the slot call for a conversation in RASA_DEFAULT_LANGUAGE."""
    assert RASA_DEFAULT_LANGUAGE == "en"
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for name, variations in domain["responses"].items():
        conditioned = [v for v in variations if any(c.get("name") == "language" for c in v.get("condition") or [])]
        if not conditioned:
            continue
        defaults = [v for v in variations if not v.get("condition")]
        assert defaults, f"{name} has no unconditioned variation"
        assert all(not CJK.search(v.get("text", "")) for v in defaults), f"{name}'s default is not English"


def test_an_english_conversation_needs_no_slot_call(client: TestClient, rasa: FakeRasa) -> None:
    c_en = start_conversation(client)
    say(client, c_en, "hello, how long is the warranty?")
    say(client, c_en, "and for the battery?")
    assert calls(rasa) == [("send", "en", False), ("send", "en", False)]


def test_a_chinese_conversation_starts_the_session_with_the_slot(client: TestClient, rasa: FakeRasa) -> None:
    c_zh = start_conversation(client)
    say(client, c_zh, "电池保修多久？")
    say(client, c_zh, "谢谢")
    assert calls(rasa) == [("language", "zh", True), ("send", "zh", False), ("send", "zh", False)]


def test_a_switch_of_language_sets_the_slot_in_the_running_session(client: TestClient, rasa: FakeRasa) -> None:
    c_mixed = start_conversation(client)
    say(client, c_mixed, "hello")
    say(client, c_mixed, "电池保修多久？")
    say(client, c_mixed, "thanks, and the motor?")
    assert calls(rasa) == [
        ("send", "en", False),
        ("language", "zh", False),
        ("send", "zh", False),
        ("language", "en", False),
        ("send", "en", False),
    ]


def test_a_new_message_is_claimed_in_the_same_commit(client: TestClient) -> None:
    c_claim = start_conversation(client)
    say(client, c_claim, "hello")
    transcript = client.get(c_claim.url, headers=c_claim.headers).json()["transcript"]
    assert [m["state"] for m in transcript if m["sender"] == "customer"] == ["answered"]


def test_the_turn_language_is_the_customers_choice_else_what_the_text_says() -> None:
    assert turn_language(Inbound("c", "电池保修多久", language="en")) == "en"
    assert turn_language(Inbound("c", "电池保修多久")) == "zh"
    assert turn_language(Inbound("c", "where is my 包裹")) == "en"
    # Nothing to go by: the conversation keeps its language (a new one takes the channel's default).
    assert turn_language(Inbound("c", "123456 😀", default_language="zh")) is None
    assert turn_language(Inbound("c", "[image] https://x/1.jpg", language_from_text=False)) is None
