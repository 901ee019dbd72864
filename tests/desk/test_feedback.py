from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from desk.feedback import FeedbackBook


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
