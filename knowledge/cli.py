"""`python -m knowledge build | adapt | search | eval | calibrate | eval-intents | eval-faq | nlu-examples`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.adaptation import AdaptationConfig, adapt_entries
from knowledge.calibration import calibration_note, load_calibration, save_languages
from knowledge.embedder import Embedder, SentenceTransformerEmbedder
from knowledge.entries import KnowledgeBaseError, load_entries
from knowledge.index import IndexUnavailable, build_retriever, load_retriever, save_index
from knowledge.language import LANGUAGES, parse_language
from knowledge.nlu_examples import PER_LANGUAGE
from knowledge.retriever import HybridRetriever
from knowledge.settings import get_settings

if TYPE_CHECKING:
    from knowledge.evaluation import DevQuestion
    from knowledge.intent_eval import IntentRun


def _progress(message: str) -> None:
    print(f"[knowledge] {message}", file=sys.stderr, flush=True)


def _fresh_retriever(faq_dir: Path, *, for_serving: bool = False, embedder: Embedder | None = None) -> HybridRetriever:
    settings = get_settings()
    entries = load_entries(faq_dir)
    embedder = embedder or SentenceTransformerEmbedder(settings.model_in_use())
    calibration = load_calibration(settings.calibration_file)
    return build_retriever(
        entries, embedder, calibration, _progress, settings.dense_languages, reuse_calibrated_fusion=for_serving
    )


def cmd_build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    retriever = _fresh_retriever(args.faq_dir, for_serving=True)
    manifest = save_index(retriever, args.index_dir)
    _progress(
        f"index written to {args.index_dir}: {manifest.entries} entries, {manifest.phrasings} phrasings, "
        f"model {manifest.model} ({manifest.dimension} d), checksum {manifest.checksum[:12]}, "
        f"{time.perf_counter() - started:.1f}s"
    )
    return 0


def _adaptation_config(args: argparse.Namespace) -> AdaptationConfig:
    return AdaptationConfig(
        rounds=args.rounds, batch_size=args.batch_size, learning_rate=args.learning_rate, seed=args.seed
    )


def cmd_adapt(args: argparse.Namespace) -> int:
    settings = get_settings()
    # Always from the base model: adapting an adapted model again would drift with every run.
    base = SentenceTransformerEmbedder(settings.embedding_model or None)
    manifest = adapt_entries(
        load_entries(args.faq_dir),
        settings.dense_languages,
        base.reference,
        base.name,
        args.out,
        _adaptation_config(args),
        _progress,
        sys.stderr.isatty(),
    )
    _progress(
        f"adapted model written to {args.out}: {manifest.name}; {manifest.pairs} pairs, {manifest.steps} steps, "
        f"{manifest.seconds:.1f}s"
    )
    if manifest.name not in calibration_note(settings.calibration_file):
        _progress(
            f"the fusion weights and thresholds in {settings.calibration_file} were fitted with another model: "
            "`python -m knowledge calibrate` refits them on the development set with this one"
        )
    if args.no_build:
        return 0
    if settings.embedding_model:
        _progress(f"KNOWLEDGE_EMBEDDING_MODEL={settings.embedding_model} is set, so the product does not use it")
        return 0
    return cmd_build(argparse.Namespace(faq_dir=args.faq_dir, index_dir=args.index_dir))


def cmd_search(args: argparse.Namespace) -> int:
    settings = get_settings()
    embedder = SentenceTransformerEmbedder(settings.model_in_use())
    calibration = load_calibration(settings.calibration_file)
    retriever = load_retriever(args.index_dir, embedder, calibration, settings.dense_languages)
    language = parse_language(args.lang) if args.lang else None
    started = time.perf_counter()
    result = retriever.search(args.query, language, k=args.k)
    elapsed = (time.perf_counter() - started) * 1000
    print(f"language={result.language} decision={result.decision} ({elapsed:.1f} ms)")
    for rank, hit in enumerate(result.hits, start=1):
        signals = " ".join(f"{name}={value:.3f}" for name, value in hit.signals.items())
        print(f"{rank}. {hit.score:.3f}  {hit.entry.id:<40} {signals}")
        print(f"   {hit.entry.answer_in(result.language)}")
    return 0


def _print_report(title: str, results: dict[str, dict[str, float]]) -> None:
    print(title)
    for language_name, row in results.items():
        print(f"  [{language_name}]")
        for key, value in row.items():
            print(f"    {key:<28} {value:.4f}" if isinstance(value, float) else f"    {key:<28} {value}")


def _dev_questions(args: argparse.Namespace, retriever: HybridRetriever) -> list[DevQuestion]:
    """The dev set with the `--extra-dev` files, less questions naming entries the FAQ files lack."""
    from knowledge.evaluation import known_questions, load_dev_sets

    questions, unknown = known_questions(
        load_dev_sets(args.dev_set, args.extra_dev or []), {e.id for e in retriever.entries}
    )
    if unknown:
        names = sorted({q.expected or "" for q in unknown})
        _progress(
            f"{len(unknown)} question{'s' if len(unknown) != 1 else ''} left out: "
            f"their entries are not in {args.faq_dir}: {', '.join(names)}"
        )
    return questions


def cmd_eval(args: argparse.Namespace) -> int:
    from knowledge.evaluation import cross_validate, featurise, rank, report

    settings = get_settings()
    retriever = _fresh_retriever(args.faq_dir, embedder=args.embedder)
    questions = _dev_questions(args, retriever)
    if args.customer_words:
        from knowledge.text import customer_words

        # As the app sends them to the retriever (engine/turns.py), not as written.
        questions = [q.model_copy(update={"text": customer_words(q.text)}) for q in questions]
    _progress(f"scoring {len(questions)} development questions")
    items = featurise(retriever, questions)
    in_sample = rank(retriever, items, retriever.fusion, retriever.calibration)
    results = {"in_sample": report(in_sample)}
    print(f"calibration: {settings.calibration_file}")
    for lang, thresholds in retriever.calibration.thresholds.items():
        print(f"  {lang}: {thresholds}")
    _print_report("with the calibration in use (fitted on this same dev set):", results["in_sample"])
    if not args.no_cv:
        _progress("cross-validating: fusion and thresholds refitted without each fold")
        results["cross_validated"] = report(cross_validate(retriever, items))
        _print_report(
            "5-fold cross-validated (each question scored without being fitted on):", results["cross_validated"]
        )
    if args.json:
        payload = {"thresholds": {k: v.__dict__ for k, v in retriever.calibration.thresholds.items()}, **results}
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    if args.show_errors:
        for s in in_sample:
            if s.ranked_ids[0] not in s.question.accepted:
                print(
                    f"  MISS {s.question.language} {s.question.text!r}: expected {s.question.expected}, "
                    f"got {s.ranked_ids[:2]} {[round(x, 3) for x in s.scores[:2]]}"
                )
    return 0


def cmd_nlu_examples(args: argparse.Namespace) -> int:
    from knowledge.nlu_examples import examples_in, nlu_file, phrasings

    nlu_files = sorted(path for path in args.nlu_dir.glob("*.yml") if path.resolve() != args.out.resolve())
    examples = phrasings(load_entries(args.faq_dir), examples_in(nlu_files), args.per_language)
    args.out.write_text(nlu_file(examples), encoding="utf-8")
    _progress(f"{len(examples)} phrasings written to {args.out}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from knowledge.evaluation import calibrate, featurise

    settings = get_settings()
    retriever = _fresh_retriever(args.faq_dir, embedder=args.embedder)
    questions = _dev_questions(args, retriever)
    chosen = calibrate(retriever, featurise(retriever, questions))
    names = " + ".join(p.name for p in [args.dev_set, *(args.extra_dev or [])])
    note = (
        f"fitted by `python -m knowledge calibrate` on {names} ({len(questions)} questions) with "
        f"{retriever.embedder.name}, the retriever alone; `python -m knowledge eval` reports the cross-validated figures."
    )
    chosen = save_languages(settings.calibration_file, chosen, retriever.fusion, args.languages, note)
    for lang, thresholds in chosen.thresholds.items():
        print(f"{lang}: {thresholds}")
    print(f"written to {settings.calibration_file}")
    return 0


def _harness_run(args: argparse.Namespace) -> IntentRun:
    """The production embedder, abstention thresholds and dense languages (an injected embedder in tests)."""
    from knowledge.intent_eval import IntentRun

    settings = get_settings()
    embedder: Embedder = args.embedder or SentenceTransformerEmbedder(settings.embedding_model or None)
    return IntentRun(
        embedder=embedder,
        calibration=load_calibration(settings.calibration_file),
        dense_languages=tuple(settings.dense_languages),
        folds=args.folds if "folds" in args else 5,
        seed=args.seed if "seed" in args else 13,
        progress=_progress,
        show_progress=sys.stderr.isatty(),
        adapt_from=SentenceTransformerEmbedder(settings.embedding_model or None).reference
        if getattr(args, "adapt", False)
        else None,
        adaptation=_adaptation_config(args) if getattr(args, "adapt", False) else AdaptationConfig(),
    )


def cmd_eval_intents(args: argparse.Namespace) -> int:
    from knowledge.datasets import read_dataset
    from knowledge.intent_eval import evaluate_intents
    from knowledge.intent_metrics import print_report

    train = read_dataset(args.train, "train")
    test = read_dataset(args.test, "test")
    val = read_dataset(args.val, "val") if args.val else None
    for data in (train, val, test):
        if data is not None:
            _progress(
                f"{data.role}: {data.path} ({data.format}): {len(data.utterances)} utterances, "
                f"{len(data.labels)} labels, {data.n_oos} out-of-scope"
            )
    result = evaluate_intents(train.utterances, test.utterances, _harness_run(args), val.utterances if val else None)
    print_report(result, args.test)
    print(f"the retriever's own abstention decisions: {result['decisions']} ({result['seconds']}s)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


def cmd_eval_faq(args: argparse.Namespace) -> int:
    from knowledge.faq_eval import evaluate_faq, read_stackfaq

    threads = read_stackfaq(args.data)
    fields = [f.strip() for f in args.fields.split(",") if f.strip()]
    result = evaluate_faq(threads, _harness_run(args), fields)
    print(
        f"{args.data}: {result['n_threads']} threads indexed by {'+'.join(fields)}, {result['n_queries']} rephrasings "
        f"({result['leaked_queries']} identical to an indexed phrasing)"
    )
    for key in ("map", "mrr", "p_at_1", "p_at_5"):
        print(f"  {key:<8} {result[key]:.4f}")
    print(f"  ({result['seconds']}s with {result['embedder']})")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


def _adaptation_options(command: argparse.ArgumentParser) -> None:
    defaults = AdaptationConfig()
    command.add_argument("--rounds", type=int, default=defaults.rounds, help="times each phrasing is an anchor")
    command.add_argument("--batch-size", type=int, default=defaults.batch_size)
    command.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    command.add_argument("--seed", type=int, default=defaults.seed, help="fixes pairs, batches, folds and weights")


def add_languages_option(command: argparse.ArgumentParser) -> None:
    """`--languages`: the languages a calibration writes (the others keep the file's part)."""
    command.add_argument(
        "--languages",
        nargs="+",
        choices=LANGUAGES,
        default=list(LANGUAGES),
        help="the languages written (the others keep the calibration in use)",
    )


def parser() -> argparse.ArgumentParser:
    settings = get_settings()
    top = argparse.ArgumentParser(prog="python -m knowledge", description="The FAQ knowledge base and retriever.")
    sub = top.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="build the index from the FAQ seed files")
    build.add_argument("--faq-dir", type=Path, default=settings.faq_dir)
    build.add_argument("--index-dir", type=Path, default=settings.index_dir)
    build.set_defaults(run=cmd_build)

    adapt = sub.add_parser(
        "adapt", help="fine-tune the embedding model on the knowledge base's phrasings, then rebuild the index"
    )
    adapt.add_argument("--faq-dir", type=Path, default=settings.faq_dir)
    adapt.add_argument("--out", type=Path, default=settings.adapted_model_dir, help="where the model is saved")
    adapt.add_argument("--index-dir", type=Path, default=settings.index_dir)
    adapt.add_argument("--no-build", action="store_true", help="do not rebuild the index with the adapted model")
    _adaptation_options(adapt)
    adapt.set_defaults(run=cmd_adapt)

    search = sub.add_parser("search", help="rank entries for a question, with scores")
    search.add_argument("query")
    search.add_argument("--lang", choices=LANGUAGES)
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--index-dir", type=Path, default=settings.index_dir)
    search.set_defaults(run=cmd_search)

    for name, run, text in (
        ("eval", cmd_eval, "accuracy per language and signal on the development set"),
        ("calibrate", cmd_calibrate, "choose the abstention thresholds on the development set"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("--faq-dir", type=Path, default=settings.faq_dir)
        command.add_argument("--dev-set", type=Path, default=settings.dev_set)
        command.add_argument(
            "--extra-dev",
            type=Path,
            action="append",
            metavar="PATH",
            help="more questions in the dev set's format, e.g. `python -m desk export-labels --format dev` (repeatable)",
        )
        if name == "calibrate":
            add_languages_option(command)
        if name == "eval":
            command.add_argument("--json", type=Path, help="also write the results as JSON")
            command.add_argument("--show-errors", action="store_true")
            command.add_argument("--no-cv", action="store_true", help="skip the cross-validated estimate")
            command.add_argument(
                "--customer-words",
                action="store_true",
                help="read each question as the app does first (knowledge.text.customer_words)",
            )
        command.set_defaults(run=run)

    intents = sub.add_parser(
        "eval-intents",
        help="intent detection and out-of-scope on a labelled-utterance data set (HINT3, BANKING77, CLINC150, FAQ YAML)",
    )
    intents.add_argument("--train", type=Path, required=True, help="the utterances indexed (one entry per label)")
    intents.add_argument("--test", type=Path, required=True, help="the utterances classified and reported on")
    intents.add_argument("--val", type=Path, help="choose the threshold here (default: cross-validation on --train)")
    intents.add_argument("--json", type=Path, help="also write the results as JSON")
    intents.add_argument("--folds", type=int, default=5)
    intents.add_argument(
        "--adapt", action="store_true", help="fine-tune the model on each retriever's training utterances first"
    )
    _adaptation_options(intents)
    intents.set_defaults(run=cmd_eval_intents)

    nlu = sub.add_parser(
        "nlu-examples", help="write the phrasings as examples of the NLU intent for the knowledge base"
    )
    nlu.add_argument("--faq-dir", type=Path, default=settings.faq_dir)
    nlu.add_argument("--nlu-dir", type=Path, required=True, help="the Rasa NLU files (other intents keep theirs)")
    nlu.add_argument("--out", type=Path, required=True)
    nlu.add_argument("--per-language", type=int, default=PER_LANGUAGE, help="phrasings per entry and language")
    nlu.set_defaults(run=cmd_nlu_examples)

    faq = sub.add_parser("eval-faq", help="FAQ retrieval (MAP, MRR, P@1, P@5) on a StackFAQ JSON file")
    faq.add_argument("--data", type=Path, required=True)
    faq.add_argument("--fields", default="question,answer", help="thread fields indexed: question, answer or both")
    faq.add_argument("--json", type=Path, help="also write the results as JSON")
    faq.set_defaults(run=cmd_eval_faq)
    top.set_defaults(embedder=None)
    return top


def main(argv: list[str] | None = None, embedder: Embedder | None = None) -> int:
    """`embedder` replaces the configured one (tests inject a fake)."""
    args = parser().parse_args(argv)
    args.embedder = embedder
    try:
        return int(args.run(args))
    except (KnowledgeBaseError, IndexUnavailable, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
