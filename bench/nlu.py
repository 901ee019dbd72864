"""The project's Rasa NLU pipeline on a labelled-utterance data set, measured like `eval-intents`.

`python -m bench.nlu --train TRAIN --test TEST [--val VAL] [--json OUT] [--epochs N] [--folds K]`
(`make bench-nlu DATA=… [VAL=…] [TEST=…]`).

The data are read with `knowledge.datasets` (HINT3/BANKING77 CSV, CLINC150 JSON with its roles,
knowledge-base YAML). A temporary Rasa project gets the project's `config.yml` (the same pipeline;
`--epochs` overrides DIETClassifier's epochs, and the output says so), a minimal `domain.yml` and an
`nlu.yml` of the in-scope training utterances (out-of-scope rows are dropped from training, as in
HINT3). `rasa train nlu` runs in the Rasa virtualenv; the test sentences are then parsed by the
trained model (`bench.rasa_folds parse`: `Agent.load` + `parse_message`, in one `.venv-rasa` Python process).

A prediction is the top intent of DIET's ranking and its confidence (the pipeline's `nlu_fallback`
is skipped in the ranking, so that the 0.1–0.9 sweep of `knowledge.intent_metrics` sees DIET's own
confidence); what the product's FallbackClassifier decided (`nlu_fallback` mapped to out-of-scope)
is reported as well, under `product_fallback` and `decisions`.

The threshold is chosen as `eval-intents` chooses it (`knowledge.intent_eval.choose_threshold`),
never on the test set: on `--val` when it has out-of-scope queries, otherwise by k-fold
cross-validation on the training data with the same folds and the same simulated out-of-scope
(labels left out per fold when the training data has none) — which costs k more trainings.

Rasa quirks, documented rather than hidden: intent names are sanitised to `[A-Za-z0-9_]` (mapped
back for scoring); example text has its whitespace collapsed and Rasa's entity markup broken
(`[x](y)` -> `[x] (y)`), since Rasa would otherwise read it as an annotation; a sentence starting
with `/` is read by Rasa as an intent payload (counted in the output as `slash_queries`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
DEFAULT_RASA_VENV = REPO / ".venv-rasa"
FALLBACK_INTENT = "nlu_fallback"
RESERVED_INTENTS = frozenset({FALLBACK_INTENT, "out_of_scope", "restart", "back", "session_start"})


def _progress(message: str) -> None:
    print(f"[bench-nlu] {message}", file=sys.stderr, flush=True)


def _stderr_fd() -> int:
    """Rasa's output goes to stderr (stdout is the table), also when `sys.stderr` is not a real file."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return 2


# ---------------------------------------------------------------- the Rasa project files (no Rasa needed)

_INVALID = re.compile(r"[^A-Za-z0-9_]+")
_ENTITY_MARKUP = re.compile(r"\](?=[({\[])")


