"""DIET's pipeline choices (transformer layers, epochs, featurizers) cross-validated on the bot's own NLU data.

`python -m bench.nlu_pipelines [--folds 5] [--variants current,epochs_40,…] [--repeats 1] [--time-only]`

Each variant is the project's `config.yml` with one override (below, as data) and without the routing
step (`rasa_routing.evidence_router.EvidenceRouter` only acts on the app's evidence metadata, which NLU data has none
of). Per variant:

- one `rasa train nlu` on all of `bot/nlu` (`--repeats` of them, median reported), timed by the wall
  clock with a cold cache: the budget is 3 minutes (issue 14), and a variant over it is marked so.
  The cores are shared, so the load average before each training and the CPU seconds Rasa used
  (less sensitive to other work than the wall clock) are recorded beside it; `--time-only` repeats
  just these trainings at a quieter moment;
- stratified k-fold cross-validation on the same folds for every variant (`bench.rasa_folds` splits
  with a seed; Rasa's own `--cross-validation` does not): `rasa train nlu` per fold, the held-out
  examples parsed by the fold's model.

The classifier is scored on DIET's own top intent (the ranking without `nlu_fallback`): accuracy, macro-
and weighted-F1 over the gold intents. The routing is scored on what the pipeline hands the policies:
its final intent, with the FallbackClassifier's `nlu_fallback` read as `ask_faq` (the rules send both to
`action_answer_faq`): the share of all examples routed right, and of each routing intent's examples, and
how many examples of non-escalation intents were routed to an escalation (a needless handoff; one
escalation read as another still reaches a person).
Results, with every held-out prediction, go to `bench/results/nlu_pipelines.json`, rewritten after every
variant.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.nlu import DEFAULT_RASA_VENV, FALLBACK_INTENT, REPO, RasaRun, _stderr_fd

BUDGET_SECONDS = 180.0
ROUTING_STEP = "rasa_routing.evidence_router.EvidenceRouter"
ROUTING_INTENTS = (
    "ask_faq",
    "request_human",
    "complain",
    "report_safety_incident",
    "demand_compensation",
    "out_of_scope",
    "greet",
)
# Never overruled by the routing step (docs/routing.md): any other message routed to one is handed to a human.
ESCALATIONS = frozenset({"request_human", "complain", "report_safety_incident", "demand_compensation"})


@dataclass(frozen=True)
class Override:
    """The pipeline component whose keys all equal `match`: `changes` merged into it, or dropped when `drop`."""

    match: Mapping[str, object]
    changes: Mapping[str, object] | None = None
    drop: bool = False


DIET = {"name": "DIETClassifier"}
CHAR_NGRAMS = {"name": "CountVectorsFeaturizer", "analyzer": "char_wb"}
TRANSFORMER_1X128 = {"number_of_transformer_layers": 1, "transformer_size": 128}

VARIANTS: dict[str, tuple[Override, ...]] = {
    "current": (),
    "epochs_40": (Override(DIET, {"epochs": 40}),),
    "epochs_150": (Override(DIET, {"epochs": 150}),),
    "transformer_1x128": (Override(DIET, TRANSFORMER_1X128),),
    "no_char_ngrams": (Override(CHAR_NGRAMS, drop=True),),
    "char_2_5": (Override(CHAR_NGRAMS, {"min_ngram": 2, "max_ngram": 5}),),
    "epochs_150_transformer_1x128": (Override(DIET, {"epochs": 150, **TRANSFORMER_1X128}),),
    # The transformer at half the epochs: about half its training time, under the budget.
    "epochs_40_transformer_1x128": (Override(DIET, {"epochs": 40, **TRANSFORMER_1X128}),),
}


def variant_config(config: Mapping[str, Any], overrides: Sequence[Override]) -> dict[str, Any]:
    """The config without the routing step, each override applied; an override matching no component,
    or several, is an error (a variant that silently changed nothing would be measured as a finding)."""
    out: dict[str, Any] = json.loads(json.dumps(config))
    pipeline: list[dict[str, Any]] = [c for c in out.get("pipeline") or [] if c.get("name") != ROUTING_STEP]
    for override in overrides:
        hits = [c for c in pipeline if all(c.get(key) == value for key, value in override.match.items())]
        if len(hits) != 1:
            raise ValueError(f"override {dict(override.match)} matches {len(hits)} pipeline components, not 1")
        if override.drop:
            pipeline.remove(hits[0])
        else:
            hits[0].update(override.changes or {})
    out["pipeline"] = pipeline
    return out


def _progress(message: str) -> None:
    print(f"[bench-nlu-pipelines] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- scores (no Rasa needed)


def routed(intent: str) -> str:
    """Where the pipeline's final intent goes: the rules answer `nlu_fallback` as they answer `ask_faq`."""
    return "ask_faq" if intent == FALLBACK_INTENT else intent


