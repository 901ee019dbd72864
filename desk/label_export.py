"""Question labels written as training data: the retriever's development-set format, read by
`python -m knowledge calibrate --extra-dev`, and Rasa NLU YAML, which `rasa train` reads from bot/nlu.

In the NLU file a question labelled with an entry is an example of the intent that sends a message
to the knowledge base, one labelled out of scope an example of `out_of_scope`: Rasa only decides
what kind of message arrived, the retriever which entry answers it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import yaml

from desk.message_text import is_command
from desk.question_labels import LabelView, normalised
from knowledge.nlu_examples import FAQ_INTENT
from knowledge.text import normalise

# bot/nlu/out_of_scope.yml (the FAQ intent is knowledge.nlu_examples'; its rule runs action_answer_faq).
OUT_OF_SCOPE_INTENT = "out_of_scope"
RASA_FORMAT_VERSION = "3.1"
# Rasa reads "[words](entity)" and "[words]{...}" in an example as an entity annotation.
_ANNOTATION = re.compile(r"\[[^\]]*\]\s*[({]")


def dev_yaml(labels: Sequence[LabelView]) -> str:
    """`questions: [{text, language, expected}]`, as knowledge/eval/dev.yml (`expected: null`: out of scope)."""
    questions = [{"text": normalised(x.text), "language": x.language, "expected": x.expected} for x in labels]
    header = (
        "# Questions labelled in the console (`python -m desk export-labels --format dev`): `expected` is the\n"
        "# FAQ entry that answers the question, null when it is out of scope. Label again in the console\n"
        "# rather than editing this file.\n"
    )
    return header + yaml.safe_dump({"questions": questions}, allow_unicode=True, sort_keys=False, width=1000)


@dataclass(frozen=True)
class NluExport:
    text: str
    examples: dict[str, int]  # per intent
    skipped: int  # already an example in the other NLU files, or unreadable as one


def nlu_yaml(labels: Sequence[LabelView], known: Iterable[str] = ()) -> NluExport:
    """The labels as examples of `ask_faq` and `out_of_scope`. An example already in the other NLU
    files is left out: Rasa's data validation refuses one example under two intents, and the same
    one twice adds nothing."""
    by_intent: dict[str, list[str]] = {FAQ_INTENT: [], OUT_OF_SCOPE_INTENT: []}
    seen = set(known)
    skipped = 0
    for label in labels:
        text = normalised(label.text)
        key = _key(text)
        if key in seen or not _usable(text):
            skipped += 1
            continue
        seen.add(key)
        by_intent[OUT_OF_SCOPE_INTENT if label.out_of_scope else FAQ_INTENT].append(text)
    lines = [
        "# Questions labelled in the console (`python -m desk export-labels --format nlu`): those answered by",
        f"# a knowledge-base entry are examples of {FAQ_INTENT}, those out of scope of {OUT_OF_SCOPE_INTENT}.",
        "# Label again in the console rather than editing this file.",
        f'version: "{RASA_FORMAT_VERSION}"',
        "",
        "nlu:" if any(by_intent.values()) else "nlu: []",
    ]
    for intent, examples in by_intent.items():
        if examples:
            lines += [f"- intent: {intent}", "  examples: |", *(f"    - {text}" for text in examples)]
    return NluExport("\n".join(lines) + "\n", {k: len(v) for k, v in by_intent.items()}, skipped)


def _key(text: str) -> str:
    return normalise(text)  # as knowledge.nlu_examples.examples_in keys the other files' examples


def _usable(text: str) -> bool:
    """Whether Rasa reads the text back as the same plain example: one printable line (YAML's block
    scalar takes nothing else), no entity markup, not an intent command."""
    return text.isprintable() and bool(text) and not _ANNOTATION.search(text) and not is_command(text)
