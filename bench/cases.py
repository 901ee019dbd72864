"""Eligibility cases scored (`python -m bench.cases [--set dev|test|PATH]`): does the assistant read a
customer's case, ask for what is missing and decide as the handbook says?

Each case of knowledge/eval/cases_{dev,test}.yml (docs/eligibility-cases.md) is played as the
dialogue plays it: the first message read (`desk.eligibility.case_words.read_words`), the case
decided (`desk.eligibility.customer_case.decide_case`, with the case's verified order when it has
one); while the assistant has a question, the next reply is read as the answer to it. Scored per
case and reported per flow:
- **right**: every expected remedy has the expected verdict, rule and reason (`because`, and `day`
  and `last_day` where given) and the assistant asked exactly the expected facts, in order;
- **decision** right (the same without the asks) and **asks** right;
- **wrongly allowed**: a remedy allowed where the expected decision is not `allowed` (a promise the
  policy does not make: the request it would let the customer open is not allowed);
- **guessed**: a remedy decided where the expected decision waits for a fact.
Mismatches are listed with what was read. Figures go to bench/results/cases_<set>.json.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bench.results import write
from desk.eligibility.case_words import CaseWords, read_words
from desk.eligibility.customer_case import CaseAnswer, decide_case
from desk.eligibility.engine import Decision, Verdict
from desk.eligibility.facts import CaseFacts, Fact
from desk.eligibility.rules import Policy, load_policy
from desk.orders.records import Category

EVAL = Path(__file__).resolve().parent.parent / "knowledge" / "eval"
SETS = {"dev": EVAL / "cases_dev.yml", "test": EVAL / "cases_test.yml"}


@dataclass
class Played:
    """What the assistant did with one case."""

    asks: list[str] = field(default_factory=list)
    answer: CaseAnswer | None = None
    words: CaseWords | None = None


def _order(raw: dict[str, Any] | None, today: date) -> CaseFacts | None:
    if not raw:
        return None
    flags = set(raw.get("flags") or ())
    category = raw.get("category")
    return CaseFacts(
        today=today,
        paid_on=raw.get("paid"),
        delivered_on=raw.get("delivered"),
        invoice_on=raw.get("invoice"),
        category=Category(category) if category else None,
        flash_sale="flash_sale" in flags,
        coupon_price="coupon_price" in flags,
        trade_in="trade_in" in flags,
    )


def play(case: dict[str, Any], policy: Policy, *, learned: bool = True) -> Played:
    today: date = case["today"]
    language = case["language"]
    order = _order(case.get("order"), today)
    words = read_words(case["text"], today, language, learned=learned)
    played = Played(words=words)
    replies = list(case.get("replies") or ())
    while True:
        answer = decide_case(words, today, policy, order)
        played.answer = answer
        question = answer.question if answer is not None else None
        if question is None:
            return played
        played.asks.append(question.value)
        if not replies or len(played.asks) > 6:
            return played
        words = words.then(read_words(replies.pop(0), today, language, asked=Fact(question.value), learned=learned))
        played.words = words


def _because(decision: Decision) -> str | None:
    reason = decision.reason
    if decision.verdict is Verdict.NEEDS_FACT:
        return reason.missing.value if reason.missing else None
    if decision.verdict is Verdict.ALLOWED:
        return reason.charge.value if reason.charge is not None and decision.remedy == "repair" else None
    return reason.refused_by


def _problems(expected: dict[str, Any], decision: Decision | None) -> list[str]:
    if decision is None:
        return ["no decision"]
    problems = []
    if decision.verdict != expected["verdict"]:
        problems.append(f"verdict {decision.verdict} (expected {expected['verdict']})")
    if "rule" in expected and decision.rule_id != expected["rule"]:
        problems.append(f"rule {decision.rule_id} (expected {expected['rule']})")
    if "because" in expected and _because(decision) != expected["because"]:
        problems.append(f"because {_because(decision)} (expected {expected['because']})")
    if "day" in expected and decision.reason.day != expected["day"]:
        problems.append(f"day {decision.reason.day} (expected {expected['day']})")
    if "last_day" in expected and decision.reason.last_day != expected["last_day"]:
        problems.append(f"last_day {decision.reason.last_day} (expected {expected['last_day']})")
    return problems


def score(cases: list[dict[str, Any]], policy: Policy, *, learned: bool = True) -> dict[str, Any]:
    per_flow: dict[str, Counter[str]] = defaultdict(Counter)
    misses = []
    for case in cases:
        played = play(case, policy, learned=learned)
        answer = played.answer
        problems: list[str] = []
        wrongly_allowed = guessed = False
        for remedy, expected in case["expect"].items():
            decision = answer.decision(remedy) if answer is not None else None
            found = _problems(expected, decision)
            problems += [f"{remedy}: {problem}" for problem in found]
            if decision is not None and decision.verdict is Verdict.ALLOWED and expected["verdict"] != "allowed":
                wrongly_allowed = True
            if (
                decision is not None
                and decision.verdict is not Verdict.NEEDS_FACT
                and expected["verdict"] == "needs_fact"
            ):
                guessed = True
        asks_right = played.asks == list(case.get("asks") or ())
        counts = per_flow[case["flow"]]
        counts["cases"] += 1
        counts["decision"] += not problems
        counts["asks"] += asks_right
        counts["right"] += not problems and asks_right
        counts["wrongly_allowed"] += wrongly_allowed
        counts["guessed"] += guessed
        if problems or not asks_right:
            if not asks_right:
                problems.append(f"asked {played.asks} (expected {list(case.get('asks') or ())})")
            misses.append({"id": case["id"], "text": case["text"], "problems": problems, "read": _read(played)})
    total: Counter[str] = Counter()
    for counts in per_flow.values():
        total.update(counts)
    flows = {flow: dict(counts) for flow, counts in sorted(per_flow.items())}
    return {"flows": flows, "total": dict(total), "misses": misses}


def _read(played: Played) -> dict[str, Any]:
    words = played.words
    if words is None:
        return {}
    shown = {name: value for name, value in vars(words).items() if value not in (None, (), frozenset())}
    readable: dict[str, Any] = json.loads(json.dumps(shown, default=str))
    return readable


def _rate(counts: dict[str, int], key: str) -> str:
    return f"{counts.get(key, 0)}/{counts['cases']} ({counts.get(key, 0) / counts['cases']:.0%})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--set", default="dev", help="dev, test or the path of a case file")
    parser.add_argument("--misses", action="store_true", help="list every case not right")
    parser.add_argument(
        "--vocabulary-only",
        action="store_true",
        help="without the learned reading (desk/eligibility/clause_meaning.py)",
    )
    args = parser.parse_args(argv)
    path = SETS.get(args.set, Path(args.set))
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    result = score(cases, load_policy(), learned=not args.vocabulary_only)
    stem = args.set if args.set in SETS else path.stem.removeprefix("cases_")
    written = write(f"cases_{stem}", {"set": str(path.name), **result})
    print(f"\n{path.name}: {len(cases)} cases (figures in {written})")
    print(f"{'flow':<18} {'right':>14} {'decision':>14} {'asks':>14} {'wrongly allowed':>16} {'guessed':>8}")
    for flow, counts in [*result["flows"].items(), ("total", result["total"])]:
        print(
            f"{flow:<18} {_rate(counts, 'right'):>14} {_rate(counts, 'decision'):>14} {_rate(counts, 'asks'):>14}"
            f" {counts.get('wrongly_allowed', 0):>16} {counts.get('guessed', 0):>8}"
        )
    if args.misses:
        for miss in result["misses"]:
            print(f"\n{miss['id']}: {miss['text']}\n  " + "\n  ".join(miss["problems"]) + f"\n  read: {miss['read']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