def _shares(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Per gold intent, the share of its examples predicted as it."""
    return {
        label: round(sum(p == label for g, p in zip(gold, predicted, strict=True) if g == label) / gold.count(label), 4)
        for label in sorted(set(gold))
    }


def scores(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Held-out predictions (`gold`, DIET's `top`, the pipeline's final `intent`) -> the table's figures."""
    from sklearn.metrics import f1_score

    gold = [str(r["gold"]) for r in rows]
    top = [str(r["top"]) for r in rows]
    route = [routed(str(r["intent"])) for r in rows]
    labels = sorted(set(gold))
    per_intent_routed = _shares(gold, route)
    return {
        "n": len(rows),
        "accuracy": round(sum(g == t for g, t in zip(gold, top, strict=True)) / len(rows), 4),
        # Over the gold intents only: a prediction outside them (none for DIET's top) would add a zero.
        "macro_f1": round(float(f1_score(gold, top, labels=labels, average="macro", zero_division=0)), 4),
        "weighted_f1": round(float(f1_score(gold, top, labels=labels, average="weighted", zero_division=0)), 4),
        "fallback_rate": round(sum(r["intent"] == FALLBACK_INTENT for r in rows) / len(rows), 4),
        "routed_accuracy": round(sum(g == r for g, r in zip(gold, route, strict=True)) / len(rows), 4),
        "needless_handoffs": sum(r in ESCALATIONS and g not in ESCALATIONS for g, r in zip(gold, route, strict=True)),
        "routing_intents": {label: per_intent_routed.get(label) for label in ROUTING_INTENTS},
        "per_intent": _shares(gold, top),
        "per_intent_routed": per_intent_routed,
    }


# ---------------------------------------------------------------- training and parsing with Rasa


@dataclass
class Bench:
    run: RasaRun
    nlu: Path
    domain: Path

    def rasa(self, args: Sequence[str], cwd: Path) -> None:
        subprocess.run(
            [str(self.run.rasa_venv / "bin" / "rasa"), *args],
            cwd=cwd,
            env=self.run.environment(cwd),  # its own cache: nothing a previous training left is reused
            check=True,
            stdout=_stderr_fd(),
            stdin=subprocess.DEVNULL,
        )

    def train(self, directory: Path, config: Path, nlu: Path) -> tuple[Path, float, float]:
        """`rasa train nlu` in `directory`; the model, the wall-clock seconds and the CPU seconds it took."""
        directory.mkdir(parents=True, exist_ok=True)
        cpu_before = _children_cpu()
        started = time.perf_counter()
        command = ["train", "nlu", "--config", str(config), "--nlu", str(nlu), "--domain", str(self.domain)]
        self.rasa([*command, "--out", str(directory / "models"), "--fixed-model-name", "nlu", "--quiet"], directory)
        seconds = time.perf_counter() - started
        cpu = _children_cpu() - cpu_before
        model = directory / "models" / "nlu.tar.gz"
        if not model.is_file():
            raise RuntimeError(f"rasa train nlu wrote no model at {model}")
        return model, seconds, cpu

    def split(self, folds: int, seed: int, out: Path) -> list[Path]:
        self.run.python(["bench.rasa_folds", "split", str(self.nlu), str(folds), str(seed), str(out)], out.parent)
        return sorted(out.glob("fold-*"))

    def variant(self, config: dict[str, Any], folds: Sequence[Path], repeats: int, project: Path) -> dict[str, Any]:
        config_file = project / "config.yml"
        project.mkdir(parents=True, exist_ok=True)
        config_file.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
        timings: list[dict[str, float]] = []
        for repeat in range(repeats):
            load = os.getloadavg()[0]  # the cores are shared: a busy machine shows here, not in the figure
            _, seconds, cpu = self.train(project / f"full-{repeat}", config_file, self.nlu)
            timings.append({"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "load_before": round(load, 2)})
            _progress(
                f"  full training {repeat + 1}/{repeats}: {seconds:.1f} s, {cpu:.1f} CPU s (load average before {load:.2f})"
            )
            shutil.rmtree(project / f"full-{repeat}", ignore_errors=True)
        train_seconds = statistics.median(t["seconds"] for t in timings)
        timing = {
            "train_seconds": round(train_seconds, 1),
            "train_cpu_seconds": round(statistics.median(t["cpu_seconds"] for t in timings), 1),
            "train_runs": timings,
            "over_budget": train_seconds > BUDGET_SECONDS,
        }
        if not folds:
            return timing
        jobs: list[str] = []
        fold_seconds: list[float] = []
        for number, fold in enumerate(folds):
            model, seconds, _ = self.train(project / fold.name, config_file, fold / "train.yml")
            fold_seconds.append(round(seconds, 1))
            _progress(f"  fold {number + 1}/{len(folds)} trained in {seconds:.1f} s")
            jobs += [str(model), str(fold / "test.jsonl"), str(project / fold.name / "parsed.jsonl")]
        _progress(f"  parsing the held-out examples of {len(folds)} folds")
        self.run.python(["bench.rasa_folds", "parse", *jobs], project)
        rows = [
            json.loads(line)
            for fold in folds
            for line in (project / fold.name / "parsed.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        return {
            **timing,
            "fold_train_seconds": fold_seconds,
            **scores(rows),
            "predictions": [{**r, "confidence": round(r["confidence"], 4)} for r in rows],
        }


def main(argv: Sequence[str] | None = None) -> int:
    from bench.results import write

    parser = argparse.ArgumentParser(prog="python -m bench.nlu_pipelines", description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of: {', '.join(VARIANTS)}")
    parser.add_argument("--repeats", type=int, default=1, help="full trainings per variant (the median is reported)")
    parser.add_argument("--seed", type=int, default=13, help="the folds' shuffle")
    parser.add_argument("--time-only", action="store_true", help="only the full trainings, no cross-validation")
    parser.add_argument("--config", type=Path, default=REPO / "config.yml")
    parser.add_argument("--nlu", type=Path, default=REPO / "bot" / "nlu")
    parser.add_argument("--domain", type=Path, default=REPO / "domain.yml")
    parser.add_argument("--rasa-venv", type=Path, default=Path(os.environ.get("RASA_VENV", DEFAULT_RASA_VENV)))
    parser.add_argument("--workdir", type=Path, help="where the temporary Rasa projects go (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary projects")
    parser.add_argument(
        "--results", help="bench/results/NAME.json (default: nlu_pipelines, nlu_pipelines_timing with --time-only)"
    )
    args = parser.parse_args(argv)
    # A timing-only run must not overwrite the cross-validated figures.
    results_name = args.results or ("nlu_pipelines_timing" if args.time_only else "nlu_pipelines")
    names = [name.strip() for name in args.variants.split(",") if name.strip()]
    unknown = [name for name in names if name not in VARIANTS]
    if unknown or not names:
        parser.error(f"unknown variants {unknown}; known: {', '.join(VARIANTS)}")
    if args.folds < 2 or args.repeats < 1:
        parser.error("--folds must be at least 2 and --repeats at least 1")
    if not (args.rasa_venv / "bin" / "rasa").is_file():
        print(f"error: no Rasa at {args.rasa_venv}/bin/rasa (make install)", file=sys.stderr)
        return 2
    config = yaml.safe_load(args.config.read_text(encoding="utf-8"))
    configs = {name: variant_config(config, VARIANTS[name]) for name in names}  # fails before any training
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-nlu-pipelines-", dir=args.workdir))
    bench = Bench(RasaRun(rasa_venv=args.rasa_venv), args.nlu.resolve(), args.domain.resolve())
    started = time.perf_counter()
    results: dict[str, Any] = {}
    try:
        folds = [] if args.time_only else bench.split(args.folds, args.seed, work / "folds")
        _progress(f"{len(folds)} stratified folds of {args.nlu} (seed {args.seed}) in {work}")
        for number, name in enumerate(names):
            _progress(f"variant {number + 1}/{len(names)}: {name} {[_described(o) for o in VARIANTS[name]]}")
            result = bench.variant(configs[name], folds, args.repeats, work / name)
            results[name] = {"overrides": [_described(o) for o in VARIANTS[name]], **result}
            _progress(
                f"  {name}: train {result['train_seconds']} s{' (over budget)' if result['over_budget'] else ''}, "
                f"accuracy {result.get('accuracy')}, macro-F1 {result.get('macro_f1')}, "
                f"weighted-F1 {result.get('weighted_f1')}, routing {result.get('routing_intents')}"
            )
            write(
                results_name,
                {
                    "folds": 0 if args.time_only else args.folds,
                    "seed": args.seed,
                    "repeats": args.repeats,
                    "budget_seconds": BUDGET_SECONDS,
                    "config": _shown(args.config),
                    "nlu": _shown(args.nlu),
                    "seconds": round(time.perf_counter() - started, 1),
                    "variants": results,
                },
            )
    finally:
        if args.keep:
            _progress(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(table(results))
    return 0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # finished children only: Rasa is waited for
    return usage.ru_utime + usage.ru_stime


def _shown(path: Path) -> str:
    return os.path.relpath(path.resolve(), REPO) if path.resolve().is_relative_to(REPO) else str(path)


def _described(override: Override) -> dict[str, object]:
    return {
        "match": dict(override.match),
        **({"drop": True} if override.drop else {"changes": dict(override.changes or {})}),
    }


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"  # an intent the data does not have, or not scored


def table(results: Mapping[str, Mapping[str, Any]]) -> str:
    """The Markdown table docs/routing.md keeps."""
    short = {"report_safety_incident": "safety", "demand_compensation": "compensation", "request_human": "human"}
    heads = [short.get(label, label) for label in ROUTING_INTENTS]
    lines = [
        "| variant | `rasa train nlu` s | accuracy | macro-F1 | weighted-F1 | fallback | routed | needless handoffs | "
        + " | ".join(heads)
        + " |",
        "|---" * (8 + len(heads)) + "|",
    ]
    for name, r in results.items():
        seconds = f"{r['train_seconds']:.0f}" + (" (over budget)" if r["over_budget"] else "")
        scored = [r.get(key) for key in ("accuracy", "macro_f1", "weighted_f1")]  # none with --time-only
        figures = " | ".join("–" if value is None else f"{value:.3f}" for value in scored)
        fallback = "–" if r.get("fallback_rate") is None else f"{r['fallback_rate']:.1%}"
        figures += f" | {fallback} | " + ("–" if r.get("routed_accuracy") is None else f"{r['routed_accuracy']:.3f}")
        figures += f" | {r.get('needless_handoffs', '–')}"
        routing = " | ".join(_share((r.get("routing_intents") or {}).get(label)) for label in ROUTING_INTENTS)
        lines.append(f"| `{name}` | {seconds} | {figures} | {routing} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
