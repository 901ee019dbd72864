"""FAQ retrieval on StackFAQ-style data with the product's own retriever: MAP, MRR, P@1, P@5.

The file (TakeLab StackFAQ, `stackExchange-FAQ.json`) is `{"root": {"qapair": [thread, ...]}}`;
each thread has `question` (the original StackExchange question title), `answer` (a list of its top
answers, or one string) and `rephr` (user rephrasings of the information need).

Indexing: one knowledge-base entry per thread. Its phrasings are the `question` and, with the
`answer` field selected (`fields`), each answer as a further phrasing; the entry's answer is the
first answer. The rephrasings are the queries and are never indexed: they are not among the fields
that can be selected, and any rephrasing that happens to equal an indexed phrasing is reported
(`leaked_queries`). Rephrasings without a word character (the file has a `*` placeholder in every
thread) are skipped.

Relevance: a query's one relevant document is the entry of its own thread; every other entry is
irrelevant. With one relevant document per query, average precision is the reciprocal rank, so MAP
equals MRR here; P@k is the share of queries whose thread is among the top k hits (precision of a
top-k list with one relevant item would divide by k, which we do not: we report the success rate,
as FAQ-retrieval papers do for P@1). Every entry is ranked (`k` = number of threads).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge.calibration import Calibration
from knowledge.datasets import DatasetError
from knowledge.entries import FaqEntry
from knowledge.index import build_retriever
from knowledge.intent_eval import CachingEmbedder, IntentRun, progress_bar
from knowledge.text import normalise

FIELDS = ("question", "answer")
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Thread:
    question: str
    answers: list[str]
    rephrasings: list[str]


def read_stackfaq(path: Path) -> list[Thread]:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DatasetError(f"{path}: cannot read as JSON ({error})") from error
    root = document.get("root") if isinstance(document, dict) else None
    pairs = root.get("qapair") if isinstance(root, dict) else None
    if not isinstance(pairs, list) or not pairs:
        raise DatasetError(f"{path}: expected a StackFAQ file: {{'root': {{'qapair': [...]}}}}")
    threads = []
    for position, pair in enumerate(pairs):
        if not isinstance(pair, dict) or not isinstance(pair.get("question"), str):
            raise DatasetError(f"{path}: qapair {position} has no 'question' string")
        answers, rephrasings = _strings(pair.get("answer")), _strings(pair.get("rephr"))
        if not answers:
            raise DatasetError(f"{path}: qapair {position} has no 'answer'")
        rephrasings = [r for r in rephrasings if _WORD.search(r)]
        threads.append(Thread(pair["question"].strip(), answers, rephrasings))
    return threads


def _strings(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


def thread_entries(threads: Sequence[Thread], fields: Sequence[str] = FIELDS) -> list[FaqEntry]:
    unknown = set(fields) - set(FIELDS)
    if unknown or not fields:
        raise ValueError(f"fields must be among {', '.join(FIELDS)}; got {', '.join(fields) or 'none'}")
    entries = []
    for number, thread in enumerate(threads):
        phrasings = ([thread.question] if "question" in fields else []) + (thread.answers if "answer" in fields else [])
        entries.append(
            FaqEntry(
                id=f"thread-{number:04d}",
                category="stackfaq",
                questions={"en": phrasings},
                answer={"en": thread.answers[0]},
            )
        )
    return entries


def evaluate_faq(threads: Sequence[Thread], run: IntentRun, fields: Sequence[str] = FIELDS) -> dict[str, object]:
    """MAP, MRR, P@1, P@5 of the rephrasings against the threads (see the module doc)."""
    started = time.perf_counter()
    entries = thread_entries(threads, fields)
    embedder = run.embedder if isinstance(run.embedder, CachingEmbedder) else CachingEmbedder(run.embedder)
    indexed = {normalise(text) for e in entries for _, text in e.phrasings()}
    queries = [(r, e.id) for thread, e in zip(threads, entries, strict=True) for r in thread.rephrasings]
    if not queries:
        raise DatasetError("no rephrasings to query")
    leaked = sum(1 for r, _ in queries if normalise(r) in indexed)
    run.progress(f"embedding {len(queries)} rephrasings and the phrasings of {len(entries)} threads")
    embedder.prefetch([r for r, _ in queries] + [t for e in entries for _, t in e.phrasings()])
    calibration = Calibration(dict(run.calibration.thresholds))
    retriever = build_retriever(entries, embedder, calibration, run.progress, run.dense_languages)
    ranks: list[int | None] = []
    for text, relevant in progress_bar(queries, "querying", run.show_progress):
        ids = [hit.entry.id for hit in retriever.search(text, "en", k=len(entries)).hits]
        ranks.append(ids.index(relevant) + 1 if relevant in ids else None)
    reciprocal = [1.0 / r if r else 0.0 for r in ranks]
    mean_rr = sum(reciprocal) / len(ranks)
    return {
        "fields": list(fields),
        "map": round(mean_rr, 4),
        "mrr": round(mean_rr, 4),
        "p_at_1": round(sum(1 for r in ranks if r == 1) / len(ranks), 4),
        "p_at_5": round(sum(1 for r in ranks if r is not None and r <= 5) / len(ranks), 4),
        "n_threads": len(entries),
        "n_queries": len(queries),
        "leaked_queries": leaked,
        "embedder": embedder.name,
        "seconds": round(time.perf_counter() - started, 1),
    }
