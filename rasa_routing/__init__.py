"""Rasa's routing step after DIET (Rasa's environment, Python 3.10; never imported by the app).

`EvidenceRouter` (config.yml, after the FallbackClassifier) weighs the intent DIET predicted against
the knowledge base's evidence the app sends with each customer message (metadata "evidence",
engine/routing_evidence.py): a message the retriever would answer outright goes to the knowledge
base even when DIET leans to a greeting, a lookup, a case or out of scope. docs/routing.md says why
and how the thresholds were chosen."""

from rasa_routing.evidence_router import EvidenceRouter

__all__ = ["EvidenceRouter"]
