"""The learned reading's examples written from the dev case sets (`python -m bench.clause_examples`).

Every clause of every message of the dev sets (knowledge/eval/cases_dev*.yml: never a test set; not
those in NOT_LABELLED_BY_THE_VOCABULARY), as the case reader prepares it, with what the vocabulary
reads in it (`desk.eligibility.case_words.vocabulary_meanings`), goes to
desk/eligibility/clause_examples.yml, which `desk.eligibility.clause_meaning` is fitted on. These dev
sets are read right by the vocabulary (docs/eligibility-cases.md), so its reading of their clauses is
the label. Run it again after the vocabulary or the dev sets change.

`--cross-validate` writes nothing: each set's clauses are read by a reader fitted on the other sets'
and the hand-written examples (desk/eligibility/clause_examples_written.yml, always in training), and
each fifth of the written examples by a reader fitted on the rest and the dev clauses; per meaning,
regularisation and threshold it prints the precision and recall of both and the clauses given a
meaning they are not labelled with (`--show` lists those at the shipped thresholds, and the written
clauses missed: some are meanings the vocabulary has no word for).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from bench.cases import EVAL
from desk.eligibility import case_vocabulary as words
from desk.eligibility.case_words import prepared_text, vocabulary_meanings
from desk.eligibility.clause_meaning import EXAMPLES_FILE, THRESHOLDS, C, ClauseReader, Example, Meaning, load_written

CROSS_C = (10.0, 30.0, 100.0)
CROSS_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
WRITTEN_FOLDS = 5


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


def _cells(read: list[tuple[Example, dict[Meaning, float]]], meaning: Meaning) -> tuple[int, list[str]]:
    labelled = sum(1 for example, _ in read if meaning in example.meanings)
    cells = []
    for threshold in CROSS_THRESHOLDS:
        said = [(example, p[meaning] >= threshold) for example, p in read]
        hits = sum(1 for example, yes in said if yes and meaning in example.meanings)
        extra = sum(1 for example, yes in said if yes and meaning not in example.meanings)
        cells.append(f"P{hits / max(hits + extra, 1):.2f} R{hits / max(labelled, 1):.2f} +{extra:<3}")
    return labelled, cells


def cross_validate(paths: list[Path], show: bool) -> None:
    """Two estimates per regularisation, meaning and threshold. **dev**: each dev set's clauses read
    by a reader fitted on the other sets' and every written example, against the vocabulary's reading
    (`+n`: clauses given a meaning the vocabulary does not read in them). **written**: each fifth of
    the written examples read by a reader fitted on the other four fifths and every dev clause: how
    the reading generalises to phrasings it has not seen, against the written labels."""
    per_set = {
        path.name: [Example(c, frozenset(Meaning(m) for m in ms)) for c, ms in examples([path])] for path in paths
    }
    written = load_written()
    dev = [row for rows in per_set.values() for row in rows]
    header = f"{'C':>5} {'meaning':<22} {'set':<7} {'n':>5}  "
    print(header + "  ".join(f"{'@' + str(t):<17}" for t in CROSS_THRESHOLDS))
    for c in CROSS_C:
        read: list[tuple[Example, dict[Meaning, float]]] = []
        for held_out, rows in per_set.items():
            others = [row for name, rows_ in per_set.items() if name != held_out for row in rows_]
            reader = ClauseReader(others + written, c)
            read += zip(rows, reader.probabilities([row.clause for row in rows]), strict=True)
        read_written: list[tuple[Example, dict[Meaning, float]]] = []
        for fold in range(WRITTEN_FOLDS):
            held = [row for i, row in enumerate(written) if i % WRITTEN_FOLDS == fold]
            kept = [row for i, row in enumerate(written) if i % WRITTEN_FOLDS != fold]
            reader = ClauseReader(dev + kept, c)
            read_written += zip(held, reader.probabilities([row.clause for row in held]), strict=True)
        estimates = (("dev", read), ("written", read_written))
        for meaning in Meaning:
            for name, scored in estimates:
                labelled, cells = _cells(scored, meaning)
                print(f"{c:>5.0f} {meaning.value:<22} {name:<7} {labelled:>5}  " + "  ".join(cells))
            if show and c == C:
                _show(meaning, estimates)


def _show(meaning: Meaning, estimates: tuple[tuple[str, list[tuple[Example, dict[Meaning, float]]]], ...]) -> None:
    """The clauses given the meaning without its label (+) and, of the written ones, those missed (-),
    at the meaning's threshold."""
    threshold = THRESHOLDS[meaning]
    for name, scored in estimates:
        for example, p in scored:
            given, labelled = p[meaning] >= threshold, meaning in example.meanings
            if given != labelled and (given or name == "written"):
                sign = "+" if given else "-"
                print(f"      {sign} {name} {meaning.value}@{threshold} {p[meaning]:.2f}: {example.clause}")


# Dev sets whose clauses are not labelled by the vocabulary's reading: cases_dev_8.yml and
# cases_dev_9.yml were written to stress the reading of what refuses a remedy, and the learned reading
# reads some of their refusals that the vocabulary has no word for; labelled by the vocabulary, those
# clauses would teach it to miss them.
NOT_LABELLED_BY_THE_VOCABULARY = frozenset({"cases_dev_8.yml", "cases_dev_9.yml"})


def default_sets() -> list[Path]:
    return sorted(path for path in EVAL.glob("cases_dev*.yml") if path.name not in NOT_LABELLED_BY_THE_VOCABULARY)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sets",
        type=Path,
        nargs="*",
        help="the case sets (default: every cases_dev*.yml but those the vocabulary does not label)",
    )
    parser.add_argument("--out", type=Path, default=EXAMPLES_FILE)
    parser.add_argument("--cross-validate", action="store_true", help="measure the learned reading; write nothing")
    parser.add_argument(
        "--show", action="store_true", help="with --cross-validate: list the clauses given an extra meaning"
    )
    args = parser.parse_args(argv)
    paths = sorted(args.sets or default_sets())
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
