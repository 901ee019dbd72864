"""Retrieval at scale: build time, memory and query latency for synthetic knowledge bases.

`python -m bench.retrieval [--sizes 100,1000,10000,100000] [--queries 300]`

Each size runs in a fresh process (so the RSS growth is the retriever's alone): a bilingual
after-sales knowledge base of that many entries is generated from templates × products × models,
built as `python -m knowledge build` builds (embedding the phrasings, calibrated fusion), then asked
distinct questions — paraphrases and perturbations of the entries' phrasings, plus unrelated ones.
Latency is measured with the query embedding included and excluded (the time of everything but
`embedder.encode`), for English and Chinese separately; Chinese skips the embedding by default
(`dense_languages`). Figures go to bench/results/retrieval.json, plots to docs/benchmarks/.

Embedding the phrasings is most of a build (about 30 phrasings a second on a busy 2-core machine):
`--vector-cache DIR` keeps them between runs (the model time they took is still reported), and
`--proxy-vectors-from N` embeds, from size N on, each phrasing without its model code once (a
100k-entry base then builds in minutes; its build time excludes the embedding it did not do).
`--threads 1` sets OMP_NUM_THREADS for torch, FAISS and BLAS in each size's process.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import multiprocessing
import os
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from bench.results import RESULTS, percentile, write
from bench.synthetic_kb import LETTERS, PHRASINGS_PER_LANGUAGE, SEED, synthetic_knowledge_base, synthetic_queries
from knowledge.embedder import Embedder, Vectors
from knowledge.language import Language

WARM_UP = 20


class BenchEmbedder:
    """The real embedder, counting the time spent in the model.

    Phrasings of languages outside `dense_languages` get zero vectors without the model: no query
    of theirs is ever embedded, and the offline MiniLM cannot read them anyway. An optional cache of
    phrasing vectors (`--vector-cache`) spares re-embedding a big knowledge base between runs; it is
    off while queries are timed."""

    def __init__(
        self,
        inner: Embedder,
        skip: frozenset[str],
        cache: dict[str, Vectors] | None = None,
        proxy: Callable[[str], str] | None = None,
    ) -> None:
        self.inner = inner
        self.skip = skip
        self.cache = cache
        self.proxy = proxy
        self.seconds = 0.0
        self.embedded = 0
        self.cached = 0

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        if self.proxy is not None:
            keys = [t if t in self.skip else self.proxy(t) for t in texts]
            unique = sorted(set(keys) - self.skip)
            started = time.perf_counter()
            proxy = self.inner.encode(unique) if unique else np.zeros((0, self.dimension), np.float32)
            self.seconds += time.perf_counter() - started
            self.embedded += len(unique)
            row = {key: i for i, key in enumerate(unique)}
            out = np.zeros((len(texts), self.dimension), dtype=np.float32)
            for i, key in enumerate(keys):
                if key in row:
                    out[i] = proxy[row[key]]
            return out
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        cache = self.cache if self.cache is not None else {}
        todo = [i for i, t in enumerate(texts) if t not in self.skip and t not in cache]
        for i, text in enumerate(texts):
            if text in cache and text not in self.skip:
                out[i] = cache[text]
                self.cached += 1
        if todo:
            started = time.perf_counter()
            vectors = self.inner.encode([texts[i] for i in todo])
            self.seconds += time.perf_counter() - started
            self.embedded += len(todo)
            out[todo] = vectors
            if self.cache is not None:
                self.cache.update({texts[i]: vectors[row] for row, i in enumerate(todo)})
        return out


_MODEL_CODE = re.compile(rf"\b[{LETTERS}]\d+ ?")


def without_model(text: str) -> str:
    """A phrasing with its model code taken out: the vector of "the R7 rice cooker" stands in for
    every model's, for knowledge bases too big to embed in a benchmark run (`--proxy-vectors-from`)."""
    return _MODEL_CODE.sub("", text)


def _cache_path(directory: Path, size: int, seed: int, model: str) -> Path:
    digest = hashlib.sha256(f"{model}|{size}|{seed}|{PHRASINGS_PER_LANGUAGE}".encode()).hexdigest()[:16]
    return directory / f"phrasings-{size}-{digest}.npz"


def _load_cache(path: Path) -> tuple[dict[str, Vectors], float]:
    """The cached vectors and the model time it took to compute them."""
    if not path.exists():
        return {}, 0.0
    data = np.load(path)
    return dict(zip(data["texts"].tolist(), data["vectors"], strict=True)), float(data["seconds"])


