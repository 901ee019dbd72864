"""The learned reading's examples written from the dev case sets (`python -m bench.clause_examples`).

Every clause of every message of the dev sets (knowledge/eval/cases_dev*.yml: never a test set), as
the case reader prepares it, with what the vocabulary reads in it
(`desk.eligibility.case_words.vocabulary_meanings`), goes to desk/eligibility/clause_examples.yml,
which `desk.eligibility.clause_meaning` is fitted on. The dev sets are read right by the vocabulary
(docs/eligibility-cases.md), so its reading of their clauses is the label. Run it again after the
vocabulary or the dev sets change.

`--cross-validate` writes nothing: each set's clauses are read by a reader fitted on the other sets',
and per meaning, regularisation and threshold it prints the precision and recall against the
vocabulary's reading and the clauses given a meaning the vocabulary does not read in them (`--show`
lists those: some are meanings the vocabulary has no word for).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from bench.cases import EVAL
from desk.eligibility import case_vocabulary as words
from desk.eligibility.case_words import prepared_text, vocabulary_meanings
from desk.eligibility.clause_meaning import EXAMPLES_FILE, ClauseReader, Example, Meaning

CROSS_C = (10.0, 30.0, 100.0)
CROSS_THRESHOLDS = (0.3, 0.4, 0.5, 0.6)


def examples(paths: list[Path]) -> list[tuple[str, list[str]]]:
    """Each distinct clause of the sets' messages and replies, with its meanings (sorted)."""
    found: dict[str, list[str]] = {}
    for path in paths:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            for message in [case["text"], *(case.get("replies") or [])]:
                for clause in words.CLAUSE.split(prepared_text(str(message))):
                    if clause.strip():
                        found.setdefault(
                            clause.strip(), sorted(meaning.value for meaning in vocabulary_meanings(clause))
                        )
    return list(found.items())


def cross_validate(paths: list[Path], show: bool) -> None:
    per_set = {
        path.name: [Example(c, frozenset(Meaning(m) for m in ms)) for c, ms in examples([path])] for path in paths
    }
    print(f"{'C':>5} {'meaning':<22} {'clauses':>7}  " + "  ".join(f"{'@' + str(t):<17}" for t in CROSS_THRESHOLDS))
    for c in CROSS_C:
        read: list[tuple[Example, dict[Meaning, float]]] = []
        for held_out, rows in per_set.items():
            reader = ClauseReader([row for name, others in per_set.items() if name != held_out for row in others], c)
            read += zip(rows, reader.probabilities([row.clause for row in rows]), strict=True)
        for meaning in Meaning:
            cells = []
            for threshold in CROSS_THRESHOLDS:
                said = [(example, p[meaning] >= threshold) for example, p in read]
                hits = sum(1 for example, yes in said if yes and meaning in example.meanings)
                extra = [example.clause for example, yes in said if yes and meaning not in example.meanings]
                labelled = sum(1 for example, _ in said if meaning in example.meanings)
                cells.append(f"P{hits / max(hits + len(extra), 1):.2f} R{hits / max(labelled, 1):.2f} +{len(extra):<3}")
                if show and c == CROSS_C[1] and threshold == CROSS_THRESHOLDS[2]:
                    print("\n".join(f"      + {meaning.value}: {clause}" for clause in extra))
            labelled = sum(1 for example, _ in read if meaning in example.meanings)
            print(f"{c:>5.0f} {meaning.value:<22} {labelled:>7}  " + "  ".join(cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=Path, nargs="*", help="the case sets (default: every cases_dev*.yml)")
    parser.add_argument("--out", type=Path, default=EXAMPLES_FILE)
    parser.add_argument("--cross-validate", action="store_true", help="measure the learned reading; write nothing")
    parser.add_argument(
        "--show", action="store_true", help="with --cross-validate: list the clauses given an extra meaning"
    )
    args = parser.parse_args(argv)
    paths = sorted(args.sets or EVAL.glob("cases_dev*.yml"))
    if args.cross_validate:
        cross_validate(paths, args.show)
        return 0
    rows = examples(paths)
    header = (
        "# The learned case reading's examples (desk/eligibility/clause_meaning.py): each clause of the dev\n"
        "# case sets (`sources`) with what the vocabulary reads in it. Written by `python -m bench.clause_examples`;\n"
        "# do not edit by hand.\n"
    )
    body = yaml.safe_dump(
        {"sources": [path.name for path in paths], "examples": [[clause, meanings] for clause, meanings in rows]},
        allow_unicode=True,
        width=200,
        sort_keys=False,
    )
    args.out.write_text(header + body, encoding="utf-8")
    labelled = sum(1 for _, meanings in rows if meanings)
    print(f"{len(rows)} clauses ({labelled} with a meaning) from {len(paths)} sets → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
