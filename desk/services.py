"""The desk's services for one database, built once per process (the app and its actions share them)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from desk.conversations import ConversationStore
from desk.database import session_factory
from desk.escalations import EscalationDesk
from desk.feedback import FeedbackBook
from desk.settings import DeskSettings, get_settings


@dataclass(frozen=True)
class DeskServices:
    conversations: ConversationStore
    escalations: EscalationDesk
    feedback: FeedbackBook

    @classmethod
    def for_settings(cls, settings: DeskSettings) -> DeskServices:
        sessions = session_factory(settings.database_url)
        return cls(ConversationStore(sessions), EscalationDesk(sessions, settings), FeedbackBook(sessions))


@lru_cache(maxsize=1)
def shared_services() -> DeskServices:
    return DeskServices.for_settings(get_settings())
