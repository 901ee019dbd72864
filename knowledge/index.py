"""Building, saving and loading the retriever's artifacts, with a manifest beside them.

Layout of an index directory: `entries.json` (the entries indexed), `vectors.faiss` (one vector per
phrasing), `fusion.json` (learned fusion weights) and `manifest.json` (model, dimension, counts,
checksum) written last, so a reader that sees a manifest sees a complete index.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from knowledge.calibration import Calibration
from knowledge.dense import DenseIndex
from knowledge.embedder import Embedder
from knowledge.entries import FaqEntry, entries_checksum
from knowledge.fusion import Features, FusionWeights, expand, fit_fusion
from knowledge.language import LANGUAGES, Language
from knowledge.retriever import HybridRetriever, Phrasings, SignalModel

MANIFEST = "manifest.json"
FUSION_FOLDS = 5
FUSION_CANDIDATES = 10
FUSION_MAX_QUERIES = 3000
SEED = 13

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Manifest:
    model: str
    dimension: int
    entries: int
    phrasings: int
    checksum: str
    built_at: float

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


class IndexUnavailable(RuntimeError):
    """An index directory that is missing or does not match its manifest."""


def _silent(_: str) -> None:
    return None


def build_retriever(
    entries: Sequence[FaqEntry],
    embedder: Embedder,
    calibration: Calibration | None = None,
    progress: Progress = _silent,
    dense_languages: Iterable[Language] = LANGUAGES,
    reuse_calibrated_fusion: bool = False,
) -> HybridRetriever:
    """Embed every phrasing, learn the fusion from held-out phrasings, assemble the retriever.

    With `reuse_calibrated_fusion`, fusion weights the calibration already holds are used as they are:
    serving prefers them anyway, and learning them again is most of a build's time (publishing from
    the console, `make`). Evaluation and calibration still learn them from the phrasings."""
    active = [e for e in entries if e.enabled]
    phrasings = Phrasings.of(active)
    progress(f"embedding {len(phrasings.texts)} phrasings of {len(active)} entries with {embedder.name}")
    started = time.perf_counter()
    vectors = embedder.encode(phrasings.texts) if phrasings.texts else np.zeros((0, embedder.dimension), np.float32)
    dense_for = frozenset(dense_languages)
    if reuse_calibrated_fusion and calibration is not None and calibration.fusion is not None:
        progress(f"embedded in {time.perf_counter() - started:.1f}s; using the calibrated fusion weights")
        fusion = calibration.fusion
    else:
        progress(f"embedded in {time.perf_counter() - started:.1f}s; learning the fusion ({FUSION_FOLDS} folds)")
        fusion = learn_fusion(len(active), phrasings, vectors, dense_for, progress)
    signals = SignalModel(len(active), phrasings, vectors)
    return HybridRetriever(active, embedder, signals, fusion, calibration, dense_for)


def learn_fusion(
    n_entries: int,
    phrasings: Phrasings,
    vectors: npt.NDArray[np.float32],
    dense_languages: frozenset[Language],
    progress: Progress = _silent,
) -> FusionWeights:
    rows = np.arange(len(phrasings.texts))
    rng = np.random.default_rng(SEED)
    held_out_pool = rng.choice(rows, FUSION_MAX_QUERIES, replace=False) if len(rows) > FUSION_MAX_QUERIES else rows
    folds = np.array_split(rng.permutation(held_out_pool), FUSION_FOLDS)
    samples: dict[Language, tuple[list[Features], list[npt.NDArray[np.bool_]]]] = {lang: ([], []) for lang in LANGUAGES}
    for number, fold in enumerate(folds, start=1):
        if len(fold) == 0:
            continue
        keep = np.setdiff1d(rows, fold)
        subset = Phrasings(
            [phrasings.texts[i] for i in keep],
            [phrasings.languages[i] for i in keep],
            phrasings.entry_of_row[keep],
        )
        if len(set(subset.entry_of_row.tolist())) < 2:
            continue
        model = SignalModel(n_entries, subset, vectors[keep])
        for row in fold:
            lang = phrasings.languages[row]
            vector = vectors[row] if lang in dense_languages else None
            features = model.features(phrasings.texts[row], vector, lang)
            # Candidates: the strongest by a plain sum, which is what the fused model must rank.
            candidates = np.argsort(-features.sum(axis=1))[:FUSION_CANDIDATES]
            samples[lang][0].append(expand(features)[candidates])
            samples[lang][1].append(candidates == phrasings.entry_of_row[row])
        progress(f"fusion fold {number}/{len(folds)} done")
    return fit_fusion(samples)


def save_index(retriever: HybridRetriever, directory: Path) -> Manifest:
    """Write the artifacts to a fresh sibling directory, then swap it in with a rename."""
    directory = directory.resolve()
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = directory.with_name(f".{directory.name}.staging-{os.getpid()}")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    entries_json = [e.model_dump(mode="json") for e in retriever.entries]
    (staging / "entries.json").write_text(json.dumps(entries_json, ensure_ascii=False, indent=1), encoding="utf-8")
    retriever.signals.dense.save(staging / "vectors.faiss")
    (staging / "fusion.json").write_text(json.dumps(retriever.learned_fusion.to_json(), indent=1), encoding="utf-8")
    manifest = Manifest(
        model=retriever.embedder.name,
        dimension=retriever.signals.dense.dimension,
        entries=len(retriever.entries),
        phrasings=len(retriever.signals.phrasings.texts),
        checksum=entries_checksum(retriever.entries),
        built_at=time.time(),
    )
    (staging / MANIFEST).write_text(json.dumps(manifest.to_json(), indent=1), encoding="utf-8")
    retired = directory.with_name(f".{directory.name}.retired-{os.getpid()}")
    if directory.exists():
        directory.rename(retired)
    staging.rename(directory)
    if retired.exists():
        shutil.rmtree(retired)
    return manifest


def read_manifest(directory: Path) -> Manifest:
    path = directory / MANIFEST
    if not path.exists():
        raise IndexUnavailable(f"no index at {directory} (run `python -m knowledge build`)")
    return Manifest(**json.loads(path.read_text(encoding="utf-8")))


def load_retriever(
    directory: Path,
    embedder: Embedder,
    calibration: Calibration | None = None,
    dense_languages: Iterable[Language] = LANGUAGES,
) -> HybridRetriever:
    """Load a built index; the BM25 index and the classifier are rebuilt (they take a second)."""
    manifest = read_manifest(directory)
    if manifest.model != embedder.name:
        # Queries embedded by another model than the phrasings would be compared in different spaces.
        raise IndexUnavailable(
            f"{directory} was built with {manifest.model}, this process embeds with {embedder.name}: "
            "rebuild the index (`python -m knowledge build`) or restart with the model it was built with"
        )
    entries = [FaqEntry.model_validate(raw) for raw in json.loads((directory / "entries.json").read_text("utf-8"))]
    if entries_checksum(entries) != manifest.checksum:
        raise IndexUnavailable(f"{directory}: entries do not match the manifest checksum")
    dense = DenseIndex.load(directory / "vectors.faiss")
    phrasings = Phrasings.of(entries)
    if dense.size != len(phrasings.texts):
        raise IndexUnavailable(f"{directory}: {dense.size} vectors for {len(phrasings.texts)} phrasings")
    fusion = FusionWeights.from_json(json.loads((directory / "fusion.json").read_text("utf-8")))
    vectors = np.zeros((0, dense.dimension), dtype=np.float32)
    signals = SignalModel(len(entries), phrasings, vectors, dense=dense)
    return HybridRetriever(entries, embedder, signals, fusion, calibration, dense_languages)
