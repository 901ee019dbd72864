"""Rasa's routing step after DIET: the component that applies `rasa_routing.decision` to each message
(config.yml, after the FallbackClassifier), with the evidence the app sends in its metadata."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from rasa_routing.decision import EVIDENCE, Router


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class EvidenceRouter(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # DIET's intent → when the evidence overrules it (config.yml sets the real table).
        return {"overrulable": {}, "declined": None, "escalated": {}, "escalatable": []}

    def __init__(self, config: dict[str, Any]) -> None:
        self._router = Router.from_config(config)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EvidenceRouter:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            metadata = message.get("metadata") or {}
            predicted = message.get("intent") or {}
            ranking = list(message.get("intent_ranking") or [])
            decision = self._router.route(
                predicted.get("name"), float(predicted.get("confidence") or 0.0), ranking, metadata.get(EVIDENCE)
            )
            if decision is None:
                continue
            name, confidence = decision
            routed = {"name": name, "confidence": confidence}
            message.set("intent", routed, add_to_output=True)
            message.set(
                "intent_ranking", [routed, *[item for item in ranking if item.get("name") != name]], add_to_output=True
            )
        return messages
