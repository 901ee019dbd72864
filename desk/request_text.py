"""What the customer is told about a return, exchange or repair request: that it was received, and
the agent's decision with what happens next, in the conversation's language. The words are in
desk/copy/requests.py (keys `request_…`); the handbook decides what they may promise: P6 and P7 (who pays the
return shipping), P8 (out of warranty: free diagnosis, a quote first), P9 (SF pickup, 5–7 working
days, on-site repair for air conditioners and water purifiers), P11 (inspection and refund times)."""

from __future__ import annotations

from dataclasses import dataclass

from desk.copy import say
from desk.models import RequestKind, RequestService
from knowledge.language import Language


@dataclass(frozen=True)
class RequestFacts:
    """What the texts depend on."""

    id: int
    kind: RequestKind
    service: RequestService
    quality_problem: bool
    rma_number: str | None
    has_attachments: bool


def language_of(value: str | None) -> Language:
    return "zh" if value == "zh" else "en"


def kind_word(kind: RequestKind, language: Language) -> str:
    return say(f"request_kind_{kind.value}", language)


def received_text(request: RequestFacts, language: Language) -> str:
    """The confirmation when the request is created (the dialogue sends it in its turn)."""
    if request.kind == RequestKind.REPAIR and request.rma_number:
        parts = [say("request_received_repair", language, rma=request.rma_number)]
    else:
        parts = [say("request_received", language, kind=kind_word(request.kind, language), id=request.id)]
    if request.quality_problem and not request.has_attachments:
        parts.append(say("request_attachments_missing", language))
    return _joined(parts, language)


def next_steps(request: RequestFacts, language: Language) -> list[str]:
    """What happens after approval, by kind and service."""
    on_site = request.service == RequestService.ON_SITE
    if request.kind == RequestKind.REPAIR:
        first = "request_next_on_site" if on_site else "request_next_mail_in_repair"
        return [say(first, language), say("request_out_of_warranty", language)]
    steps = [say("request_next_on_site" if on_site else "request_next_pickup", language)]
    if request.quality_problem:
        steps.append(say("request_shipping_quality", language))
    elif request.kind == RequestKind.RETURN:
        steps.append(say("request_shipping_customer", language))
    steps.append(
        say("request_refund_timing" if request.kind == RequestKind.RETURN else "request_exchange_next", language)
    )
    return steps


def approved_text(request: RequestFacts, language: Language) -> str:
    if request.kind == RequestKind.REPAIR:
        head = say("request_approved_repair", language, rma=request.rma_number or "–")
    else:
        head = say("request_approved", language, kind=kind_word(request.kind, language))
    return _joined([head, *next_steps(request, language)], language)


def rejected_text(request: RequestFacts, reason: str, language: Language) -> str:
    reason = reason.strip()
    if reason and reason[-1] not in ".!?。！？…":
        reason += "。" if language == "zh" else "."
    head = say("request_rejected", language, kind=kind_word(request.kind, language), reason=reason)
    return _joined([head, say("request_rejected_more", language)], language)


def _joined(parts: list[str], language: Language) -> str:
    return ("" if language == "zh" else " ").join(parts)