def sanitise_intents(labels: Sequence[str]) -> dict[str, str]:
    """label -> a Rasa-safe, unique intent name (`[A-Za-z0-9_]`, not starting with `_`, not reserved)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for label in dict.fromkeys(labels):
        base = _INVALID.sub("_", label).strip("_") or "intent"
        if base in RESERVED_INTENTS or base[0].isdigit():
            base = f"intent_{base}"
        name, number = base, 2
        while name in taken:
            name, number = f"{base}_{number}", number + 1
        names[label] = name
        taken.add(name)
    return names


def clean_example(text: str) -> str:
    """One line, without anything Rasa would read as entity markup."""
    return _ENTITY_MARKUP.sub("] ", " ".join(text.split()))


def nlu_document(examples: Sequence[tuple[str, str]], names: dict[str, str]) -> dict[str, Any]:
    """Rasa 3 NLU training data: one block per intent, each example as a `text:` item (quoted by YAML)."""
    grouped: dict[str, list[str]] = {}
    for text, label in examples:
        cleaned = clean_example(text)
        if cleaned:
            grouped.setdefault(names[label], []).append(cleaned)
    return {
        "version": "3.1",
        "nlu": [
            {"intent": intent, "examples": [{"text": t} for t in dict.fromkeys(texts)]}
            for intent, texts in grouped.items()
        ],
    }


def pipeline_config(config: dict[str, Any], epochs: int | None) -> dict[str, Any]:
    """The project's config, DIET's epochs overridden when asked (policies are irrelevant to `train nlu`)."""
    out: dict[str, Any] = json.loads(json.dumps(config))
    if epochs is not None:
        for component in out.get("pipeline") or []:
            if component.get("name") == "DIETClassifier":
                component["epochs"] = epochs
    return out


def write_project(
    directory: Path, examples: Sequence[tuple[str, str]], config_file: Path, epochs: int | None
) -> dict[str, str]:
    """config.yml, domain.yml and nlu.yml in `directory`; returns the Rasa intent name -> label map."""
    names = sanitise_intents([label for _, label in examples])
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    directory.mkdir(parents=True, exist_ok=True)

    def dump(name: str, document: dict[str, Any]) -> None:
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=1_000_000)
        (directory / name).write_text(text, encoding="utf-8")

    dump("config.yml", pipeline_config(config, epochs))
    dump("domain.yml", {"version": "3.1", "intents": list(names.values())})
    dump("nlu.yml", nlu_document(examples, names))
    return {name: label for label, name in names.items()}


# ---------------------------------------------------------------- training and parsing with Rasa


@dataclass
class RasaRun:
    rasa_venv: Path = DEFAULT_RASA_VENV
    config_file: Path = REPO / "config.yml"
    epochs: int | None = None
    workdir: Path | None = None  # where the temporary projects go (default: the system temp dir)
    keep: bool = False
    train_seconds: float = 0.0
    parse_seconds: float = 0.0
    trainings: int = 0

    def environment(self, project: Path) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            RASA_CACHE_DIRECTORY=str(project / "cache"),
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            RASA_TELEMETRY_ENABLED="false",
            PYTHONWARNINGS="ignore",
            # The pipeline's own step (rasa_routing, a no-op without the app's evidence) is imported
            # from the repository, wherever the temporary project is.
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")])),
        )
        return env

    def python(self, args: Sequence[str], cwd: Path) -> None:
        """`python -m ARGS` in the Rasa environment (e.g. `bench.rasa_folds parse`), its output to stderr."""
        command = [str(self.rasa_venv / "bin" / "python"), "-m", *args]
        env = self.environment(cwd)
        subprocess.run(command, cwd=cwd, env=env, check=True, stdout=_stderr_fd(), stdin=subprocess.DEVNULL)


@dataclass(frozen=True)
class Parsed:
    label: str  # the top DIET intent's label, `OOS` when there is none
    confidence: float
    fallback: bool  # the product pipeline's FallbackClassifier answered `nlu_fallback`


def train_and_parse(
    train: Sequence[tuple[str, str]], query_sets: Sequence[Sequence[str]], run: RasaRun
) -> list[list[Parsed]]:
    """Train on (text, label) pairs and parse every set of texts with the model."""
    from knowledge.datasets import OOS

    base = run.workdir
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
    project = Path(tempfile.mkdtemp(prefix="bench-nlu-", dir=base))
    try:
        label_of = write_project(project, train, run.config_file, run.epochs)
        env = run.environment(project)
        _progress(f"rasa train nlu: {len(train)} utterances, {len(label_of)} intents in {project}")
        started = time.perf_counter()
        command = [str(run.rasa_venv / "bin" / "rasa"), "train", "nlu", "--config", "config.yml"]
        command += ["--domain", "domain.yml", "--nlu", "nlu.yml", "--out", "models", "--fixed-model-name", "nlu"]
        subprocess.run(command, cwd=project, env=env, check=True, stdout=_stderr_fd(), stdin=subprocess.DEVNULL)
        run.train_seconds += time.perf_counter() - started
        run.trainings += 1
        model = project / "models" / "nlu.tar.gz"
        if not model.is_file():
            raise RuntimeError(f"rasa train nlu wrote no model at {model}")
        texts = [t for queries in query_sets for t in queries]
        queries_file = project / "queries.jsonl"
        queries_file.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
        _progress(f"parsing {len(texts)} sentences with the trained model")
        started = time.perf_counter()
        run.python(["bench.rasa_folds", "parse", str(model), str(queries_file), str(project / "parsed.jsonl")], project)
        run.parse_seconds += time.perf_counter() - started
        rows = [json.loads(line) for line in (project / "parsed.jsonl").read_text(encoding="utf-8").splitlines()]
        if len(rows) != len(texts):
            raise RuntimeError(f"parsed {len(rows)} sentences of {len(texts)}")
        parsed = [
            Parsed(label_of.get(r["top"] or "", OOS), float(r["confidence"]), r["intent"] == FALLBACK_INTENT)
            for r in rows
        ]
    finally:
        if run.keep:
            _progress(f"kept the temporary project {project}")
        else:
            shutil.rmtree(project, ignore_errors=True)
    out: list[list[Parsed]] = []
    start = 0
    for queries in query_sets:
        out.append(parsed[start : start + len(queries)])
        start += len(queries)
    return out


# ---------------------------------------------------------------- the harness protocol

Pair = tuple[str, str]


def cv_splits(train: Sequence[Pair], folds: int, seed: int) -> list[tuple[list[Pair], list[Pair]]]:
    """(training rows, query rows) per fold, exactly as `knowledge.intent_eval.cross_validated_predictions`
    splits: stratified folds, and out-of-scope simulated by leaving label groups out when there is none."""
    import numpy as np

    from knowledge.datasets import OOS
    from knowledge.intent_eval import stratified_folds

    if folds < 2:
        raise ValueError(f"--folds must be at least 2, got {folds}")
    labels = [label for _, label in train]
    fold_of = stratified_folds(labels, folds, seed)
    in_scope = list(dict.fromkeys(label for label in labels if label != OOS))
    group_of: dict[str, int] = {}
    if len(in_scope) == len(set(labels)):
        if len(in_scope) < 3:
            raise ValueError("too few labels to simulate out-of-scope queries by leaving labels out")
        for position, label in enumerate(np.random.default_rng(seed + 1).permutation(in_scope)):
            group_of[str(label)] = position % folds
    splits = []
    for fold in range(folds):
        held = {label for label, group in group_of.items() if group == fold}
        rows = [(t, label) for (t, label), f in zip(train, fold_of, strict=True) if f != fold]
        queries = [
            (t, OOS if label in held else label) for (t, label), f in zip(train, fold_of, strict=True) if f == fold
        ]
        splits.append(([r for r in rows if r[1] not in held and r[1] != OOS], queries))
    return splits


def _predictions(gold: Sequence[str], parsed: Sequence[Parsed]) -> list[Any]:
    from knowledge.intent_metrics import Prediction

    return [Prediction(g, p.label, p.confidence) for g, p in zip(gold, parsed, strict=True)]


def evaluate_rasa(
    train: Sequence[Pair],
    test: Sequence[Pair],
    run: RasaRun,
    val: Sequence[Pair] | None = None,
    folds: int = 5,
    seed: int = 13,
) -> dict[str, object]:
    """The `eval-intents` result shape for the Rasa pipeline (plus engine, timings and predictions)."""
    from knowledge.datasets import OOS
    from knowledge.intent_metrics import THRESHOLDS, Prediction, best_by_mcc, metrics_at, sweep

    started = time.perf_counter()
    in_scope = [(t, label) for t, label in train if label != OOS]
    labels = set(label for _, label in in_scope)
    if len(labels) < 2:
        raise ValueError(f"the training data needs at least 2 in-scope labels, found {len(labels)}")
    use_val = val is not None and any(label == OOS for _, label in val)
    sets: list[Sequence[str]] = [[t for t, _ in test]]
    if use_val:
        sets.append([t for t, _ in val or ()])
    parsed = train_and_parse(in_scope, sets, run)
    test_predictions = _predictions([label for _, label in test], parsed[0])
    if use_val:
        rows = sweep(_predictions([label for _, label in val or ()], parsed[1]))
        how = "validation (best MCC)"
    else:
        note = "validation set has no out-of-scope queries; " if val is not None else ""
        _progress(f"{note}choosing the threshold by {folds}-fold cross-validation on the training data")
        pooled: list[Any] = []
        for fold, (rows_in, queries) in enumerate(cv_splits(train, folds, seed)):
            _progress(f"fold {fold + 1}/{folds}: training on {len(rows_in)}, querying {len(queries)}")
            fold_parsed = train_and_parse(rows_in, [[t for t, _ in queries]], run)[0]
            pooled += _predictions([label for _, label in queries], fold_parsed)
        rows = sweep(pooled)
        how = f"{folds}-fold cross-validation on training data (best MCC)"
    chosen_selection = best_by_mcc(rows)
    threshold = float(chosen_selection["threshold"] or 0.0)
    fallback_rate = round(sum(p.fallback for p in parsed[0]) / max(1, len(test)), 4)
    product = [Prediction(g, OOS if p.fallback else p.label, 1.0) for (_, g), p in zip(test, parsed[0], strict=True)]
    return {
        "engine": "rasa",
        "sweep": sweep(test_predictions, THRESHOLDS),
        "chosen": metrics_at(test_predictions, threshold),
        "chosen_by": how,
        "selection": {"chosen": chosen_selection, "sweep": rows},
        "decisions": {"intent": round(1 - fallback_rate, 4), FALLBACK_INTENT: fallback_rate},
        "abstention_rate": fallback_rate,
        "product_fallback": metrics_at(product, 0.0),
        "n_train": len(in_scope),
        "n_labels": len(labels),
        "n_test": len(test),
        "n_oos": sum(1 for _, label in test if label == OOS),
        "embedder": f"Rasa pipeline {run.config_file.name}" + (f" (DIET epochs={run.epochs})" if run.epochs else ""),
        "epochs_override": run.epochs,
        "trainings": run.trainings,
        "train_seconds": round(run.train_seconds, 1),
        "parse_seconds": round(run.parse_seconds, 1),
        "slash_queries": sum(1 for t, _ in test if t.lstrip().startswith("/")),
        "seconds": round(time.perf_counter() - started, 1),
        "predictions": [
            {"text": t, "gold": g, "label": p.label, "confidence": round(p.confidence, 4), "fallback": p.fallback}
            for (t, g), p in zip(test, parsed[0], strict=True)
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    from knowledge.datasets import DatasetError, read_dataset
    from knowledge.intent_metrics import METRIC_KEYS, metric_line, print_report

    parser = argparse.ArgumentParser(
        prog="python -m bench.nlu", description=__doc__.split("\n")[0] if __doc__ else None
    )
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument("--val", type=Path, help="choose the threshold here (default: cross-validation on --train)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--epochs", type=int, help="override DIETClassifier's epochs (quicker, not the product's)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds without --val (k trainings)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--rasa-venv", type=Path, default=Path(os.environ.get("RASA_VENV", DEFAULT_RASA_VENV)))
    parser.add_argument("--config", type=Path, default=REPO / "config.yml")
    parser.add_argument("--workdir", type=Path, help="where the temporary Rasa projects go (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary Rasa projects")
    parser.add_argument("--results", metavar="NAME", help="also record the figures in bench/results/NAME.json")
    args = parser.parse_args(argv)
    if not (args.rasa_venv / "bin" / "rasa").is_file():
        print(f"error: no Rasa at {args.rasa_venv}/bin/rasa (make install)", file=sys.stderr)
        return 2
    try:
        train = read_dataset(args.train, "train")
        test = read_dataset(args.test, "test")
        val = read_dataset(args.val, "val") if args.val else None
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for data in (train, val, test):
        if data is not None:
            _progress(
                f"{data.role}: {data.path} ({data.format}): {len(data.utterances)} utterances, "
                f"{len(data.labels)} labels, {data.n_oos} out-of-scope"
            )
    if args.epochs is not None:
        _progress(f"DIETClassifier epochs overridden to {args.epochs} (the product's config.yml is not measured as is)")
    run = RasaRun(args.rasa_venv, args.config, args.epochs, args.workdir, args.keep)

    def pairs(data: Any) -> list[Pair]:
        return [(u.text, u.label) for u in data.utterances]

    result = evaluate_rasa(pairs(train), pairs(test), run, pairs(val) if val else None, args.folds, args.seed)
    product = result["product_fallback"]
    assert isinstance(product, dict)
    print(f"engine: rasa ({result['embedder']})")
    print_report(result, args.test)
    print("the product pipeline's own FallbackClassifier (nlu_fallback -> out-of-scope):")
    print(metric_line(product, METRIC_KEYS[1:]))
    print(
        f"decisions {result['decisions']}; {result['trainings']} training(s) {result['train_seconds']}s, "
        f"parsing {result['parse_seconds']}s, total {result['seconds']}s"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.results:
        from bench.results import write

        figures = {k: v for k, v in result.items() if k != "predictions"}
        write(args.results, {"train": str(args.train), "test": str(args.test), "val": str(args.val), **figures})
    return 0


if __name__ == "__main__":
    sys.exit(main())
