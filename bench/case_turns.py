"""Eligibility case turns against FAQ answers, side by side: what deciding a customer's case costs
compared with an ordinary question (`python -m bench.case_turns [--rounds N]`).

Starts Rasa and the app (`bench.system.System`, built-in order store) and, round after round, one at
a time, each in a new conversation:
- an FAQ turn: a knowledge-base question (bench/lookups.py's questions, timed);
- a decided case: one message with every fact the case needs ("机器人充不进电了，还在保修期吗，买了14个月"),
  decided at once (timed as the "decided" turn);
- an asked case: a message without the delivery date (the form starts and asks for it: timed as the
  "ask" turn), then the date (the case is decided and answered: timed as the "answered" turn).
Which goes first alternates per round (FAQ, decided, asked; then the other way round). Every reply is
checked: an FAQ turn is answered or clarified; a case turn's outcome is "eligibility", the ask turn
asks for the delivery date and the decided and answered turns state a decision (no question, not
"can't decide"). A turn that took another path is counted as a mismatch, reported, and not timed.
Figures (p50, p90, the p50 ratios decided/FAQ and answered/FAQ against the issue's 1.3× target and
the mismatches) go to bench/results/case_turns.json.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.lookups import FAQ_QUESTIONS, TARGET_RATIO, Client, after_warm_up, rounds_main, spread
from bench.system import running_system
from desk.copy import say as copy_text
from desk.eligibility.facts import Fact
from knowledge.language import Language

# (message, language): every fact the case needs, in one message.
DECIDED_CASES: tuple[tuple[str, Language], ...] = (
    ("机器人充不进电了，还在保修期吗，买了14个月", "zh"),
    ("Hi, my vacuum stopped charging after 14 months. Is it still under warranty?", "en"),
    ("my purifier arrived 3 days ago and I changed my mind, can I return it?", "en"),
    ("滤芯拆了，不想要了能退吗，前天收到的", "zh"),
)
# The form asks for the delivery date (P6/P7 count from delivery), then decides on the answer.
ASKED_CASE = ("我半个月前买的空气净化器有异味，能退吗？", "前天签收的")
ASKED_FACT = Fact.DELIVERED_ON
FAQ_OUTCOMES = frozenset({"answered", "clarified"})
CASE_OUTCOME = "eligibility"
KINDS = ("faq", "decided", "ask", "answered")
MAX_EXAMPLES = 5  # mismatches kept verbatim per kind

Reply = dict[str, Any]


def progress(message: str) -> None:
    print(f"[bench-case-turns] {message}", file=sys.stderr, flush=True)


def texts(reply: Reply) -> list[str]:
    return [str(message["text"]) for message in reply["messages"]]


def outcome(reply: Reply) -> str:
    return str(reply["turn"]["outcome"])


def questions(language: Language) -> frozenset[str]:
    """What the case dialogue says when it has not decided: a fact asked for, a "sorry?" or "can't decide"."""
    keys = [f"case_ask_{fact.value}" for fact in Fact] + ["case_ask_again", "case_undecided"]
    return frozenset(copy_text(key, language) for key in keys)


def faq_problem(reply: Reply) -> str | None:
    return None if outcome(reply) in FAQ_OUTCOMES else f"outcome {outcome(reply)}"


def decision_problem(reply: Reply, language: Language) -> str | None:
    """None if the reply states the case's decision, else what it did instead."""
    if outcome(reply) != CASE_OUTCOME:
        return f"outcome {outcome(reply)}"
    undecided = [line for text in texts(reply) for line in text.splitlines() if line in questions(language)]
    return f"not decided: {undecided[0]!r}" if undecided else None


def ask_problem(reply: Reply, language: Language) -> str | None:
    """None if the reply asks for the delivery date (and only that), else what it did instead."""
    if outcome(reply) != CASE_OUTCOME:
        return f"outcome {outcome(reply)}"
    if texts(reply) != [copy_text(f"case_ask_{ASKED_FACT.value}", language)]:
        return f"did not ask for {ASKED_FACT.value}: {texts(reply)!r}"
    return None


