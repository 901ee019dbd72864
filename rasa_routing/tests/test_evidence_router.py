"""The routing step after DIET, run by the Rasa environment's Python (scripts/rasa-tests.sh):
`.venv-rasa/bin/python -m unittest discover -s rasa_routing/tests -t .`"""

from __future__ import annotations

import unittest
from pathlib import Path
from typing import Any

import yaml
from rasa.shared.nlu.training_data.message import Message

from rasa_routing.decision import Overrule, Router, declined, escalated, overruled
from rasa_routing.evidence_router import EvidenceRouter

ROOT = Path(__file__).resolve().parents[2]
TABLE = {"greet": Overrule(), "check_order": Overrule(0.8, 0.9), "out_of_scope": Overrule(0.95)}
CONFIG = {"greet": {}, "check_order": {"retrieval": 0.8, "diet_below": 0.9}, "out_of_scope": {"retrieval": 0.95}}


def evidence(
    decision: str = "answer", confidence: float = 0.9, names_order: bool = False, trigger: str | None = None
) -> dict[str, Any]:
    return {
        "decision": decision,
        "confidence": confidence,
        "entry": "p02-courier",
        "names_order": names_order,
        "trigger": trigger,
    }


def routed(intent: str, metadata: dict[str, Any] | None, diet: float = 0.8) -> Message:
    message = Message(data={"text": "发的是哪家快递", "metadata": metadata})
    message.set("intent", {"name": intent, "confidence": diet}, add_to_output=True)
    ranking = [{"name": intent, "confidence": diet}, {"name": "ask_faq", "confidence": 0.15}]
    message.set("intent_ranking", ranking, add_to_output=True)
    return EvidenceRouter({"overrulable": CONFIG}).process([message])[0]


class OverruledTest(unittest.TestCase):
    def test_an_answer_overrules_an_intent_of_the_table(self) -> None:
        self.assertEqual(overruled("greet", 0.99, evidence(confidence=0.86), TABLE), 0.86)
        self.assertEqual(overruled("check_order", 0.7, evidence(), TABLE), 0.9)

    def test_a_clarification_or_an_abstention_does_not(self) -> None:
        self.assertIsNone(overruled("greet", 0.99, evidence("clarify"), TABLE))
        self.assertIsNone(overruled("greet", 0.99, evidence("abstain", 0.1), TABLE))

    def test_an_intent_outside_the_table_keeps_winning(self) -> None:
        for intent in ("request_human", "complain", "report_safety_incident", "demand_compensation", None):
            self.assertIsNone(overruled(intent, 0.5, evidence(confidence=0.99), TABLE))

    def test_the_intents_own_minimum_and_diet_ceiling(self) -> None:
        self.assertIsNone(overruled("out_of_scope", 0.9, evidence(confidence=0.94), TABLE))
        self.assertEqual(overruled("out_of_scope", 0.9, evidence(confidence=0.97), TABLE), 0.97)
        self.assertIsNone(overruled("check_order", 0.7, evidence(confidence=0.79), TABLE))
        self.assertIsNone(overruled("check_order", 0.95, evidence(confidence=0.97), TABLE))  # DIET's own example

    def test_an_order_number_or_a_trigger_keeps_diets_path(self) -> None:
        self.assertIsNone(overruled("check_order", 0.7, evidence(names_order=True), TABLE))
        self.assertIsNone(overruled("greet", 0.7, evidence(trigger="complaint"), TABLE))

    def test_no_or_malformed_evidence_leaves_diet(self) -> None:
        for bad in (None, "answer", {}, {"decision": "answer"}, {"decision": "answer", "confidence": "high"}):
            self.assertIsNone(overruled("greet", 0.5, bad, TABLE))


class ProcessTest(unittest.TestCase):
    def test_the_question_goes_first_in_intent_and_ranking(self) -> None:
        message = routed("check_order", {"evidence": evidence(confidence=0.97)})
        self.assertEqual(message.get("intent"), {"name": "ask_faq", "confidence": 0.97})
        names = [item["name"] for item in message.get("intent_ranking")]
        self.assertEqual(names, ["ask_faq", "check_order"])  # DIET's ask_faq replaced, its intent kept

    def test_without_evidence_diet_stands(self) -> None:
        for metadata in (None, {}, {"language": "zh"}):
            self.assertEqual(routed("check_order", metadata).get("intent")["name"], "check_order")


class ConfigTest(unittest.TestCase):
    def test_config_routes_after_the_fallback_and_never_overrules_escalations(self) -> None:
        pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
        names = [step["name"] for step in pipeline]
        self.assertEqual(names[-1], "rasa_routing.evidence_router.EvidenceRouter")
        self.assertLess(names.index("FallbackClassifier"), names.index("rasa_routing.evidence_router.EvidenceRouter"))
        table = pipeline[-1]["overrulable"]
        for intent in ("request_human", "complain", "report_safety_incident", "demand_compensation", "inform"):
            self.assertNotIn(intent, table)


UNSURE = ({"name": "nlu_fallback", "confidence": 0.5}, {"name": "out_of_scope", "confidence": 0.42})