def _save_cache(path: Path, cache: dict[str, Vectors], seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    texts = list(cache)
    np.savez(path, texts=np.asarray(texts), vectors=np.stack([cache[t] for t in texts]), seconds=seconds)


def _rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def _summary(values: Sequence[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(values), 2), "p95": round(percentile(list(values), 95), 2)}


def measure(
    size: int,
    n_queries: int,
    seed: int,
    vector_cache: Path | None = None,
    learn_fusion: bool = False,
    proxy_vectors: bool = False,
) -> dict[str, Any]:
    """One knowledge base size, in a process of its own."""
    from knowledge.calibration import Calibration, load_calibration
    from knowledge.embedder import SentenceTransformerEmbedder
    from knowledge.index import build_retriever
    from knowledge.settings import get_settings

    def progress(message: str) -> None:
        print(f"[bench {size}] {message}", file=sys.stderr, flush=True)

    settings = get_settings()
    # Built as `python -m knowledge build` and publishing do: with the calibrated fusion weights.
    # Learning them from the phrasings (`--learn-fusion`, what evaluation does) is a build per fold.
    calibration = load_calibration(settings.calibration_file)
    if learn_fusion:
        calibration = Calibration(calibration.thresholds)
    progress("generating entries and questions")
    kb = synthetic_knowledge_base(size, seed)
    entries = [item.entry for item in kb]
    queries = synthetic_queries(kb, n_queries + WARM_UP, seed)
    model = SentenceTransformerEmbedder(settings.model_in_use())
    skip = frozenset(t for e in entries for lang, t in e.phrasings() if lang not in settings.dense_languages)
    embedder = BenchEmbedder(model, skip)
    proxy = without_model if proxy_vectors else None
    # Load the model and every library first, so that the RSS growth below is the retriever's.
    small = build_retriever(entries[:20], embedder, calibration, dense_languages=settings.dense_languages)
    small.search("warm up", "en")
    small.search("预热一下", "zh")
    del small
    gc.collect()
    baseline = _rss_mb()
    cache_path = _cache_path(vector_cache, size, seed, model.name) if vector_cache and not proxy_vectors else None
    cache, cached_seconds = _load_cache(cache_path) if cache_path else (None, 0.0)
    loaded = len(cache or {})
    embedder.cache = cache
    embedder.proxy = proxy
    embedder.seconds, embedder.embedded, embedder.cached = 0.0, 0, 0
    started = time.perf_counter()
    retriever = build_retriever(
        entries, embedder, calibration, progress, settings.dense_languages, reuse_calibrated_fusion=True
    )
    build_s = time.perf_counter() - started
    embedding_s = embedder.seconds
    embedded, cached = embedder.embedded, embedder.cached
    if cache_path and cache is not None and embedded:
        _save_cache(cache_path, cache, cached_seconds + embedding_s)
    # Vectors from the cache count with the model time it took to compute them.
    if loaded:
        recorded_s = cached_seconds * cached / loaded
        progress(f"{cached} phrasing vectors from the cache, computed in {recorded_s:.0f}s of model time")
        embedding_s += recorded_s
        build_s += recorded_s
    embedder.cache, embedder.proxy = None, None  # every query is embedded by the model, as it is
    del cache
    gc.collect()
    grown = _rss_mb() - baseline
    progress(f"built in {build_s:.1f}s (embedding {embedding_s:.1f}s), RSS +{grown:.0f} MB; querying")
    for query in queries[:WARM_UP]:
        retriever.search(query.text, query.language)
    with_embedding: dict[Language, list[float]] = {"en": [], "zh": []}
    without_embedding: dict[Language, list[float]] = {"en": [], "zh": []}
    right: dict[Language, list[bool]] = {"en": [], "zh": []}
    abstained: dict[Language, list[bool]] = {"en": [], "zh": []}
    for query in queries[WARM_UP:]:
        embedder.seconds = 0.0
        started = time.perf_counter()
        result = retriever.search(query.text, query.language)
        elapsed = time.perf_counter() - started
        with_embedding[query.language].append(elapsed * 1000)
        without_embedding[query.language].append((elapsed - embedder.seconds) * 1000)
        if query.expected is None:
            abstained[query.language].append(result.decision.value == "abstain")
        else:
            right[query.language].append(result.top is not None and result.top.entry.id == query.expected)
    dense = retriever.signals.dense
    return {
        "entries": size,
        "phrasings": len(retriever.signals.phrasings.texts),
        "queries": {lang: len(v) for lang, v in with_embedding.items()},
        "build_s": {
            "total": round(build_s, 1),
            "embedding": round(embedding_s, 1),
            "rest": round(build_s - embedding_s, 1),
            "texts_embedded": embedded,
            "texts_from_vector_cache": cached,
            "phrasing_vectors": "proxy: one per phrasing without its model code" if proxy_vectors else "model",
        },
        "memory_mb": {
            "rss_growth": round(grown, 1),
            "faiss_index": round(dense.nbytes / 2**20, 1),
            "faiss_index_kind": dense.kind,
            "peak_rss": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        },
        "search_ms_with_embedding": {lang: _summary(v) for lang, v in with_embedding.items() if v},
        "search_ms_without_embedding": {lang: _summary(v) for lang, v in without_embedding.items() if v},
        "top1_in_scope": {lang: round(sum(v) / len(v), 3) for lang, v in right.items() if v},
        "abstained_out_of_scope": {lang: round(sum(v) / len(v), 3) for lang, v in abstained.items() if v},
    }


def _plots(rows: Sequence[dict[str, Any]]) -> None:
    from bench.plots import line_plot

    sizes = [row["entries"] for row in rows]

    def series(key: str, lang: str, stat: str) -> list[float]:
        return [row[key][lang][stat] for row in rows]

    latency = {
        f"{lang} {stat}{label}": series(key, lang, stat)
        for lang in ("en", "zh")
        for key, label in (("search_ms_with_embedding", ""), ("search_ms_without_embedding", " w/o embedding"))
        for stat in ("p50", "p95")
        if lang == "en" or key == "search_ms_with_embedding"  # Chinese is never embedded by default
    }
    line_plot("retrieval-latency", "Query latency", sizes, latency, "entries", "ms", log_x=True, log_y=True)
    memory = {
        "RSS growth": [row["memory_mb"]["rss_growth"] for row in rows],
        "FAISS index": [row["memory_mb"]["faiss_index"] for row in rows],
    }
    line_plot("retrieval-memory", "Retriever memory", sizes, memory, "entries", "MB", log_x=True, log_y=True)
    build = {part: [row["build_s"][part] for row in rows] for part in ("total", "embedding", "rest")}
    line_plot("retrieval-build", "Index build time", sizes, build, "entries", "s", log_x=True, log_y=True)


def markdown_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """One line per size (also what docs/benchmarks.md shows)."""
    lines = [
        "| entries | build s (embedding + rest) | RSS growth MB | FAISS MB | en p50/p95 ms | en without embedding"
        " | zh p50/p95 ms (not embedded) | top-1 en/zh | out-of-scope abstained en/zh |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        w, wo = row["search_ms_with_embedding"], row["search_ms_without_embedding"]
        memory, oos = row["memory_mb"], row["abstained_out_of_scope"]
        lines.append(
            f"| {row['entries']:,} | {row['build_s']['total']} ({row['build_s']['embedding']} + {row['build_s']['rest']})"
            f" | {memory['rss_growth']} | {memory['faiss_index']} ({memory.get('faiss_index_kind', '?')})"
            f" | {w['en']['p50']}/{w['en']['p95']} | {wo['en']['p50']}/{wo['en']['p95']}"
            f" | {w['zh']['p50']}/{w['zh']['p95']} | {row['top1_in_scope']['en']}/{row['top1_in_scope']['zh']}"
            f" | {oos['en']}/{oos['zh']} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.retrieval", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000,100000", help="entry counts, comma-separated")
    parser.add_argument("--queries", type=int, default=300, help="timed questions per size (half of each language)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--vector-cache", type=Path, help="keep phrasing vectors here between runs (build time then excludes them)"
    )
    parser.add_argument(
        "--proxy-vectors-from",
        type=int,
        default=0,
        help="from this size on, embed each phrasing without its model code once (build time then excludes embedding)",
    )
    parser.add_argument(
        "--threads", type=int, help="OMP_NUM_THREADS for each size's process (torch, FAISS, BLAS); default: as set"
    )
    parser.add_argument("--learn-fusion", action="store_true", help="learn the fusion from the phrasings (5 folds)")
    parser.add_argument("--replot", action="store_true", help="only redraw the plots from bench/results/retrieval.json")
    args = parser.parse_args(argv)
    if args.replot:
        _plots(json.loads((RESULTS / "retrieval.json").read_text(encoding="utf-8"))["sizes"])
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.threads:
        # Inherited by the spawned processes before torch, FAISS or BLAS read it.
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    rows = []
    for size in sizes:
        # A fresh process per size: RSS growth must not include an earlier size's leftovers.
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            rows.append(
                pool.submit(
                    measure,
                    size,
                    args.queries,
                    args.seed,
                    args.vector_cache,
                    args.learn_fusion,
                    bool(args.proxy_vectors_from) and size >= args.proxy_vectors_from,
                ).result()
            )
        print(markdown_table(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    from knowledge.settings import get_settings

    write(
        "retrieval",
        {
            "command": "python -m bench.retrieval " + " ".join(sys.argv[1:] if argv is None else argv),
            "phrasings_per_entry": {"en": PHRASINGS_PER_LANGUAGE, "zh": PHRASINGS_PER_LANGUAGE},
            "dense_languages": sorted(get_settings().dense_languages),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset"),
            "fusion": "learned from the phrasings" if args.learn_fusion else "calibrated (knowledge/calibration.yml)",
            "sizes": rows,
        },
    )
    _plots(rows)
    print(markdown_table(rows), file=sys.stderr)


if __name__ == "__main__":
    main()
