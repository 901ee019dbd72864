"""`bench.nlu_pipelines`: the variants as overrides of config.yml, and the scores (no Rasa, no training)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.nlu_pipelines import CHAR_NGRAMS, DIET, ROUTING_STEP, VARIANTS, Override, scores, table, variant_config

REPO = Path(__file__).resolve().parents[2]
CONFIG: dict[str, Any] = {
    "language": "zh",
    "pipeline": [
        {"name": "JiebaTokenizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        {"name": "DIETClassifier", "epochs": 80, "number_of_transformer_layers": 0},
        {"name": "FallbackClassifier", "threshold": 0.5},
        {"name": ROUTING_STEP, "declined": "out_of_scope"},
    ],
    "policies": [{"name": "RulePolicy"}],
}


def names(config: dict[str, Any]) -> list[str]:
    return [component["name"] for component in config["pipeline"]]


def test_current_is_the_config_without_the_routing_step() -> None:
    original = copy.deepcopy(CONFIG)
    current = variant_config(CONFIG, VARIANTS["current"])
    assert ROUTING_STEP not in names(current)
    assert current["pipeline"] == CONFIG["pipeline"][:-1]
    assert current["policies"] == CONFIG["policies"]
    assert original == CONFIG  # the caller's config is left alone


def test_diet_overrides_merge_into_diet_only() -> None:
    config = variant_config(CONFIG, VARIANTS["epochs_150_transformer_1x128"])
    diet = config["pipeline"][3]
    assert diet == {"name": "DIETClassifier", "epochs": 150, "number_of_transformer_layers": 1, "transformer_size": 128}
    assert variant_config(CONFIG, VARIANTS["epochs_40"])["pipeline"][3]["epochs"] == 40


def test_char_ngram_overrides_leave_the_word_featurizer_alone() -> None:
    dropped = variant_config(CONFIG, VARIANTS["no_char_ngrams"])
    assert dropped["pipeline"][1:3] == [{"name": "CountVectorsFeaturizer"}, CONFIG["pipeline"][3]]
    widened = variant_config(CONFIG, VARIANTS["char_2_5"])
    assert widened["pipeline"][1] == {"name": "CountVectorsFeaturizer"}
    assert widened["pipeline"][2] == {**CONFIG["pipeline"][2], "min_ngram": 2, "max_ngram": 5}


@pytest.mark.parametrize(
    "override",
    [
        Override({"name": "CountVectorsFeaturizer"}, {"min_ngram": 2}),  # two featurizers match
        Override({"name": "ResponseSelector"}, drop=True),  # none matches
        Override(DIET | {"epochs": 999}, {"epochs": 1}),  # a key that differs
    ],
)
def test_an_override_must_match_exactly_one_component(override: Override) -> None:
    with pytest.raises(ValueError, match="matches"):
        variant_config(CONFIG, (override,))


def test_every_variant_applies_to_the_projects_config() -> None:
    config = yaml.safe_load((REPO / "config.yml").read_text(encoding="utf-8"))
    assert any(all(c.get(k) == v for k, v in CHAR_NGRAMS.items()) for c in config["pipeline"])
    for name, overrides in VARIANTS.items():
        assert ROUTING_STEP not in names(variant_config(config, overrides)), name


def test_scores_diets_top_intent_and_routes_a_fallback_as_the_faq_action_does() -> None:
    rows = [
        {"gold": "greet", "top": "greet", "intent": "greet"},
        {"gold": "greet", "top": "greet", "intent": "nlu_fallback"},  # unsure: sent to the knowledge base
        {"gold": "ask_faq", "top": "greet", "intent": "nlu_fallback"},  # unsure, and where it belongs
        {"gold": "ask_faq", "top": "ask_faq", "intent": "ask_faq"},
        {"gold": "complain", "top": "request_human", "intent": "request_human"},  # still reaches a person
        {"gold": "greet", "top": "complain", "intent": "complain"},  # a needless handoff
    ]
    result = scores(rows)
    assert result["accuracy"] == 0.5
    assert result["fallback_rate"] == round(2 / 6, 4)
    assert result["routed_accuracy"] == 0.5
    assert result["needless_handoffs"] == 1
    assert result["per_intent"] == {"ask_faq": 0.5, "complain": 0.0, "greet": round(2 / 3, 4)}
    assert result["per_intent_routed"] == {"ask_faq": 1.0, "complain": 0.0, "greet": round(1 / 3, 4)}
    assert result["routing_intents"]["greet"] == round(1 / 3, 4)
    assert result["routing_intents"]["out_of_scope"] is None  # not in the data
    line = table({"current": {**result, "train_seconds": 200.0, "over_budget": True}}).splitlines()[2]
    assert line.startswith("| `current` | 200 (over budget) | 0.500 | ")
    assert "| 33.3% | 0.500 | 1 | 1.00 |" in line
    assert "| – |" in line


def test_a_timing_only_row_leaves_the_scores_blank() -> None:
    line = table({"epochs_40": {"train_seconds": 61.4, "over_budget": False}}).splitlines()[2]
    assert line == "| `epochs_40` | 61 |" + " – |" * 13
