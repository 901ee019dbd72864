"""The Rasa side of the NLU benchmarks (`bench.nlu`, `bench.nlu_pipelines`, `bench.routed_calibration`): runs
in `.venv-rasa` (`bench.nlu.RasaRun.python`), never imported by the app's environment.

`python -m bench.rasa_folds split NLU_DIR FOLDS SEED OUT` reads the NLU data with Rasa's own loader and
writes `OUT/fold-<i>/train.yml` (Rasa YAML, with the regexes, lookup tables and synonyms, as Rasa's
`generate_folds` keeps them) and `OUT/fold-<i>/test.jsonl` (text, gold intent). Rasa's own
`rasa test nlu --cross-validation` shuffles with an unseeded StratifiedKFold, so every pipeline variant
would be scored on different folds; a seed here gives them all the same ones.

`python -m bench.rasa_folds parse MODEL TEST OUT [MODEL TEST OUT …]` parses each test file with its
model in one process (TensorFlow is imported once) and writes one JSON line per text: the pipeline's
final intent and its confidence (`nlu_fallback` when the FallbackClassifier decided), its ranking, and
DIET's own top intent and confidence (the ranking without `nlu_fallback`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any


def split(nlu_dir: Path, folds: int, seed: int, out: Path) -> None:
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.model_selection import StratifiedKFold

    data = load_data(str(nlu_dir))
    examples = data.intent_examples
    intents = [example.get_full_intent() for example in examples]
    folding = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold, (train_index, test_index) in enumerate(folding.split(examples, intents)):
        directory = out / f"fold-{fold}"
        directory.mkdir(parents=True, exist_ok=True)
        train = TrainingData(
            training_examples=[examples[i] for i in train_index],
            entity_synonyms=data.entity_synonyms,
            regex_features=data.regex_features,
            lookup_tables=data.lookup_tables,
        )
        (directory / "train.yml").write_text(train.nlu_as_yaml(), encoding="utf-8")
        rows = [{"text": examples[i].get(TEXT), "gold": intents[i]} for i in test_index]
        (directory / "test.jsonl").write_text(
            "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
        )


async def parse(jobs: list[tuple[Path, Path, Path]]) -> None:
    import structlog
    from rasa.core.agent import Agent

    for model, test, out in jobs:
        agent = Agent.load(str(model))
        # Rasa's structlog would print every parse; only warnings matter here.
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
        lines = []
        for line in test.read_text(encoding="utf-8").splitlines():
            row: dict[str, Any] = json.loads(line)
            parsed = await agent.parse_message(row["text"])
            full = [
                {"name": i.get("name"), "confidence": float(i.get("confidence") or 0.0)}
                for i in parsed.get("intent_ranking") or []
            ]
            ranking = [i for i in full if i["name"] != "nlu_fallback"]
            top = ranking[0] if ranking else {"name": None, "confidence": 0.0}
            intent = parsed.get("intent") or {}
            row |= {
                "intent": intent.get("name"),
                "intent_confidence": float(intent.get("confidence") or 0.0),
                "ranking": full,
                "top": top.get("name"),
                "confidence": float(top.get("confidence") or 0.0),
            }
            lines.append(json.dumps(row, ensure_ascii=False) + "\n")
        out.write_text("".join(lines), encoding="utf-8")


def main(argv: list[str]) -> int:
    logging.disable(logging.WARNING)
    if len(argv) == 5 and argv[0] == "split":
        split(Path(argv[1]), int(argv[2]), int(argv[3]), Path(argv[4]))
        return 0
    if len(argv) > 1 and argv[0] == "parse" and len(argv[1:]) % 3 == 0:
        paths = [Path(a) for a in argv[1:]]
        asyncio.run(parse([(paths[i], paths[i + 1], paths[i + 2]) for i in range(0, len(paths), 3)]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
