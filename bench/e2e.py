"""What customers get from the whole assistant: labelled conversations played through the running
system and scored by what each turn did (`python -m bench.e2e [--set test|dev|retriever-dev|PATH …]
[--limit N]`).

Starts Rasa and the app (`bench.system.System`) and plays each conversation as a browser would, in a
new conversation of its own (`POST /api/v1/conversations`, then each turn to `…/messages`), so the
answer rests on the NLU routing, the rules and actions, the retriever, the lookups and the
eligibility dialogue together. Each turn's record (`reply["turn"]`: outcome, FAQ entry, priority) and
its "did you mean" options are compared with the label:

- `answer` + `entry` (one id or a list): **right** when answered with a listed entry; **wrong** when
  answered with another; **clarified** (the right entry among the options) or **clarified_wrong**
  (not among them); **rephrase** (a fallback); **handed_off**, **declined**, or another path. A label
  without an entry (an in-scope question no entry answers) is scored on its own line.
- `case`, `lookup`, `decline`, `smalltalk`: right when the turn took that path (outcome
  `eligibility`, `lookup`, `declined`, `smalltalk`).
- `handoff` + `priority`: right when handed off with that priority; **wrong_priority** otherwise.

The sets: `test` (knowledge/eval/e2e_test_zh.yml and e2e_test_en.yml: written from the handbook,
labelled against the knowledge base afterwards, never edited), `dev` (e2e_dev_zh.yml and
e2e_dev_en.yml: written the same way by other writers, for tuning the routing) and `retriever-dev`
(knowledge/eval/dev.yml, the retriever's dev set: one question a conversation, an entry to answer
with or null to decline).
Figures per set, language and tag, the targets of issue 14 and a confusion table (expected kind ×
what the turn did) go to bench/results/e2e.json; `--misses` prints every turn that was not right.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.results import write
from bench.system import running_system
from desk.replies import offered_entries
from knowledge.conversation_sets import Conversation, Turn, load

EVAL = Path(__file__).resolve().parent.parent / "knowledge" / "eval"
SETS = {
    "test": (EVAL / "e2e_test_zh.yml", EVAL / "e2e_test_en.yml"),
    "dev": (EVAL / "e2e_dev_zh.yml", EVAL / "e2e_dev_en.yml"),
    "retriever-dev": (EVAL / "dev.yml",),
}
# What a turn did, by its record's outcome (desk.turns.Outcome) for the paths a label names.
PATHS = {
    "case": "eligibility",
    "lookup": "lookup",
    "decline": "declined",
    "smalltalk": "smalltalk",
}


@dataclass
class Scored:
    """One turn played: what was expected, what the assistant did and the verdict."""

    conversation: Conversation
    index: int
    got: str  # the turn's outcome (answered, clarified, fallback, handoff, …)
    verdict: str  # right, wrong, clarified, clarified_wrong, rephrase, wrong_priority, or the path taken
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def turn(self) -> Turn:
        return self.conversation.turns[self.index]


def score(turn: Turn, record: dict[str, Any], options: list[str]) -> str:
    """The verdict on one turn from its record (outcome, faq_id, priority) and clarification options."""
    got = str(record.get("outcome"))
    if turn.expect == "answer":
        if got == "answered":
            return "right" if record.get("faq_id") in turn.entries else "wrong"
        if got == "clarified":
            return "clarified" if set(options) & set(turn.entries) else "clarified_wrong"
        if got == "fallback":
            return "rephrase"
        return {"handoff": "handed_off", "declined": "declined"}.get(got, f"path:{got}")
    if turn.expect == "handoff":
        if got != "handoff":
            return f"path:{got}"
        return "right" if record.get("priority") == turn.priority else "wrong_priority"
    return "right" if got == PATHS[turn.expect] else f"path:{got}"


def play(base_url: str, conversations: Sequence[Conversation], progress_every: int = 50) -> Iterator[Scored]:
    with httpx.Client(timeout=60) as http:
        for number, conversation in enumerate(conversations, start=1):
            started = http.post(f"{base_url}/api/v1/conversations", json={"language": conversation.language})
            started.raise_for_status()
            body = started.json()
            url = f"{base_url}/api/v1/conversations/{body['conversation_id']}/messages"
            headers = {"Authorization": f"Bearer {body['access_key']}"}
            for index, turn in enumerate(conversation.turns):
                response = http.post(url, json={"text": turn.text}, headers=headers)
                response.raise_for_status()
                reply = response.json()
                record = reply.get("turn") or {}
                buttons = [button for message in reply.get("messages", []) for button in message.get("buttons", [])]
                options = offered_entries(buttons)
                verdict = score(turn, record, options)
                said = " / ".join(str(message.get("text") or "")[:60] for message in reply.get("messages", []))
                detail = {
                    "faq_id": record.get("faq_id"),
                    "priority": record.get("priority"),
                    "options": options,
                    "said": said,
                }
                yield Scored(conversation, index, str(record.get("outcome")), verdict, detail)
            if number % progress_every == 0:
                progress(f"{number}/{len(conversations)} conversations")


def _share(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def summary(scored: Sequence[Scored]) -> dict[str, Any]:
    """Per language and per tag: the share of each verdict by expected kind, the confusion table and
    the issue's targets."""

    def table(group: Sequence[Scored]) -> dict[str, Any]:
        by_kind: dict[str, Counter[str]] = defaultdict(Counter)
        for turn in group:
            kind = turn.turn.expect if turn.turn.expect != "answer" or turn.turn.entries else "answer_no_entry"
            by_kind[kind][turn.verdict] += 1
        return {
            kind: {"turns": sum(counts.values()), **{v: counts[v] for v in sorted(counts)}}
            for kind, counts in sorted(by_kind.items())
        }

    def targets(group: Sequence[Scored]) -> dict[str, Any]:
        answers = [t for t in group if t.turn.expect == "answer" and t.turn.entries]
        handoffs = [t for t in group if t.turn.expect == "handoff"]
        declines = [t for t in group if t.turn.expect == "decline"]
        count = Counter(t.verdict for t in answers)
        return {
            "kb_right": _share(count["right"], len(answers)),
            "kb_wrong": _share(count["wrong"], len(answers)),
            "kb_rephrase": _share(count["rephrase"], len(answers)),
            "kb_handed_off": _share(count["handed_off"], len(answers)),
            "handoff_right_priority": _share(sum(t.verdict == "right" for t in handoffs), len(handoffs)),
            "declined": _share(sum(t.verdict == "right" for t in declines), len(declines)),
        }

    languages = sorted({t.conversation.language for t in scored})
    tags = sorted({tag for t in scored for tag in t.conversation.tags})
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    for turn in scored:
        confusion[turn.turn.expect][turn.got] += 1
    return {
        "turns": len(scored),
        "targets": {
            language: targets([t for t in scored if t.conversation.language == language]) for language in languages
        }
        | {"all": targets(scored)},
        "by_kind": {
            language: table([t for t in scored if t.conversation.language == language]) for language in languages
        },
        "by_tag": {
            tag: {"turns": n, "right": _share(sum(t.verdict == "right" for t in group), n)}
            for tag in tags
            if (n := len(group := [t for t in scored if tag in t.conversation.tags]))
        },
        "confusion": {expect: dict(sorted(counts.items())) for expect, counts in sorted(confusion.items())},
    }