@dataclass
class Tally:
    """Turn times per kind, and the turns that took another path than expected (not timed)."""

    times: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    mismatches: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    examples: list[dict[str, str]] = field(default_factory=list)

    def record(self, kind: str, text: str, elapsed: float, problem: str | None, reply: Reply) -> bool:
        if problem is None:
            self.times[kind].append(elapsed)
            return True
        self.mismatches[kind] += 1
        if sum(1 for example in self.examples if example["kind"] == kind) < MAX_EXAMPLES:
            self.examples.append({"kind": kind, "text": text, "problem": problem, "reply": "\n".join(texts(reply))})
        progress(f"mismatch ({kind}): {text!r}: {problem}")
        return False


def measure(client: Client, rounds: int, offset: int = 0, progress_every: int = 10) -> Tally:
    tally = Tally()
    for index in range(offset, offset + rounds):

        def faq(index: int = index) -> None:
            question = FAQ_QUESTIONS[index % len(FAQ_QUESTIONS)]
            elapsed, reply = client.say(client.start(), question)
            tally.record("faq", question, elapsed, faq_problem(reply), reply)

        def decided(index: int = index) -> None:
            text, language = DECIDED_CASES[index % len(DECIDED_CASES)]
            elapsed, reply = client.say(client.start(), text)
            tally.record("decided", text, elapsed, decision_problem(reply, language), reply)

        def asked() -> None:
            first, answer = ASKED_CASE
            conversation = client.start()
            elapsed, reply = client.say(conversation, first)
            asked_right = tally.record("ask", first, elapsed, ask_problem(reply, "zh"), reply)
            elapsed, reply = client.say(conversation, answer)
            # An answer to a question that was not asked is another path: not timed either.
            problem = decision_problem(reply, "zh") if asked_right else "the question before it was not asked"
            tally.record("answered", answer, elapsed, problem, reply)

        steps: tuple[Callable[[], None], ...] = (faq, decided, asked)
        for step in steps if index % 2 == 0 else steps[::-1]:
            step()
        done = index - offset + 1
        if done % progress_every == 0:
            progress(f"{done}/{rounds} rounds")
    return tally


def ratio(summary: dict[str, Any], kind: str) -> float | None:
    if not summary[kind]["n"] or not summary["faq"]["n"]:
        return None
    return round(float(summary[kind]["p50_ms"]) / float(summary["faq"]["p50_ms"]), 3)


def figures(tally: Tally) -> dict[str, Any]:
    summary: dict[str, Any] = {kind: spread(values) if values else {"n": 0} for kind, values in tally.times.items()}
    for kind in ("decided", "answered"):
        value = ratio(summary, kind)
        summary[f"{kind}_to_faq_p50"] = value
        summary[f"{kind}_within_target"] = value is not None and value <= TARGET_RATIO
    summary["mismatches"] = tally.mismatches
    summary["mismatch_examples"] = tally.examples
    return summary


def run(rounds: int, warmup: int, workdir: Path | None) -> dict[str, Any]:
    results: dict[str, Any] = {"rounds": rounds, "target_ratio": TARGET_RATIO, "order_store": "builtin"}
    with running_system("bench-case-turns", workdir, progress) as system, httpx.Client(timeout=60) as http:
        client = Client(http, system.app_url)
        tally = after_warm_up(lambda count, first: measure(client, count, offset=first), rounds, warmup, progress)
        results.update(figures(tally))
        progress(
            f"p50 decided/FAQ {results['decided_to_faq_p50']}, answered/FAQ {results['answered_to_faq_p50']}"
            f" (target {TARGET_RATIO}); mismatches {results['mismatches']}"
        )
    return results


def passed(results: dict[str, Any]) -> bool:
    clean = not any(results["mismatches"].values())
    return bool(clean and results["decided_within_target"] and results["answered_within_target"])


def main(argv: Sequence[str] | None = None) -> int:
    return rounds_main("case_turns", __doc__, run, passed, argv)


if __name__ == "__main__":
    raise SystemExit(main())
