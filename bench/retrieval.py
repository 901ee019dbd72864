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
    retriever = load_retriever(settings.index_dir, embedder, load_calibration(settings.calibration_file))
    questions = [q.text for q in load_dev_set(settings.dev_set)]
    for text in questions[:20]:  # warm-up: model, jieba, caches
        retriever.search(text)
    total: list[float] = []
    embedding: list[float] = []
    for _ in range(ROUNDS):
        for text in questions:
            started = time.perf_counter()
            embedder.encode([text])
            embedding.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            retriever.search(text)
            total.append((time.perf_counter() - started) * 1000)
    manifest = read_manifest(settings.index_dir)
    write(
        "retrieval",
        {
            "entries": manifest.entries,
            "phrasings": manifest.phrasings,
            "queries": len(total),
            "search_ms": {"p50": round(statistics.median(total), 2), "p95": round(percentile(total, 95), 2)},
            "embedding_only_ms": {"p50": round(statistics.median(embedding), 2)},
        },
    )


if __name__ == "__main__":
    main()
