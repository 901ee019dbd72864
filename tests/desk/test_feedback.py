from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.casework import Casework
from desk.conversations import ConversationStore
from desk.escalations import EscalationDesk
from desk.feedback import FeedbackBook, Vote
from desk.handoff import HandoffReason
from desk.models import Role
from desk.settings import DeskSettings
from desk.users import Staff, UserDirectory
from tests.races import race, writes_meet


def test_votes_csat_and_comments_are_stored(sessions: sessionmaker[Session]) -> None:
    book = FeedbackBook(sessions)
    book.record("c-1", kind="vote", vote="down", faq_id="p08-warranty-battery", channel="api", language="en")
    book.record("c-1", kind="csat", score=4, channel="api", language="en")
    book.record("c-1", kind="comment", comment="quick and clear", channel="api", language="en")
    rows = book.for_conversation("c-1")
    assert [(r.kind, r.vote, r.score, r.comment, r.faq_id) for r in rows] == [
        ("vote", "down", None, None, "p08-warranty-battery"),
        ("csat", None, 4, None, None),
        ("comment", None, None, "quick and clear", None),
    ]


@pytest.mark.parametrize("score", [0, 6])
def test_csat_outside_one_to_five_is_refused(sessions: sessionmaker[Session], score: int) -> None:
    with pytest.raises(ValueError, match="1 to 5"):
        FeedbackBook(sessions).record("c-1", kind="csat", score=score, channel="api", language="en")


def test_a_vote_or_rating_sent_twice_counts_once(sessions: sessionmaker[Session]) -> None:
    book = FeedbackBook(sessions)

    def vote(message_id: int, question_id: int | None, value: Vote = "up") -> int:
        return book.record(
            "c-1",
            kind="vote",
            vote=value,
            faq_id="battery",
            channel="api",
            language="en",
            message_id=message_id,
            question_id=question_id,
        )

    first = vote(11, question_id=10)
    assert vote(11, question_id=10) == first  # the same message (a turn Rasa ran twice)
    assert vote(12, question_id=10, value="down") == first  # the button pressed again: the first counts
    assert vote(14, question_id=13) != first  # a vote on another answer
    assert vote(15, question_id=None) != vote(16, question_id=None)  # no question found: one per message
    rows = book.for_conversation("c-1")
    assert [(r.vote, r.message_id, r.about) for r in rows] == [
        ("up", 11, "answer:10"),
        ("up", 14, "answer:13"),
        ("up", 15, "message:15"),
        ("up", 16, "message:16"),
    ]


def test_one_rating_per_resolved_escalation_even_when_they_race(sessions: sessionmaker[Session]) -> None:
    conversations, escalations = ConversationStore(sessions), EscalationDesk(sessions, DeskSettings())
    casework = Casework(sessions, AuditLog(sessions))
    alice = Staff.of(UserDirectory(sessions).create("alice", "correct horse battery", Role.AGENT))
    conversations.record_inbound("c-1", text="a human please", payload=None, language="en", channel="api")
    escalation = escalations.open("c-1", HandoffReason.CUSTOMER_REQUEST, channel="api", language="en").escalation
    casework.claim(escalation.id, alice)
    casework.resolve(escalation.id, alice, "answered")
    book = FeedbackBook(sessions)

    def rate(message_id: int, score: int) -> Callable[[], int]:
        return lambda: book.record("c-1", kind="csat", score=score, channel="api", language="en", message_id=message_id)

    # Both have read everything before either writes: the unique key decides.
    with writes_meet(sessions.kw["bind"], "feedback", 2, verb="INSERT INTO"):
        outcomes = race(rate(21, 5), rate(22, 1))
    assert all(isinstance(o, int) for o in outcomes) and outcomes[0] == outcomes[1], outcomes
    [row] = book.for_conversation("c-1")
    assert (row.kind, row.about) == ("csat", f"escalation:{escalation.id}")
