"""The knowledge base's phrasings as examples of the NLU intent that routes to it
(`python -m knowledge nlu-examples`).

DIET learned "a question for the knowledge base" from ~200 hand-written examples while the knowledge
base holds ~1,750 phrasings; questions that mention hours, money, agents or complaints went to
greetings, handoffs and compensation (docs/e2e-evaluation.md). The phrasings are the hard negatives
those intents lack: "人工几点下班" is a knowledge-base question, not a request for a human. A phrasing
that is word for word an example of another intent is left out: that intent keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml

from knowledge.entries import FaqEntry
from knowledge.language import Language
from knowledge.text import normalise

FAQ_INTENT = "ask_faq"
# Phrasings per entry and language. Eight (1,389 examples) doubled the FAQ intent's lead so far that
# out-of-scope messages fell under the fallback threshold and incidents were answered, on the
# end-to-end dev set (docs/e2e-evaluation.md); three keeps the others heard.
PER_LANGUAGE = 3
# Chinese only: English phrasings (questions of every kind) taught DIET that an English question is
# one for the knowledge base, and out-of-scope ones stopped being declined (docs/e2e-evaluation.md).
LANGUAGES: tuple[Language, ...] = ("zh",)
# Complaints (P16) and safety (P17): their phrasings tell of the incident ("充电烫手怎么办") that, said
# as happening, is a handoff; DIET keeps those intents' examples to itself.
SKIPPED_SECTIONS = frozenset({"P16", "P17"})


def examples_in(nlu_files: Iterable[Path]) -> set[str]:
    """Every intent's examples in Rasa NLU files, normalised."""
    found: set[str] = set()
    for path in nlu_files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        blocks = data.get("nlu") if isinstance(data, dict) else None
        for block in blocks if isinstance(blocks, list) else []:
            examples = block.get("examples") if isinstance(block, dict) else None
            for line in examples.splitlines() if isinstance(examples, str) else []:
                text = line.strip().removeprefix("- ").strip()
                if text:
                    found.add(normalise(text))
    return found


def phrasings(
    entries: Sequence[FaqEntry],
    taken: set[str],
    per_language: int = PER_LANGUAGE,
    languages: Sequence[Language] = LANGUAGES,
) -> list[str]:
    """Up to `per_language` phrasings of each enabled entry in each of `languages`, in the files' order,
    none of them already an example (`taken`: of this intent, written by hand, or of another), none
    twice."""
    chosen: dict[str, str] = {}
    for entry in entries:
        if not entry.enabled or entry.section in SKIPPED_SECTIONS:
            continue
        for language, questions in entry.questions.items():
            if language not in languages:
                continue
            kept = 0
            for question in questions:
                key = normalise(question)
                if kept == per_language or key in taken or key in chosen:
                    continue
                chosen[key] = question
                kept += 1
    return list(chosen.values())


def nlu_file(examples: Sequence[str]) -> str:
    """Rasa 3 NLU YAML with the examples under the FAQ intent."""
    lines = [
        "# Written by `python -m knowledge nlu-examples`: the FAQ seed files' phrasings as examples of",
        f"# {FAQ_INTENT} (knowledge/nlu_examples.py). Do not edit by hand; run it again after the seed",
        "# files or the other NLU files change.",
        'version: "3.1"',
        "nlu:",
        f"- intent: {FAQ_INTENT}",
        "  examples: |",
    ]
    # Rasa reads "- text" lines; a phrasing's own line breaks or a leading "- " would change it.
    lines += [f"    - {' '.join(example.split())}" for example in examples]
    return "\n".join(lines) + "\n"
