"""Abstention calibrated on what the running system does with a question (issue 14, point 3):
`python -m bench.routed_calibration [--write [--languages zh en]] [--no-cv] [--extra-dev PATH …]
[--conversations PATH … | --dev-set-only]`.

The retriever's thresholds decide twice in the running system: in Rasa's routing step, whether the
evidence takes a message to the knowledge base over DIET's intent (decision "answer", config.yml), and
in the FAQ action, whether it is answered, offered as a "did you mean" or met with a request to rephrase.
`python -m knowledge calibrate` scores the retriever alone, as if every question reached it, so an
out-of-scope question DIET declines anyway weighs on the thresholds as one they would answer
(docs/routing.md, *Abstention's costs*). Here every dev question (knowledge/eval/dev.yml and every
knowledge-base or out-of-scope turn of the end-to-end dev sets, a follow-up with the question it leans
on: `knowledge.evaluation.conversation_turns`), read as the app reads it (`engine.turns.rasa_message`), is
first parsed by the Rasa model in use (DIET and the FallbackClassifier, `bench.rasa_folds parse` in
.venv-rasa); the calibration then replays the routing step (`rasa_routing.decision`, with config.yml's
table) for each decision the thresholds could give it. A question reaches the knowledge base when the
pipeline sends it there (`ask_faq`, or `nlu_fallback`, which the rules send to the FAQ action) or the
evidence overrules DIET; one kept away costs `knowledge.evaluation.ROUTED_AWAY`.

Prints, per language, the routed cost and outcomes of the calibration in use, of the one chosen here,
and 5-fold cross-validated (each question scored through the routing by thresholds fitted without it)
of calibrating on the retriever alone against calibrating through the routing; writes them to
bench/results/routed_calibration.json, and with `--write` saves the chosen calibration to
knowledge/calibration.yml: every language is fitted, `--languages` names those written (the others keep
the calibration in use, each language's note kept with it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.nlu import DEFAULT_RASA_VENV, REPO, RasaRun
from bench.results import write
from bench.system import rasa_model
from desk.message_text import as_words
from engine.routing_evidence import evidence_for
from knowledge.abstention import Decision
from knowledge.calibration import Calibration, load_calibration, save_languages
from knowledge.cli import add_languages_option
from knowledge.conversation_sets import load
from knowledge.embedder import SentenceTransformerEmbedder
from knowledge.entries import load_entries
from knowledge.evaluation import (
    DevQuestion,
    Routing,
    Scored,
    calibrate,
    conversation_turns,
    cross_validate,
    featurise,
    known_questions,
    load_dev_sets,
    rank,
    report,
    total_cost,
)
from knowledge.index import build_retriever
from knowledge.settings import get_settings
from knowledge.text import customer_words
from rasa_routing.decision import FALLBACK, QUESTION, Router

E2E_DEV = (REPO / "knowledge" / "eval" / "e2e_dev_zh.yml", REPO / "knowledge" / "eval" / "e2e_dev_en.yml")
# The intents whose rules run the FAQ action (bot/rules/faq.yml).
TO_KNOWLEDGE_BASE = frozenset({QUESTION, FALLBACK})


def _progress(message: str) -> None:
    print(f"[routed-calibration] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class DietParse:
    """What the Rasa pipeline made of a text without the app's evidence."""

    intent: str | None
    confidence: float
    ranking: list[dict[str, Any]]


def diet_parses(texts: Sequence[str], model: Path, rasa_venv: Path = DEFAULT_RASA_VENV) -> dict[str, DietParse]:
    """Each text parsed by `model` in the Rasa environment (one process)."""
    with tempfile.TemporaryDirectory(prefix="routed-calibration-") as directory:
        given, parsed = Path(directory) / "texts.jsonl", Path(directory) / "parsed.jsonl"
        given.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
        RasaRun(rasa_venv=rasa_venv).python(["bench.rasa_folds", "parse", str(model), str(given), str(parsed)], REPO)
        rows = [json.loads(line) for line in parsed.read_text(encoding="utf-8").splitlines()]
    return {row["text"]: DietParse(row["intent"], row["intent_confidence"], row["ranking"]) for row in rows}


