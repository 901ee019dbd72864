"""The knowledge-base editor's preview over this app's indexes, for the knowledge API and the
console: what the bot answers now (the live index) and what it would answer once the drafts are
published (a draft index the publisher builds)."""

from __future__ import annotations

from api.deps import Runtime
from engine.knowledge_preview import Preview, preview
from engine.knowledge_publisher import KnowledgePublisher
from knowledge.language import Language


def make_preview(runtime: Runtime, publisher: KnowledgePublisher, question: str, language: Language | None) -> Preview:
    """Blocking (a draft index may have to be built first): run it in a worker thread."""
    drafts = [v.id for v in runtime.services.knowledge.drafts()]
    note = None
    try:
        draft = publisher.draft_retriever()
    except ValueError as error:  # e.g. every entry disabled: nothing to build
        draft, note = None, f"the drafts cannot be indexed: {error}"
    return preview(runtime.retriever, draft, question, language, drafts, note)
