"""Agents' work on escalations: claim, resolve and transfer races, ownership, transfer, resolve, hand
back (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.casework import Casework, Change, Conflict, Forbidden, NotFound
from desk.conversations import ConversationStore
from desk.escalations import EscalationDesk
from desk.handoff import HandoffReason
from desk.models import AuditEntry, ConversationStatus, Delivery, EscalationStatus, Priority, Role
from desk.settings import DeskSettings
from desk.users import Staff, UserDirectory
from tests.races import hold_first_write, race, writes_meet

IN_HOURS = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=30)
        return self.now


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> dict[str, object]:
    clock = Clock(IN_HOURS)
    store = ConversationStore(sessions, clock)
    desk = EscalationDesk(sessions, DeskSettings(), clock)
    users = UserDirectory(sessions, clock)
    casework = Casework(sessions, AuditLog(sessions, clock), clock)
    people = {
        name: Staff.of(users.create(name, "correct horse battery", role))
        for name, role in (("alice", Role.AGENT), ("bob", Role.AGENT), ("lena", Role.LEAD))
    }
    store.record_inbound(
        "c-1", text="我要投诉，订单LM202611260001", payload=None, language="zh", channel="api", customer_id="u-1"
    )
    escalation = desk.open("c-1", HandoffReason.COMPLAINT, channel="api", language="zh").escalation
    return {"store": store, "desk": desk, "casework": casework, "id": escalation.id, **people}


def test_queue_lists_open_escalations_most_urgent_first(world: dict[str, object]) -> None:
    store: ConversationStore = world["store"]  # type: ignore[assignment]
    desk: EscalationDesk = world["desk"]  # type: ignore[assignment]
    casework: Casework = world["casework"]  # type: ignore[assignment]
    store.record_inbound("c-2", text="冒烟了", payload=None, language="zh", channel="api")
    desk.open("c-2", HandoffReason.SAFETY, channel="api", language="zh")
    queue = casework.queue()
    assert [i.priority for i in queue] == [Priority.URGENT, Priority.HIGH]
    assert queue[1].customer_id == "u-1" and queue[1].last_customer_text.startswith("我要投诉")
    assert casework.queue(priority=Priority.HIGH)[0].conversation_id == "c-1"
    assert casework.queue(language="en") == []


def test_claim_reply_resolve_path(world: dict[str, object], sessions: sessionmaker[Session]) -> None:
    casework: Casework = world["casework"]  # type: ignore[assignment]
    store: ConversationStore = world["store"]  # type: ignore[assignment]
    alice: Staff = world["alice"]  # type: ignore[assignment]
    escalation_id: int = world["id"]  # type: ignore[assignment]

    change = casework.claim(escalation_id, alice)
    assert change.status == EscalationStatus.CLAIMED and change.conversation_status == ConversationStatus.AGENT
    message = casework.reply(escalation_id, alice, "  您好，我是客服 Alice。  ")
    assert message.text == "您好，我是客服 Alice。" and message.sender == "agent"
    assert message.delivery == Delivery.PENDING and message.author_id == alice.id
    casework.note(escalation_id, alice, "customer is upset about delivery")
    done = casework.resolve(escalation_id, alice, "answered", "explained the return policy")
    assert done.status == EscalationStatus.RESOLVED and done.conversation_status == ConversationStatus.RESOLVED

    case = casework.case_file(escalation_id)
    assert case.item.first_response_at is not None
    assert case.resolution_code == "answered"
    assert [n.text for n in case.notes] == ["customer is upset about delivery"]
    assert case.identifiers == {"order_number": ["LM202611260001"]}
    # The close leaves Rasa an intent to resume with (the CSAT question).
    assert store.get("c-1").rasa_pending_intent == "EXTERNAL_resolved"  # type: ignore[union-attr]
    with sessions() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["escalation.claim", "escalation.reply", "escalation.note", "escalation.resolve"]


def test_two_agents_claiming_at_once_exactly_one_wins(world: dict[str, object]) -> None:
    casework: Casework = world["casework"]  # type: ignore[assignment]
    escalation_id: int = world["id"]  # type: ignore[assignment]
    results: dict[str, str] = {}
    barrier = threading.Barrier(2)

    def claim(name: str) -> None:
        barrier.wait()
        try:
            casework.claim(escalation_id, world[name])  # type: ignore[arg-type]
            results[name] = "won"
        except Conflict as error:
            results[name] = str(error)

    threads = [threading.Thread(target=claim, args=(n,)) for n in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()).count("won") == 1
    loser = next(v for v in results.values() if v != "won")
    assert "already claimed by" in loser


def test_only_the_holder_replies_and_a_queued_escalation_must_be_claimed(world: dict[str, object]) -> None:
    casework: Casework = world["casework"]  # type: ignore[assignment]
    escalation_id: int = world["id"]  # type: ignore[assignment]
    alice: Staff = world["alice"]  # type: ignore[assignment]
    bob: Staff = world["bob"]  # type: ignore[assignment]
    with pytest.raises(Conflict, match="claim it before"):
        casework.reply(escalation_id, alice, "hello")
    casework.claim(escalation_id, alice)
    with pytest.raises(Forbidden, match=r"Alice|alice"):
        casework.reply(escalation_id, bob, "hello")


def test_after_a_transfer_the_previous_holder_cannot_reply(world: dict[str, object]) -> None:
    casework: Casework = world["casework"]  # type: ignore[assignment]
    escalation_id: int = world["id"]  # type: ignore[assignment]
    alice: Staff = world["alice"]  # type: ignore[assignment]
    bob: Staff = world["bob"]  # type: ignore[assignment]
    casework.claim(escalation_id, alice)
    change = casework.transfer(escalation_id, alice, bob.id)
    assert change.assignee_id == bob.id
    with pytest.raises(Forbidden, match="transferred to or claimed by bob"):
        casework.reply(escalation_id, alice, "still here?")
    assert casework.reply(escalation_id, bob, "I'm taking over").author_id == bob.id
    back = casework.transfer(escalation_id, bob, None)
    assert back.status == EscalationStatus.QUEUED and back.conversation_status == ConversationStatus.QUEUED


def test_a_resolved_escalation_refuses_replies_and_second_claims(world: dict[str, object]) -> None:
    casework: Casework = world["casework"]  # type: ignore[assignment]
    escalation_id: int = world["id"]  # type: ignore[assignment]
    alice: Staff = world["alice"]  # type: ignore[assignment]
    casework.claim(escalation_id, alice)
    casework.resolve(escalation_id, alice, "refund_issued")
    with pytest.raises(Conflict, match="already resolved"):
        casework.reply(escalation_id, alice, "one more thing")
    with pytest.raises(Conflict, match="already resolved"):
        casework.claim(escalation_id, alice)


def test_a_lead_may_resolve_or_hand_back_someone_elses_escalation(world: dict[str, object]) -> None:
    casework: Casework = world["casework"]  # type: ignore[assignment]
    store: ConversationStore = world["store"]  # type: ignore[assignment]
    escalation_id: int = world["id"]  # type: ignore[assignment]
    casework.claim(escalation_id, world["alice"])  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        casework.hand_back(escalation_id, world["bob"])  # type: ignore[arg-type]
    change = casework.hand_back(escalation_id, world["lena"])  # type: ignore[arg-type]
    assert change.conversation_status == ConversationStatus.BOT
    assert store.get("c-1").rasa_pending_intent == "EXTERNAL_handed_back"  # type: ignore[union-attr]
    assert casework.case_file(escalation_id).resolution_code == "handed_back"


def test_bad_input_is_refused(world: dict[str, object]) -> None:
    casework: Casework = world["casework"]  # type: ignore[assignment]
    escalation_id: int = world["id"]  # type: ignore[assignment]
    alice: Staff = world["alice"]  # type: ignore[assignment]
    with pytest.raises(NotFound):
        casework.claim(99999, alice)
    casework.claim(escalation_id, alice)
    with pytest.raises(ValueError, match="empty"):
        casework.reply(escalation_id, alice, "   ")
    with pytest.raises(ValueError, match="longer"):
        casework.note(escalation_id, alice, "x" * 5000)
    with pytest.raises(ValueError, match="resolution code"):
        casework.resolve(escalation_id, alice, "made_up")
    with pytest.raises(NotFound):
        casework.transfer(escalation_id, alice, 424242)


def _engine(sessions: sessionmaker[Session]) -> Engine:
    engine: Engine = sessions.kw["bind"]
    return engine


def test_two_resolves_at_once_exactly_one_wins(world: dict[str, object], sessions: sessionmaker[Session]) -> None:
    casework: Casework = world["casework"]  # type: ignore[assignment]
    escalation_id: int = world["id"]  # type: ignore[assignment]
    alice: Staff = world["alice"]  # type: ignore[assignment]
    lena: Staff = world["lena"]  # type: ignore[assignment]
    casework.claim(escalation_id, alice)
    # Both have read the escalation as claimed by Alice before either writes.
    with writes_meet(_engine(sessions), "escalations", 2):
        outcomes = race(
            lambda: casework.resolve(escalation_id, alice, "answered"),
            lambda: casework.resolve(escalation_id, lena, "no_action"),
        )
    won = [o for o in outcomes if isinstance(o, Change)]
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert isinstance(lost[0], Conflict) and "already resolved" in str(lost[0])
    winner_code = "answered" if outcomes[0] is won[0] else "no_action"
    assert casework.case_file(escalation_id).resolution_code == winner_code
    with sessions() as session:
        resolves = session.scalars(select(AuditEntry).where(AuditEntry.action == "escalation.resolve")).all()
    assert len(resolves) == 1


def test_a_resolve_and_a_transfer_at_once_exactly_one_wins(
    world: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    casework: Casework = world["casework"]  # type: ignore[assignment]
    store: ConversationStore = world["store"]  # type: ignore[assignment]
    escalation_id: int = world["id"]  # type: ignore[assignment]
    alice: Staff = world["alice"]  # type: ignore[assignment]
    bob: Staff = world["bob"]  # type: ignore[assignment]
    lena: Staff = world["lena"]  # type: ignore[assignment]
    casework.claim(escalation_id, alice)
    with writes_meet(_engine(sessions), "escalations", 2):
        resolved, transferred = race(
            lambda: casework.resolve(escalation_id, lena, "answered"),
            lambda: casework.transfer(escalation_id, alice, bob.id),
        )
    assert [isinstance(o, Change) for o in (resolved, transferred)].count(True) == 1, (resolved, transferred)
    case = casework.case_file(escalation_id)
    if isinstance(resolved, Change):
        assert isinstance(transferred, Conflict) and "already resolved" in str(transferred)
        assert case.item.status == EscalationStatus.RESOLVED and case.item.assignee_id == alice.id
        assert store.get("c-1").rasa_pending_intent == "EXTERNAL_resolved"  # type: ignore[union-attr]
    else:
        # The lead resolved what she saw as Alice's; it is Bob's now: refused, not silently applied.
        assert isinstance(resolved, Conflict) and "changed while you were acting" in str(resolved)
        assert "bob" in str(resolved)
        assert case.item.status == EscalationStatus.CLAIMED and case.item.assignee_id == bob.id
        assert store.get("c-1").rasa_pending_intent is None  # type: ignore[union-attr]


def test_a_reply_read_before_a_resolve_and_written_after_it_is_refused(
    world: dict[str, object], sessions: sessionmaker[Session]
) -> None:
    casework: Casework = world["casework"]  # type: ignore[assignment]
    store: ConversationStore = world["store"]  # type: ignore[assignment]
    escalation_id: int = world["id"]  # type: ignore[assignment]
    alice: Staff = world["alice"]  # type: ignore[assignment]
    lena: Staff = world["lena"]  # type: ignore[assignment]
    casework.claim(escalation_id, alice)
    outcome: list[object] = []

    def reply() -> None:
        try:
            outcome.append(casework.reply(escalation_id, alice, "one more thing"))
        except Conflict as error:
            outcome.append(error)

    with hold_first_write(_engine(sessions), "alice-replies") as hold:
        # Alice's reply has found the escalation hers and open; the lead resolves it before she writes.
        replying = threading.Thread(target=reply, name="alice-replies")
        replying.start()
        assert hold.reached.wait(10)
        casework.resolve(escalation_id, lena, "answered")
        hold.release.set()
        replying.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict) and "already resolved" in str(outcome[0])
    # No agent message after the close that asks the customer for a rating.
    assert [m for m in store.transcript("c-1") if m.sender == "agent"] == []