class DeclinedTest(unittest.TestCase):
    def test_an_unsure_message_out_of_scope_at_the_head_is_declined_when_the_retriever_abstains(self) -> None:
        self.assertEqual(declined("nlu_fallback", list(UNSURE), evidence("abstain", 0.1), "out_of_scope"), 0.42)

    def test_not_when_the_retriever_has_something_or_a_trigger_is_set_off(self) -> None:
        for found in (evidence("clarify", 0.4), evidence("answer"), evidence("abstain", 0.1, trigger="safety")):
            self.assertIsNone(declined("nlu_fallback", list(UNSURE), found, "out_of_scope"))

    def test_not_when_another_intent_leads_or_diet_was_sure_or_it_is_off(self) -> None:
        ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "ask_faq", "confidence": 0.4}]
        self.assertIsNone(declined("nlu_fallback", ranking, evidence("abstain", 0.1), "out_of_scope"))
        self.assertIsNone(declined("greet", list(UNSURE), evidence("abstain", 0.1), "out_of_scope"))
        self.assertIsNone(declined("nlu_fallback", list(UNSURE), evidence("abstain", 0.1), None))

    def test_the_component_sets_the_intent_and_its_ranking(self) -> None:
        message = Message(
            data={"text": "Who won the Champions League?", "metadata": {"evidence": evidence("abstain", 0.1)}}
        )
        message.set("intent", {"name": "nlu_fallback", "confidence": 0.5}, add_to_output=True)
        message.set("intent_ranking", list(list(UNSURE)), add_to_output=True)
        out = EvidenceRouter({"overrulable": CONFIG, "declined": "out_of_scope"}).process([message])[0]
        self.assertEqual(out.get("intent"), {"name": "out_of_scope", "confidence": 0.42})
        self.assertEqual([item["name"] for item in out.get("intent_ranking")], ["out_of_scope", "nlu_fallback"])


ESCALATIONS = {"safety": "report_safety_incident", "legal_or_media": "complain", "compensation": "demand_compensation"}
ESCALATABLE = frozenset({"out_of_scope", "greet"})


class EscalatedTest(unittest.TestCase):
    def test_a_trigger_in_a_message_diet_declined_escalates(self) -> None:
        for trigger, intent in ESCALATIONS.items():
            found = evidence("abstain", 0.1, trigger=trigger)
            self.assertEqual(escalated("out_of_scope", found, ESCALATIONS, ESCALATABLE), intent)

    def test_not_for_other_intents_nor_a_complaint_asked_about(self) -> None:
        found = evidence("abstain", 0.1, trigger="safety")
        self.assertIsNone(escalated("ask_faq", found, ESCALATIONS, ESCALATABLE))
        self.assertIsNone(escalated("inform", found, ESCALATIONS, ESCALATABLE))  # a form's reply: the form hands over
        complaint = evidence("answer", 0.9, trigger="complaint")  # "投诉流程是什么" is a question
        self.assertIsNone(escalated("out_of_scope", complaint, ESCALATIONS, ESCALATABLE))
        self.assertIsNone(escalated("out_of_scope", evidence("abstain", 0.1), ESCALATIONS, ESCALATABLE))

    def test_the_component_sets_the_escalation(self) -> None:
        message = Message(
            data={
                "text": "I'll post it on Weibo",
                "metadata": {"evidence": evidence("abstain", 0.1, trigger="legal_or_media")},
            }
        )
        message.set("intent", {"name": "out_of_scope", "confidence": 0.8}, add_to_output=True)
        message.set("intent_ranking", [{"name": "out_of_scope", "confidence": 0.8}], add_to_output=True)
        router = EvidenceRouter({"overrulable": CONFIG, "escalated": ESCALATIONS, "escalatable": sorted(ESCALATABLE)})
        out = router.process([message])[0]
        self.assertEqual(out.get("intent"), {"name": "complain", "confidence": 0.8})

    def test_config_escalates_only_what_a_human_must_take(self) -> None:
        router = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"][-1]
        self.assertNotIn("complaint", router["escalated"])  # a complaint asked about is a question
        self.assertNotIn("inform", router["escalatable"])


class RouterTest(unittest.TestCase):
    """The table as config.yml sets it, read the way the routed calibration reads it."""

    def test_the_pipelines_router_is_the_one_in_config(self) -> None:
        router = Router.from_pipeline(yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8")))
        self.assertIn("greet", router.overrulable)
        self.assertEqual(router.decline_as, "out_of_scope")
        self.assertEqual(router.route("greet", 0.9, [], evidence(confidence=0.9)), ("ask_faq", 0.9))
        self.assertIsNone(router.route("request_human", 0.9, [], evidence(confidence=0.99)))
        self.assertEqual(router.route("greet", 0.9, [], evidence(trigger="safety")), ("report_safety_incident", 0.9))
        self.assertEqual(router.route("nlu_fallback", 0.5, list(UNSURE), evidence("abstain")), ("out_of_scope", 0.42))

    def test_a_pipeline_without_the_step_routes_nothing(self) -> None:
        self.assertIsNone(
            Router.from_pipeline({"pipeline": [{"name": "DIETClassifier"}]}).route("greet", 0.9, [], evidence())
        )


if __name__ == "__main__":
    unittest.main()
