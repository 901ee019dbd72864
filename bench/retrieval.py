"""Retrieval latency, query to ranked hits, on the demo knowledge base: `python -m bench.retrieval`.

Queries are the development set's questions; the index is the built one (`var/index`).
"""

from __future__ import annotations

import statistics
import time

from bench.results import percentile, write
from knowledge.calibration import load_calibration
from knowledge.embedder import SentenceTransformerEmbedder
from knowledge.evaluation import load_dev_set
from knowledge.index import load_retriever, read_manifest
from knowledge.settings import get_settings

ROUNDS = 3


def main() -> None:
    settings = get_settings()
    embedder = SentenceTransformerEmbedder(settings.embedding_model or None)
    calibration = load_calibration(settings.calibration_file)
    retriever = load_retriever(settings.index_dir, embedder, calibration, settings.dense_languages)
    questions = load_dev_set(settings.dev_set)
    for question in questions[:20]:  # warm-up: model, jieba, caches
        retriever.search(question.text, question.language)
    total: list[float] = []
    by_language: dict[str, list[float]] = {"zh": [], "en": []}
    embedding: list[float] = []
    for _ in range(ROUNDS):
        for question in questions:
            started = time.perf_counter()
            embedder.encode([question.text])
            embedding.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            retriever.search(question.text, question.language)
            elapsed = (time.perf_counter() - started) * 1000
            total.append(elapsed)
            by_language[question.language].append(elapsed)
    manifest = read_manifest(settings.index_dir)
    write(
        "retrieval",
        {
            "entries": manifest.entries,
            "phrasings": manifest.phrasings,
            "queries": len(total),
            "dense_languages": sorted(settings.dense_languages),
            "search_ms": {"p50": round(statistics.median(total), 2), "p95": round(percentile(total, 95), 2)},
            "search_ms_by_language": {
                lang: {"p50": round(statistics.median(v), 2), "p95": round(percentile(v, 95), 2)}
                for lang, v in by_language.items()
            },
            "embedding_only_ms": {"p50": round(statistics.median(embedding), 2)},
        },
    )


if __name__ == "__main__":
    main()
