"""The actions through rasa-sdk's executor, with a real retriever (hashing embedder) and SQLite."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor

from desk.copy import say
from desk.handoff import MAY_ESCALATE
from desk.models import ConversationStatus
from desk.services import DeskServices
from desk.turns import MESSAGE_ID
from tests.actions.conftest import action_call
from tests.rasa_domain import response


async def run(executor: ActionExecutor, call: dict[str, Any]) -> dict[str, Any]:
    result = await executor.run(call)
    assert result is not None
    return result.model_dump()


def turn(result: dict[str, Any]) -> dict[str, Any]:
    records = [r["custom"]["turn"] for r in result["responses"] if r.get("custom")]
    assert len(records) == 1
    record: dict[str, Any] = records[0]
    return record


def slot_events(result: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}


async def test_confident_hit_is_answered_with_vote_buttons(executor: ActionExecutor) -> None:
    result = await run(executor, action_call("action_answer_faq", "How long is the battery warranty?", "ask_faq"))
    assert turn(result) == {"outcome": "answered", "faq_id": "battery", "confidence": turn(result)["confidence"]}
    answer = result["responses"][0]
    assert answer["text"] == "battery: 1 year"
    assert [b["payload"] for b in answer["buttons"]] == [
        '/vote{"faq_id":"battery","vote":"up"}',
        '/vote{"faq_id":"battery","vote":"down"}',
    ]
    assert slot_events(result) == {"last_faq_id": "battery", "faq_misses": 0.0}


async def test_choosing_a_did_you_mean_option_answers_that_entry(executor: ActionExecutor) -> None:
    call = action_call(
        "action_answer_faq",
        '/choose_faq{"faq_id":"invoice"}',
        "choose_faq",
        entities=[{"entity": "faq_id", "value": "invoice"}],
    )
    result = await run(executor, call)
    assert turn(result)["faq_id"] == "invoice"
    assert result["responses"][0]["text"] == "invoice in 3 days"


async def test_a_miss_asks_to_rephrase_and_the_second_offers_a_human(executor: ActionExecutor) -> None:
    first = await run(executor, action_call("action_answer_faq", "qwzx vbnm", "nlu_fallback"))
    assert turn(first)["outcome"] == "fallback"
    assert "rephrase" in first["responses"][0]["text"]
    assert slot_events(first) == {"faq_misses": 1.0}
    second = await run(
        executor, action_call("action_answer_faq", "zzqq xxpp", "nlu_fallback", slots={"faq_misses": 1.0})
    )
    assert turn(second)["outcome"] == "fallback"
    assert '/request_human{"handoff_reason":"unresolved"}' in [b["payload"] for b in second["responses"][0]["buttons"]]


async def test_a_safety_incident_the_nlu_missed_is_still_handed_off(
    executor: ActionExecutor, services: DeskServices
) -> None:
    result = await run(
        executor, action_call("action_answer_faq", "my charger sparked and smells of burning", "ask_faq")
    )
    record = turn(result)
    assert record["outcome"] == "handoff" and record["priority"] == "urgent"
    assert any(e["event"] == "pause" for e in result["events"])
    assert services.conversations.get("conv-1").status == ConversationStatus.QUEUED  # type: ignore[union-attr]


async def test_handoff_after_two_misses_is_unresolved_and_keeps_candidates(
    executor: ActionExecutor, services: DeskServices
) -> None:
    earlier = [{"event": "user", "text": "how much does delivery cost", "parse_data": {"intent": {"name": "ask_faq"}}}]
    call = action_call(
        "action_handoff",
        '/request_human{"handoff_reason":"unresolved"}',
        "request_human",
        entities=[{"entity": "handoff_reason", "value": "unresolved"}],
        events=earlier,
    )
    result = await run(executor, call)
    assert turn(result)["reason"] == "unresolved" and turn(result)["priority"] == "normal"
    escalation = services.escalations.open_for("conv-1")
    assert escalation is not None
    assert escalation.candidates[0]["faq_id"] == "shipping-fee"
    assert 0 <= escalation.candidates[0]["score"] <= 1


async def test_complaint_mentioning_a_lawyer_is_legal(executor: ActionExecutor) -> None:
    result = await run(executor, action_call("action_handoff", "I'm calling my lawyer about this", "complain"))
    assert turn(result)["reason"] == "legal_or_media" and turn(result)["priority"] == "high"


async def test_second_handoff_request_says_already_queued(executor: ActionExecutor) -> None:
    await run(executor, action_call("action_handoff", "human please", "request_human"))
    again = await run(executor, action_call("action_handoff", "hello? human!", "request_human"))
    assert "already" in again["responses"][0]["text"]


async def test_a_handoff_the_turn_service_refused_opens_no_escalation(
    executor: ActionExecutor, services: DeskServices
) -> None:
    """Past the conversation's or its client's budget (engine/escalation_budget.py) the customer hears
    why, the queue gets nothing and the bot is not paused."""
    call = action_call("action_handoff", "human please", "request_human")
    call["tracker"]["latest_message"]["metadata"][MAY_ESCALATE] = False
    result = await run(executor, call)
    assert result["responses"][0]["text"] == say("handoff_limited", "en")
    assert turn(result)["outcome"] == "fallback"
    assert not any(e["event"] == "pause" for e in result["events"])
    assert services.escalations.open_for("conv-1") is None


async def test_votes_csat_and_comments_are_logged(executor: ActionExecutor, services: DeskServices) -> None:
    down = action_call(
        "action_log_feedback",
        '/vote{"faq_id":"battery","vote":"down"}',
        "vote",
        entities=[{"entity": "faq_id", "value": "battery"}, {"entity": "vote", "value": "down"}],
    )
    result = await run(executor, down)
    assert turn(result) == {"outcome": "feedback", "faq_id": "battery"}
    assert slot_events(result) == {"faq_misses": 1.0}
    await run(
        executor,
        action_call(
            "action_log_feedback", '/rate_service{"csat":4}', "rate_service", entities=[{"entity": "csat", "value": 4}]
        ),
    )
    comment = await run(
        executor,
        action_call(
            "action_log_feedback", "friendly and quick", "ask_faq", slots={"feedback_comment": "friendly and quick"}
        ),
    )
    assert slot_events(comment) == {"feedback_comment": None}
    await run(executor, action_call("action_log_feedback", "no", "deny", slots={"feedback_comment": "no"}))
    stored = [(f.kind, f.vote, f.score, f.comment) for f in services.feedback.for_conversation("conv-1")]
    assert stored == [
        ("vote", "down", None, None),
        ("csat", None, 4, None),
        ("comment", None, None, "friendly and quick"),
    ]


async def test_second_thumbs_down_in_a_row_offers_a_human(executor: ActionExecutor) -> None:
    call = action_call(
        "action_log_feedback",
        '/vote{"faq_id":"battery","vote":"down"}',
        "vote",
        entities=[{"entity": "vote", "value": "down"}],
        slots={"faq_misses": 1.0, "last_faq_id": "battery"},
    )
    result = await run(executor, call)
    assert '/request_human{"handoff_reason":"unresolved"}' in [b["payload"] for b in result["responses"][0]["buttons"]]


async def test_choosing_an_option_by_its_ordinal(executor: ActionExecutor) -> None:
    offered = {
        "event": "bot",
        "text": "Did you mean one of these?",
        "data": {
            "buttons": [
                {"title": "a", "payload": '/choose_faq{"faq_id":"invoice"}'},
                {"title": "b", "payload": '/choose_faq{"faq_id":"refund-time"}'},
            ]
        },
    }
    call = action_call("action_answer_faq", "the second one", "choose_faq", events=[offered])
    result = await run(executor, call)
    assert turn(result)["faq_id"] == "refund-time"


async def test_a_typed_vote_without_direction_is_not_guessed(executor: ActionExecutor, services: DeskServices) -> None:
    call = action_call("action_log_feedback", "meh", "vote", slots={"last_faq_id": "battery"})
    result = await run(executor, call)
    assert "👍" in result["responses"][0]["text"]
    assert services.feedback.for_conversation("conv-1") == []


@pytest.mark.parametrize(("language", "thanks"), [("zh", "感谢"), ("en", "thank")])
async def test_a_rating_is_thanked_once(executor: ActionExecutor, language: str, thanks: str) -> None:
    """A rating's turn is this action's reply, then the comment form's question (bot/rules/feedback.yml):
    together they thank the customer once, and only for a rating that was recorded."""
    question = response("utter_ask_feedback_comment", language)["text"]

    async def thanked(entities: list[dict[str, Any]]) -> int:
        call = action_call(
            "action_log_feedback", "/rate_service", "rate_service", entities=entities, slots={"language": language}
        )
        texts = [r["text"] for r in (await run(executor, call))["responses"] if r.get("text")] + [question]
        return sum(text.lower().count(thanks) for text in texts)

    assert await thanked([{"entity": "csat", "value": 4}]) == 1
    assert await thanked([]) == 0  # a rating we could not read is not thanked for


async def test_a_vote_sent_twice_counts_once(executor: ActionExecutor, services: DeskServices) -> None:
    """The turn service sends each message's stored id (`desk.turns.MESSAGE_ID`); the vote is kept
    against the question whose answer it rates, so neither a turn Rasa ran twice nor the button
    pressed again counts twice."""
    answer = await run(executor, action_call("action_answer_faq", "How long is the battery warranty?", "ask_faq"))
    history = [
        {"event": "user", "text": "How long is the battery warranty?", "metadata": {MESSAGE_ID: 1}},
        {
            "event": "bot",
            "text": answer["responses"][0]["text"],
            "data": {"buttons": answer["responses"][0]["buttons"]},
        },
    ]
    up = '/vote{"faq_id":"battery","vote":"up"}'
    entities = [{"entity": "faq_id", "value": "battery"}, {"entity": "vote", "value": "up"}]

    def press(message_id: int, earlier: list[dict[str, Any]]) -> dict[str, Any]:
        return action_call(
            "action_log_feedback", up, "vote", entities=entities, events=earlier, metadata={MESSAGE_ID: message_id}
        )

    await run(executor, press(2, history))
    await run(executor, press(2, history))  # the same message's turn, run again (a retry after a timeout)
    thanked = [*history, {"event": "user", "text": up, "metadata": {MESSAGE_ID: 2}}, {"event": "bot", "text": "Thanks"}]
    await run(executor, press(3, thanked))  # the button pressed again
    rows = services.feedback.for_conversation("conv-1")
    assert [(r.kind, r.vote, r.message_id, r.about) for r in rows] == [("vote", "up", 2, "answer:1")]
