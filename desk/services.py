"""The desk's services for one database, built once per process (the app and its actions share them)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from desk.access import AccessKeys
from desk.analytics import Analytics
from desk.answer_backlog import AnswerBacklog
from desk.audit import AuditLog
from desk.casework import Casework
from desk.channel_state import ChannelStateStore
from desk.conversations import ConversationStore
from desk.customers import CustomerLinks
from desk.database import session_factory
from desk.erasure import Erasure
from desk.escalations import EscalationDesk
from desk.feedback import FeedbackBook
from desk.knowledge_base import KnowledgeBase
from desk.leases import LeaseStore
from desk.orders.connection import order_system
from desk.orders.lookup import Lookups
from desk.orders.phone_check import PhoneCheck
from desk.orders.store import OrderStore
from desk.orders.system import OrderSystem
from desk.outbox import Outbox
from desk.question_labels import QuestionLabels
from desk.retention import Retention
from desk.service_requests import ServiceRequests
from desk.settings import DeskSettings, get_settings
from desk.users import UserDirectory


@dataclass(frozen=True)
class DeskServices:
    conversations: ConversationStore
    # Customer messages whose turn failed, waiting for the retry loop.
    backlog: AnswerBacklog
    escalations: EscalationDesk
    feedback: FeedbackBook
    users: UserDirectory
    access: AccessKeys
    audit: AuditLog
    casework: Casework
    outbox: Outbox
    knowledge: KnowledgeBase
    analytics: Analytics
    # Leads' verdicts on customer questions: data for calibration and NLU training.
    labels: QuestionLabels
    # The channel adapters' small durable state (tokens, sync cursors).
    channel_state: ChannelStateStore
    # Work one app replica does at a time (a WeCom account's sync): who holds it, until when.
    leases: LeaseStore
    # Links between identities of one customer; keeping and deleting customers' data.
    customers: CustomerLinks
    retention: Retention
    erasure: Erasure
    # Where orders and repairs are read (DESK_ORDER_SYSTEM): the built-in store or the merchant's system.
    orders: OrderSystem
    # The built-in order store, which the order API and `python -m desk orders` write to.
    order_book: OrderStore
    # Order and repair lookups in conversations: P19's phone check, its limits, the cases it showed.
    lookups: Lookups
    # Return, exchange and repair requests opened in conversations, decided by agents.
    requests: ServiceRequests

    @classmethod
    def for_settings(cls, settings: DeskSettings) -> DeskServices:
        sessions = session_factory(settings.database_url)
        audit = AuditLog(sessions)
        order_book = OrderStore(sessions)
        orders = order_system(settings, sessions, order_book)
        return cls(
            conversations=ConversationStore(sessions),
            backlog=AnswerBacklog(sessions),
            escalations=EscalationDesk(sessions, settings),
            feedback=FeedbackBook(sessions),
            users=UserDirectory(sessions),
            access=AccessKeys(sessions),
            audit=audit,
            casework=Casework(sessions, audit),
            outbox=Outbox(sessions),
            knowledge=KnowledgeBase(sessions, audit),
            analytics=Analytics(sessions, settings),
            labels=QuestionLabels(sessions, audit),
            channel_state=ChannelStateStore(sessions),
            leases=LeaseStore(sessions),
            customers=CustomerLinks(sessions, audit),
            retention=Retention(sessions, audit, settings.retention_days),
            erasure=Erasure(sessions, audit),
            orders=orders,
            order_book=order_book,
            lookups=Lookups(orders, PhoneCheck(sessions)),
            requests=ServiceRequests(
                sessions, audit, repair_book=order_book if settings.order_system == "builtin" else None
            ),
        )


@lru_cache(maxsize=1)
def shared_services() -> DeskServices:
    return DeskServices.for_settings(get_settings())
