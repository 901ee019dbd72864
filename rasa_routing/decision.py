"""One decision between DIET's intent and the knowledge base's evidence (docs/routing.md), in plain
Python: Rasa's component (`evidence_router.py`) applies it to each message, and the routed calibration
(`bench.routed_calibration`) replays it on the dev questions.

DIET, trained on a few hundred examples, decides whether words are a greeting, a lookup, a case, out
of scope or a question; the retriever, over every phrasing of every entry, knows far better whether
the knowledge base answers them. The app searches each customer message before sending it and puts
what it found in the message metadata (`evidence`: the retriever's decision, its confidence, its
entry, whether the words name an order or repair number). This step, after DIET and the
FallbackClassifier, makes the message a knowledge-base question (`ask_faq`) when:

- the retriever would answer it outright (decision "answer": confident, and clear of the runner-up);
- DIET's intent is one the evidence may overrule (`overrulable`), with the confidence the retriever
  must reach for it (`retrieval`; 0: its own answer threshold is enough) and, for some, a DIET
  confidence it must stay under (`diet_below`: DIET's examples themselves stay where DIET put them).
  Requests for a human, complaints, safety incidents and compensation demands are never overruled:
  they keep winning, and the retriever cannot tell "我要人工" from "人工几点下班" (both score high on
  the same entry);
- the words name no order or repair number (a lookup with its number stays a lookup) and set off none
  of the app's safety and complaint triggers (desk/triggers.py: the path DIET chose handles them).

And the other way (`declined`): a message DIET was unsure of (the FallbackClassifier's `nlu_fallback`)
becomes the intent named there (`out_of_scope`) when that intent leads DIET's ranking and the
retriever has nothing to offer (decision "abstain"): asking such a customer to rephrase ("Who won the
Champions League?") helps nobody.

And the third way (`escalated`): a message DIET took for small talk or out of scope ("fine, I'll post
the whole story on Weibo", "Please make an exception and let me return it") that sets off one of the
app's triggers a human must take (desk/triggers.py: safety, a legal or media threat, an exception to
policy) becomes that trigger's escalation intent: such a customer is never declined nor greeted.

Without evidence (a button, Rasa's own tests, the app's index not loaded) DIET's intent stands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

COMPONENT = "EvidenceRouter"

QUESTION = "ask_faq"
EVIDENCE = "evidence"
ANSWER = "answer"


@dataclass(frozen=True)
class Overrule:
    """When the evidence overrules an intent: the retriever's confidence at least `retrieval`, DIET's
    below `diet_below`."""

    retrieval: float = 0.0
    diet_below: float = 1.01


def overruled(intent: str | None, diet: float, evidence: Any, overrulable: Mapping[str, Overrule]) -> float | None:
    """The confidence of `ask_faq` when the evidence overrules DIET's `intent` (predicted with
    confidence `diet`), else None."""
    if intent is None or intent == QUESTION or intent not in overrulable or not isinstance(evidence, dict):
        return None
    if evidence.get("decision") != ANSWER or evidence.get("names_order") or evidence.get("trigger"):
        return None
    confidence = evidence.get("confidence")
    rule = overrulable[intent]
    if not isinstance(confidence, (int, float)) or confidence < rule.retrieval or diet >= rule.diet_below:
        return None
    return float(confidence)


FALLBACK = "nlu_fallback"
ABSTAIN = "abstain"


def declined(
    intent: str | None, ranking: Sequence[Mapping[str, Any]], evidence: Any, decline_as: str | None
) -> float | None:
    """DIET's confidence in `decline_as` when an unsure message (`nlu_fallback`) is to be declined: that
    intent leads the ranking and the retriever abstains, with no trigger set off. Else None."""
    if not decline_as or intent != FALLBACK or not isinstance(evidence, dict):
        return None
    if evidence.get("decision") != ABSTAIN or evidence.get("trigger") or evidence.get("names_order"):
        return None
    leader = next((item for item in ranking if item.get("name") != FALLBACK), None)
    if leader is None or leader.get("name") != decline_as:
        return None
    return float(leader.get("confidence") or 0.0)


def escalated(
    intent: str | None, evidence: Any, escalations: Mapping[str, str], escalatable: frozenset[str]
) -> str | None:
    """The escalation intent for a message DIET took for one of `escalatable` (small talk, out of
    scope) whose words set off a trigger of `escalations` (trigger → intent). Else None."""
    if intent not in escalatable or not isinstance(evidence, dict):
        return None
    trigger = evidence.get("trigger")
    return escalations.get(trigger) if isinstance(trigger, str) else None


@dataclass(frozen=True)
class Router:
    """The routing step's table (config.yml, the `EvidenceRouter` entry of the pipeline)."""

    overrulable: Mapping[str, Overrule]
    decline_as: str | None = None
    escalations: Mapping[str, str] = field(default_factory=dict)
    escalatable: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Router:
        table = config.get("overrulable") or {}
        return cls(
            overrulable={str(intent): Overrule(**(rule or {})) for intent, rule in table.items()},
            decline_as=config.get("declined") or None,
            escalations={str(k): str(v) for k, v in (config.get("escalated") or {}).items()},
            escalatable=frozenset(str(intent) for intent in config.get("escalatable") or ()),
        )

    @classmethod
    def from_pipeline(cls, document: Mapping[str, Any]) -> Router:
        """The router a Rasa config (config.yml, parsed) sets up; an empty one when its pipeline has none."""
        for component in document.get("pipeline") or []:
            if str(component.get("name", "")).rsplit(".", 1)[-1] == COMPONENT:
                return cls.from_config(component)
        return cls(overrulable={})

    def route(
        self, intent: str | None, diet: float, ranking: Sequence[Mapping[str, Any]], evidence: Any
    ) -> tuple[str, float] | None:
        """The intent and confidence a message goes to instead of the pipeline's `intent` (predicted with
        confidence `diet`, `ranking` DIET's with `nlu_fallback`), or None: that intent stands."""
        escalation = escalated(intent, evidence, self.escalations, self.escalatable)
        if escalation is not None:
            return escalation, diet
        confidence = overruled(intent, diet, evidence, self.overrulable)
        if confidence is not None:
            return QUESTION, confidence
        confidence = declined(intent, ranking, evidence, self.decline_as)
        if confidence is not None and self.decline_as:  # declined() checked it; this tells mypy
            return self.decline_as, confidence
        return None
