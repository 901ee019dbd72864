"""The knowledge base's evidence sent to Rasa with a customer's words (engine/routing_evidence.py),
read by Rasa's routing step (rasa_routing/): the retriever's decision, confidence and entry, and
whether the words name an order; none with a button's payload."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from desk.replies import SEARCH_K
from desk.turns import EVIDENCE, FOLLOW_UP
from engine.routing_evidence import routing_evidence
from knowledge.follow_ups import leans_on_previous
from knowledge.index import IndexUnavailable
from knowledge.language import Language
from knowledge.retriever import SearchResult
from tests.app_factory import build_app
from tests.conversation_api import start_conversation
from tests.fake_rasa import FakeRasa, Sent


def sent(rasa: FakeRasa) -> list[Sent]:
    return [call for call in rasa.calls if isinstance(call, Sent)]


def test_words_carry_the_retrievers_evidence(client: TestClient, rasa: FakeRasa) -> None:
    chat = start_conversation(client)
    for text in ("How long is the battery warranty?", "where is my order LM202611260001"):
        response = client.post(f"{chat.url}/messages", json={"text": text}, headers=chat.headers)
        assert response.status_code == 200, response.text
    question, lookup = (call.metadata[EVIDENCE] for call in sent(rasa))
    assert question["decision"] == "answer" and question["entry"] == "battery" and question["confidence"] > 0.5
    assert question["names_order"] is False
    assert lookup["names_order"] is True  # a lookup with its number stays a lookup
    assert question["trigger"] is None


def test_a_button_carries_none(client: TestClient, rasa: FakeRasa) -> None:
    chat = start_conversation(client)
    for body in ({"text": "运费多少钱"}, {"text": "Yes", "payload": "/affirm"}):
        response = client.post(f"{chat.url}/messages", json=body, headers=chat.headers)
        assert response.status_code == 200, response.text
    words, button = sent(rasa)
    assert EVIDENCE in words.metadata
    assert button.message == "/affirm" and EVIDENCE not in button.metadata


class Unloaded:
    def search(self, query: str, language: Language | None = None, k: int = 5) -> SearchResult:
        raise IndexUnavailable("no index yet")


def test_no_index_no_evidence() -> None:
    assert routing_evidence(Unloaded(), "运费多少钱", "zh") is None  # Rasa routes on DIET alone


def test_the_action_finds_the_search_the_evidence_made(tmp_path: Path, rasa: FakeRasa) -> None:
    """The FAQ action searches the same words with the same k: the live retriever answers it from its
    recent searches instead of searching again."""
    app = build_app(tmp_path, rasa=rasa, channels=[])
    with TestClient(app):
        live = app.state.runtime.retriever
        first = live.search("运费多少钱", "zh", k=SEARCH_K)
        assert live.search("运费多少钱", "zh", k=SEARCH_K) is first
        assert live.search("运费多少钱", "en", k=SEARCH_K) is not first  # another language, another search


def test_a_safety_or_complaint_trigger_is_named(tmp_path: Path, rasa: FakeRasa) -> None:
    app = build_app(tmp_path, rasa=rasa, channels=[])
    with TestClient(app):
        live = app.state.runtime.retriever
        smoke = routing_evidence(live, "空调插座冒烟了，电池保修多久", "zh")
        assert smoke is not None and smoke["trigger"] == "safety"
        plain = routing_evidence(live, "电池保修多久", "zh")
        assert plain is not None and plain["trigger"] is None


def test_switched_off_rasa_routes_on_diet_alone(tmp_path: Path, rasa: FakeRasa) -> None:
    with TestClient(build_app(tmp_path, rasa=rasa, channels=[], routing_evidence=False)) as client:
        chat = start_conversation(client)
        response = client.post(f"{chat.url}/messages", json={"text": "运费多少钱"}, headers=chat.headers)
        assert response.status_code == 200, response.text
    (words,) = sent(rasa)
    assert EVIDENCE not in words.metadata


def test_rasa_reads_simplified_words_and_the_transcript_keeps_them_as_written(
    client: TestClient, rasa: FakeRasa
) -> None:
    chat = start_conversation(client)
    response = client.post(f"{chat.url}/messages", json={"text": "退款會退到哪裡？？"}, headers=chat.headers)
    assert response.status_code == 200, response.text
    (words,) = sent(rasa)
    assert words.message == "退款会退到哪里？"
    transcript = client.get(chat.url, headers=chat.headers).json()
    assert "退款會退到哪裡？？" in [message.get("text") for message in transcript["transcript"]]


def answered(faq_id: str) -> Callable[[str, str, dict[str, Any]], list[dict[str, Any]]]:
    def reply(sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"text": "…", "custom": {"turn": {"outcome": "answered", "faq_id": faq_id}}}]

    return reply


def test_a_follow_up_is_searched_after_the_question_it_follows(tmp_path: Path) -> None:
    """ "那微信呢？" says nothing of refunds on its own; after "退款多久到账" it asks WeChat's. "那发票呢？" names
    a topic of its own: the earlier question must not pull it back to refunds."""
    rasa = FakeRasa(answered("refund-time"))
    with TestClient(build_app(tmp_path, rasa=rasa, channels=[])) as client:
        chat = start_conversation(client)
        for text in ("退款多久到账", "那微信呢？", "那发票呢？"):
            response = client.post(f"{chat.url}/messages", json={"text": text}, headers=chat.headers)
            assert response.status_code == 200, response.text
    first, follow_up, new_topic = (call.metadata[EVIDENCE] for call in sent(rasa))
    assert FOLLOW_UP not in first  # nothing before it
    assert follow_up[FOLLOW_UP] == "退款多久到账 那微信呢？"
    assert (follow_up["decision"], follow_up["entry"]) == ("answer", "refund-time")
    assert FOLLOW_UP not in new_topic and new_topic["entry"] == "invoice"


def test_only_a_question_the_knowledge_base_took_is_followed_up(tmp_path: Path) -> None:
    rasa = FakeRasa(lambda *_: [{"text": "…", "custom": {"turn": {"outcome": "smalltalk"}}}])
    with TestClient(build_app(tmp_path, rasa=rasa, channels=[])) as client:
        chat = start_conversation(client)
        for text in ("你好", "那电池呢？"):
            client.post(f"{chat.url}/messages", json={"text": text}, headers=chat.headers)
    assert all(FOLLOW_UP not in call.metadata[EVIDENCE] for call in sent(rasa))


@pytest.mark.parametrize(
    ("text", "language", "leans"),
    [
        ("那电池呢？", "zh", True),
        ("滤网呢，也在保修里吗", "zh", True),
        ("如果是credit card呢", "zh", True),
        ("还有别的颜色吗", "zh", True),
        ("电池保修多久", "zh", False),
        ("我那台净化器三个月前买的，现在有异味，能换吗？我已经拆过滤芯了呢", "zh", False),  # says its own topic
        ("what about the charging dock?", "en", True),
        ("and the rest of the unit?", "en", True),
        ("How quickly is the money returned then?", "en", True),
        ("How long is the battery warranty?", "en", False),
    ],
)
def test_what_leans_on_the_question_before(text: str, language: Language, leans: bool) -> None:
    assert leans_on_previous(text, language) is leans
