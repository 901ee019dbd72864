"""Customer identities (issue 11, M4): ids are namespaced by channel and account, so equal raw ids of
different channels never join; histories join only through links an integration or staff asserted,
followed both ways and across links, and bounded (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.casework import Casework
from desk.conversations import ConversationStore
from desk.customers import MAX_LINKS, CustomerLinks, LinkError, channel_identity, same_customer
from desk.escalations import EscalationDesk
from desk.handoff import HandoffReason
from desk.models import AuditEntry
from desk.settings import DeskSettings

WECHAT = channel_identity("wechat", "wx5f6e7d8c9b0a1234", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M")
OTHER_ACCOUNT = channel_identity("wechat", "wx0000000000000000", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M")
WECOM = channel_identity("wecom", "ww1234567890abcdef", "wmAbCdEf0123")
CRM = "int:crm:u-42"


@pytest.fixture
def links(sessions: sessionmaker[Session]) -> CustomerLinks:
    return CustomerLinks(sessions, AuditLog(sessions))


def talk(sessions: sessionmaker[Session], conversation_id: str, channel: str, customer_id: str) -> None:
    ConversationStore(sessions).record_inbound(
        conversation_id, text="hello", payload=None, language="en", channel=channel, customer_id=customer_id
    )


def earlier_of(sessions: sessionmaker[Session], conversation_id: str, channel: str) -> list[str]:
    """The conversations the case file of a new escalation in `conversation_id` lists as earlier."""
    escalation = EscalationDesk(sessions, DeskSettings()).open(
        conversation_id, HandoffReason.CUSTOMER_REQUEST, channel=channel, language="en"
    )
    case = Casework(sessions, AuditLog(sessions)).case_file(escalation.escalation.id)
    return sorted(e.id for e in case.earlier)


def test_an_identity_names_its_channel_and_account() -> None:
    assert WECHAT == "wechat:wx5f6e7d8c9b0a1234:o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
    assert WECHAT != OTHER_ACCOUNT
    with pytest.raises(ValueError, match="account"):
        channel_identity("wecom", None, "wmAbCdEf0123")


def test_the_case_file_never_joins_equal_raw_ids_of_other_channels_or_accounts(
    sessions: sessionmaker[Session],
) -> None:
    # The same raw platform id on two Official Accounts, and an integration that calls its customer so.
    talk(sessions, "wechat:a", "wechat", WECHAT)
    talk(sessions, "wechat:b", "wechat", OTHER_ACCOUNT)
    talk(sessions, "int:crm:c", "api", "int:crm:o6_bmjrPTlm6_2sgVt7hMZOPfL2M")
    talk(sessions, "wechat:a2", "wechat", WECHAT)
    assert earlier_of(sessions, "wechat:a2", "wechat") == ["wechat:a"]


def test_the_case_file_follows_asserted_links_both_ways_and_across_links(
    sessions: sessionmaker[Session], links: CustomerLinks
) -> None:
    talk(sessions, "int:crm:order-1", "api", CRM)
    talk(sessions, "wechat:1", "wechat", WECHAT)
    talk(sessions, "wecom:1", "wecom", WECOM)
    talk(sessions, "wechat:other", "wechat", OTHER_ACCOUNT)
    assert earlier_of(sessions, "wechat:1", "wechat") == []  # nothing is inferred
    assert links.link(CRM, WECHAT, "token:crm") is True
    assert links.link(CRM, WECOM, "token:crm") is True
    # From the WeChat side: the integration's customer, and through it the WeCom identity.
    assert earlier_of(sessions, "wechat:1", "wechat") == ["int:crm:order-1", "wecom:1"]
    with sessions() as session:
        assert same_customer(session, WECOM).identities == {CRM, WECHAT, WECOM}
    assert links.unlink(WECHAT, CRM, "token:crm") is True  # either way round
    with sessions() as session:
        assert same_customer(session, WECHAT).identities == {WECHAT}


def test_links_are_idempotent_bounded_and_audited_without_identities(
    sessions: sessionmaker[Session], links: CustomerLinks
) -> None:
    assert links.link(CRM, WECHAT, "token:crm") is True
    assert links.link(CRM, WECHAT, "token:crm") is False
    assert links.link(WECHAT, CRM, "user:lena") is False  # the same link, asserted from the other side
    assert [link.identity for link in links.links_of(CRM)] == [WECHAT]
    assert [link.identity for link in links.links_of(WECHAT)] == [CRM]
    with pytest.raises(LinkError, match="itself"):
        links.link(CRM, CRM, "token:crm")
    for n in range(1, MAX_LINKS):
        links.link(CRM, f"slack:T1:U{n}", "token:crm")
    with pytest.raises(LinkError, match=f"at most {MAX_LINKS}"):
        links.link(CRM, "slack:T1:UFULL", "token:crm")
    assert links.unlink(CRM, "slack:T1:UNEVER", "token:crm") is False
    with sessions() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action.like("customer.%"))).all()
    assert {e.action for e in entries} == {"customer.link"} and len(entries) == MAX_LINKS
    assert entries[0].actor == "token:crm" and entries[0].details == {"namespace": "wechat"}
    text = " ".join(f"{e.target} {e.details}" for e in entries)
    assert "u-42" not in text and "o6_bmjr" not in text


def test_a_customer_reaching_too_many_identities_is_reported_incomplete(
    sessions: sessionmaker[Session], links: CustomerLinks
) -> None:
    chain = [f"slack:T1:U{n}" for n in range(6)]
    for one, other in itertools.pairwise(chain):
        links.link(one, other, "user:lena")
    with sessions() as session:
        whole = same_customer(session, chain[0])
        part = same_customer(session, chain[0], limit=4)
    assert whole.complete and whole.identities == set(chain)
    assert not part.complete and len(part.identities) == 4