def routing_of(parses: Mapping[str, DietParse], router: Router) -> Routing:
    """Whether a question reaches the knowledge base: the routing step replayed on DIET's parse of it, with the
    evidence the app would send for the retriever's decision (engine/routing_evidence.py)."""

    def reaches(question: DevQuestion, decision: Decision, confidence: float) -> bool:
        parse = parses[question.text]
        evidence = evidence_for(question.text, decision, confidence, None)
        routed = router.route(parse.intent, parse.confidence, parse.ranking, evidence)
        return (routed[0] if routed else parse.intent) in TO_KNOWLEDGE_BASE

    return reaches


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m bench.routed_calibration", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev-set", type=Path, default=settings.dev_set)
    parser.add_argument(
        "--extra-dev", type=Path, action="append", default=[], metavar="PATH", help="in dev.yml's format"
    )
    parser.add_argument(
        "--conversations",
        type=Path,
        action="append",
        metavar="PATH",
        help=f"end-to-end sets whose every turn joins (default: {', '.join(p.name for p in E2E_DEV)})",
    )
    parser.add_argument("--dev-set-only", action="store_true", help="no conversations")
    parser.add_argument(
        "--write", action="store_true", help=f"save the chosen calibration to {settings.calibration_file}"
    )
    add_languages_option(parser)
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validated estimate")
    args = parser.parse_args(argv)
    sets = [] if args.dev_set_only else args.conversations or list(E2E_DEV)

    embedder = SentenceTransformerEmbedder(settings.model_in_use())
    in_use = load_calibration(settings.calibration_file)
    retriever = build_retriever(load_entries(settings.faq_dir), embedder, in_use, _progress, settings.dense_languages)
    questions, unknown = known_questions(
        [*load_dev_sets(args.dev_set, args.extra_dev), *conversation_turns([c for path in sets for c in load(path)])],
        {e.id for e in retriever.entries},
    )
    if unknown:
        _progress(f"{len(unknown)} questions left out: their entries are not in {settings.faq_dir}")
    # As the app sends them to Rasa and to the retriever (engine.turns.rasa_message).
    questions = [
        q.model_copy(update={"text": _words(q.text), "previous": q.previous and _words(q.previous)}) for q in questions
    ]
    model = rasa_model()
    _progress(f"parsing {len(questions)} questions with {model.name}")
    parses = diet_parses(sorted({q.text for q in questions}), model)
    router = Router.from_pipeline(yaml.safe_load((REPO / "config.yml").read_text(encoding="utf-8")))
    routing = routing_of(parses, router)

    _progress("scoring the calibration in use and fitting thresholds through the routing")
    items = featurise(retriever, questions)
    current = rank(retriever, items, retriever.fusion, in_use)  # the calibrated fusion when the file has one
    chosen = calibrate(retriever, items, routing)
    figures: dict[str, Any] = {
        "questions": len(questions),
        "model": model.name,
        "in_use": _summary(in_use, current, routing),
        "chosen_in_sample": _summary(
            chosen, rank(retriever, items, chosen.fusion or retriever.fusion, chosen), routing
        ),
    }
    if not args.no_cv:
        _progress("cross-validating: fusion and thresholds refitted without each fold")
        # Side by side on the same folds: thresholds fitted on the retriever alone (`knowledge calibrate`'s
        # way) and through the routing, each question scored through the routing by a fit without it.
        for name, fitted_through in (("retriever_alone", None), ("routed", routing)):
            held_out = cross_validate(retriever, items, routing=fitted_through)
            figures[f"cross_validated_{name}"] = {
                "cost": total_cost(held_out, routing),
                "outcomes": report(held_out, routing),
            }
    print(json.dumps(figures, indent=1, ensure_ascii=False))
    print(f"written to {write('routed_calibration', figures)}")
    if args.write:
        names = " + ".join(p.name for p in [args.dev_set, *args.extra_dev, *sets])
        note = (
            f"fitted by `python -m bench.routed_calibration --write --languages {' '.join(args.languages)}` on "
            f"{names} ({len(questions)} questions: every knowledge-base and out-of-scope turn, follow-ups read "
            f"after the question they lean on) with {embedder.name}, through the routing step with {model.name}'s "
            "DIET readings."
        )
        save_languages(settings.calibration_file, chosen, retriever.fusion, args.languages, note)
        print(f"calibration written to {settings.calibration_file}")
    return 0


def _words(text: str) -> str:
    return as_words(customer_words(text))


def _summary(calibration: Calibration, scored: Sequence[Scored], routing: Routing) -> dict[str, Any]:
    return {
        "thresholds": {lang: vars(t) for lang, t in calibration.thresholds.items()},
        "cost": total_cost(scored, routing),
        "outcomes": report(scored, routing),
    }


if __name__ == "__main__":
    sys.exit(main())