def progress(message: str) -> None:
    print(f"[bench-e2e] {message}", file=sys.stderr, flush=True)


def _paths(names: Sequence[str]) -> dict[str, tuple[Path, ...]]:
    chosen: dict[str, tuple[Path, ...]] = {}
    for name in names:
        if name in SETS:
            chosen[name] = SETS[name]
        else:
            path = Path(name)
            if not path.is_file():
                raise SystemExit(f"no such set: {name} ({', '.join(SETS)} or a file)")
            chosen[path.stem] = (path,)
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="python -m bench.e2e")
    parser.add_argument(
        "--set", dest="sets", action="append", help="test, dev, retriever-dev or a file (repeatable; default all three)"
    )
    parser.add_argument("--limit", type=int, help="play only the first N conversations of each set (a quick look)")
    parser.add_argument("--misses", action="store_true", help="print every turn that was not right")
    parser.add_argument(
        "--conversation",
        action="append",
        help="play only the conversation with this id (repeatable); --misses then prints all its turns",
    )
    parser.add_argument("--workdir", type=Path, default=Path("var"), help="where the run's logs go")
    args = parser.parse_args(argv)
    sets = _paths(args.sets or list(SETS))
    loaded = {name: [c for path in paths for c in load(path)][: args.limit] for name, paths in sets.items()}
    if args.conversation:
        loaded = {name: [c for c in found if c.id in args.conversation] for name, found in loaded.items()}
    args.workdir.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {}
    with running_system("e2e", args.workdir, progress) as system:
        for name, conversations in loaded.items():
            progress(f"{name}: {len(conversations)} conversations, {sum(len(c.turns) for c in conversations)} turns")
            scored = list(play(system.app_url, conversations))
            figures[name] = summary(scored)
            if args.misses:
                for turn in scored:
                    if turn.verdict != "right" or args.conversation:  # a chosen conversation: every turn
                        expected = turn.turn.entries or turn.turn.priority or turn.turn.flow or ""
                        print(
                            f"{turn.conversation.id}#{turn.index + 1} [{turn.conversation.language}] {turn.turn.text!r}: "
                            f"expected {turn.turn.expect} {expected}, got {turn.verdict} {turn.detail}",
                            file=sys.stderr,
                        )
    write(
        "e2e",
        {"sets": {name: [str(p.relative_to(EVAL.parent.parent)) for p in sets[name]] for name in sets}, **figures},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
