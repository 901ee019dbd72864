"""Adapting the embedding model to a knowledge base: contrastive fine-tuning on its own phrasings.

Two phrasings of the same entry are a positive pair; every other pair in the batch is a negative
(sentence-transformers' MultipleNegativesRankingLoss, the in-batch-negatives loss SetFit-style
adaptation uses). Batches are dealt so that no two pairs of one entry share a batch: a same-entry
pair counted as a negative would teach the model the opposite of what we want.

The loop is a plain PyTorch one over the library's model and loss: the library's Trainer needs
`datasets` and `accelerate` (pyarrow, pandas…) for what is here forty lines.

Reproducible: one seed fixes the pairs, the batches, the dropout and the initialisation order; on
the CPU with the same thread count, two runs give the same weights.

An adapted model is a directory (`KnowledgeSettings.adapted_model_dir`, beside the index) holding
the sentence-transformers model and `adaptation.json` (its manifest), written to a staging
directory and renamed into place, so readers see a complete model or none.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.entries import FaqEntry, entries_checksum
from knowledge.language import Language

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MANIFEST = "adaptation.json"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class AdaptationConfig:
    """`rounds`: how many times each phrasing is an anchor; `max_pairs` caps large data sets."""

    rounds: int = 4
    batch_size: int = 32
    learning_rate: float = 3e-5
    warmup: float = 0.1
    scale: float = 20.0  # the loss's inverse temperature (the library's default)
    max_pairs: int = 40_000
    seed: int = 13


@dataclass(frozen=True)
class AdaptationManifest:
    name: str
    base_model: str
    config: dict[str, Any]
    labels: int
    texts: int
    pairs: int
    steps: int
    checksum: str
    seconds: float
    created_at: float
    torch: str
    sentence_transformers: str


class AdaptationError(ValueError):
    """Training data that cannot adapt a model (fewer than two labels with two phrasings)."""


def _silent(_: str) -> None:
    return None


def groups_of_entries(entries: Sequence[FaqEntry], languages: Sequence[Language]) -> dict[str, list[str]]:
    """Each enabled entry's phrasings in the languages the model understands (the others would be
    mostly unknown tokens to it and teach nothing)."""
    return {e.id: [text for lang, text in e.phrasings() if lang in languages] for e in entries if e.enabled}


def training_pairs(groups: Mapping[str, Sequence[str]], config: AdaptationConfig) -> list[tuple[str, str, str]]:
    """(label, anchor, positive) triples: every phrasing `rounds` times as an anchor, with another
    phrasing of its label as the positive; labels with a single phrasing give none."""
    rng = random.Random(config.seed)
    pairs: list[tuple[str, str, str]] = []
    for _ in range(config.rounds):
        for label, texts in groups.items():
            distinct = list(dict.fromkeys(texts))
            if len(distinct) < 2:
                continue
            for position, anchor in enumerate(distinct):
                other = rng.randrange(len(distinct) - 1)
                positive = distinct[other if other < position else other + 1]
                pairs.append((label, anchor, positive))
    rng.shuffle(pairs)
    return pairs[: config.max_pairs]


def label_distinct_batches(pairs: Sequence[tuple[str, str, str]], batch_size: int) -> list[list[tuple[str, str]]]:
    """Pairs dealt in order to the first open batch without their label, so that in-batch negatives
    are always other labels. A batch closes at `batch_size` pairs, or at the number of labels when
    there are fewer; batches of fewer than two pairs (nothing to contrast) are dropped."""
    size = min(batch_size, len({label for label, _, _ in pairs}))
    open_batches: list[tuple[set[str], list[tuple[str, str]]]] = []
    closed: list[list[tuple[str, str]]] = []
    for label, anchor, positive in pairs:
        target = next((batch for batch in open_batches if label not in batch[0]), None)
        if target is None:
            target = (set(), [])
            open_batches.append(target)
        target[0].add(label)
        target[1].append((anchor, positive))
        if len(target[1]) >= size:
            open_batches.remove(target)
            closed.append(target[1])
    return closed + [batch for _, batch in open_batches if len(batch) >= 2]


def fine_tune(
    base_model: str,
    groups: Mapping[str, Sequence[str]],
    config: AdaptationConfig = AdaptationConfig(),
    progress: Progress = _silent,
    show_progress: bool = False,
) -> tuple[SentenceTransformer, dict[str, int]]:
    """The base model fine-tuned on `groups` (label → phrasings), in memory, and the data counts."""
    pairs = training_pairs(groups, config)
    usable = sum(1 for texts in groups.values() if len(set(texts)) >= 2)
    if usable < 2:
        raise AdaptationError(f"adaptation needs two labels with two phrasings each, found {usable}")
    batches = label_distinct_batches(pairs, config.batch_size)
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    _seed_everything(config.seed)
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    model = SentenceTransformer(base_model, device="cpu", local_files_only=True)
    loss = MultipleNegativesRankingLoss(model, scale=config.scale)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    warmup = max(1, math.ceil(config.warmup * len(batches)))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / warmup, max(0.0, (len(batches) - step) / max(1, len(batches) - warmup))),
    )
    progress(
        f"fine-tuning {base_model} on {len(pairs)} pairs of {usable} labels: {len(batches)} steps "
        f"(batch ≤ {config.batch_size}, seed {config.seed})"
    )
    model.train()
    # A bar on a terminal; otherwise (logs, CI) a line every tenth of the way.
    every = max(1, len(batches) // 10)
    for step, batch in enumerate(_progress_bar(batches, show_progress), start=1):
        anchors = [anchor for anchor, _ in batch]
        positives = [positive for _, positive in batch]
        value = loss([model.preprocess(anchors), model.preprocess(positives)], torch.empty(0))
        value.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        if not show_progress and (step % every == 0 or step == len(batches)):
            progress(f"adapting: step {step}/{len(batches)}, loss {value.item():.3f}")
    model.eval()
    texts = len({text for group in groups.values() for text in group})
    return model, {"labels": usable, "texts": texts, "pairs": len(pairs), "steps": len(batches)}


def adapt_entries(
    entries: Sequence[FaqEntry],
    languages: Sequence[Language],
    base_model: str,
    base_name: str,
    out_dir: Path,
    config: AdaptationConfig = AdaptationConfig(),
    progress: Progress = _silent,
    show_progress: bool = False,
) -> AdaptationManifest:
    """Fine-tune on the knowledge base's phrasings and save the model with its manifest in `out_dir`."""
    started = time.perf_counter()
    model, counts = fine_tune(base_model, groups_of_entries(entries, languages), config, progress, show_progress)
    import sentence_transformers
    import torch

    checksum = entries_checksum([e for e in entries if e.enabled])
    manifest = AdaptationManifest(
        name=f"{base_name} adapted to {checksum[:12]} (seed {config.seed})",
        base_model=base_name,
        config=asdict(config),
        checksum=checksum,
        seconds=round(time.perf_counter() - started, 1),
        created_at=time.time(),
        torch=torch.__version__,
        sentence_transformers=sentence_transformers.__version__,
        **counts,
    )
    save_adapted(model, manifest, out_dir)
    return manifest


def save_adapted(model: SentenceTransformer, manifest: AdaptationManifest, directory: Path) -> None:
    """Model and manifest into a staging sibling, then renamed into place (the manifest last)."""
    directory = directory.resolve()
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = directory.with_name(f".{directory.name}.staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    model.save(str(staging))
    (staging / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1), encoding="utf-8")
    retired = directory.with_name(f".{directory.name}.retired-{os.getpid()}")
    if directory.exists():
        directory.rename(retired)
    staging.rename(directory)
    shutil.rmtree(retired, ignore_errors=True)


def read_adaptation(directory: Path) -> AdaptationManifest | None:
    """The manifest of an adapted model directory, or None when there is no (complete) one."""
    path = directory / MANIFEST
    if not path.is_file():
        return None
    return AdaptationManifest(**json.loads(path.read_text(encoding="utf-8")))


def _seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _progress_bar(batches: list[list[tuple[str, str]]], show: bool) -> Sequence[list[tuple[str, str]]]:
    if not show:
        return batches
    from tqdm import tqdm

    return tqdm(batches, desc="adapting", file=sys.stderr, unit="step", mininterval=1.0)  # type: ignore[no-any-return]
