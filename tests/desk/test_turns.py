"""The turn contract: what the actions emit is what the turn service reads."""

from __future__ import annotations

from desk.turns import BotMessage, Outcome, TurnRecord, read_replies, turn_payload


def test_a_record_survives_the_trip_through_rasa() -> None:
    record = TurnRecord(
        Outcome.HANDOFF, priority="urgent", reason="safety", escalation_id=7, queue_position=2, escalated=True
    )
    replies = [{"text": "Handing you over.", "recipient_id": "c-1"}, {"custom": turn_payload(record)}]
    messages, read = read_replies(replies)
    assert messages == [BotMessage("Handing you over.")]
    assert read == record


def test_the_payload_holds_only_what_is_set_and_rounds_the_confidence() -> None:
    payload = turn_payload(TurnRecord(Outcome.ANSWERED, faq_id="battery", confidence=0.912345678))
    assert payload == {"turn": {"outcome": "answered", "faq_id": "battery", "confidence": 0.9123}}


def test_the_strongest_record_describes_a_turn_with_several() -> None:
    replies = [
        {"text": "Thanks!", "custom": turn_payload(TurnRecord(Outcome.FEEDBACK, faq_id="battery"))},
        {"custom": turn_payload(TurnRecord(Outcome.HANDOFF, priority="normal"))},
        {"custom": {"turn": {"outcome": "smalltalk"}}},
    ]
    _, record = read_replies(replies)
    assert record.outcome == Outcome.HANDOFF and record.priority == "normal"
    assert [o.strength for o in (Outcome.SMALLTALK, Outcome.ANSWERED, Outcome.HANDOFF)] == sorted(
        o.strength for o in (Outcome.SMALLTALK, Outcome.ANSWERED, Outcome.HANDOFF)
    )


def test_a_turn_without_a_record_or_with_an_unknown_one_fell_back() -> None:
    assert read_replies([{"text": "hm"}])[1] == TurnRecord(Outcome.FALLBACK)
    assert read_replies([{"custom": {"turn": {"outcome": "teleported"}}}])[1] == TurnRecord(Outcome.FALLBACK)


def test_buttons_are_kept_and_malformed_ones_dropped() -> None:
    replies = [{"text": "Which one?", "buttons": [{"title": "A", "payload": "/a"}, "junk", {"title": 3}]}]
    messages, _ = read_replies(replies)
    assert messages == [BotMessage("Which one?", [{"title": "A", "payload": "/a"}, {"title": "3", "payload": ""}])]


def test_fields_of_the_wrong_type_are_ignored() -> None:
    raw = {"outcome": "handoff", "escalation_id": "7", "queue_position": 2.5, "confidence": "high", "escalated": 1}
    _, record = read_replies([{"custom": {"turn": raw}}])
    assert record == TurnRecord(Outcome.HANDOFF)
