"""`python -m knowledge calibrate|eval --extra-dev FILE`: questions labelled in the console join the dev set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from knowledge.abstention import Thresholds
from knowledge.calibration import Calibration, calibration_note, language_notes, load_calibration, save_calibration
from knowledge.cli import main
from knowledge.entries import dump_entries
from knowledge.evaluation import DevQuestion, known_questions, load_dev_sets
from knowledge.fusion import FusionWeights
from knowledge.settings import get_settings
from tests.knowledge.fakes import HashingEmbedder
from tests.knowledge.test_retriever_contract import ENTRIES


def write_dev(path: Path, questions: list[tuple[str, str, str | None]]) -> Path:
    rows = [{"text": t, "language": lang, "expected": e} for t, lang, e in questions]
    path.write_text(yaml.safe_dump({"questions": rows}, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "test.yml").write_text(dump_entries(ENTRIES), encoding="utf-8")
    monkeypatch.setenv("KNOWLEDGE_CALIBRATION_FILE", str(tmp_path / "calibration.yml"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


DEV = [
    ("How long is the battery warranty?", "en", "battery"),
    ("电池保修多久", "zh", "battery"),
    ("what's the weather", "en", None),
]
LABELLED = [
    ("where is my invoice", "en", "invoice"),
    ("WHAT'S the   weather", "en", "shipping-fee"),  # the same question as the dev set's: the label wins
    ("钱什么时候退回来", "zh", "refund-time"),
    ("写首诗", "zh", None),
    ("gift wrap?", "en", "gift-wrap"),  # an entry made in the console, not in the FAQ files
]


def test_extra_files_add_questions_and_a_later_label_wins(tmp_path: Path) -> None:
    dev = write_dev(tmp_path / "dev.yml", DEV)
    extra = write_dev(tmp_path / "labelled.yml", LABELLED)
    questions = load_dev_sets(dev, [extra])
    assert len(questions) == 7
    assert questions[2] == DevQuestion(text="WHAT'S the   weather", language="en", expected="shipping-fee")
    kept, unknown = known_questions(questions, {e.id for e in ENTRIES})
    assert [q.expected for q in unknown] == ["gift-wrap"] and len(kept) == 6
    assert load_dev_sets(dev) == load_dev_sets(dev, [])


def test_calibrate_and_eval_read_the_extra_dev_files(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dev = write_dev(folder / "dev.yml", DEV)
    extra = write_dev(folder / "labelled.yml", LABELLED)
    common = ["--faq-dir", str(folder / "faq"), "--dev-set", str(dev), "--extra-dev", str(extra)]
    assert main(["calibrate", *common], embedder=HashingEmbedder()) == 0
    note = calibration_note(folder / "calibration.yml")
    assert "dev.yml + labelled.yml (6 questions)" in note
    assert "1 question left out: their entries are not in" in capsys.readouterr().err

    assert main(["eval", *common, "--no-cv", "--json", str(folder / "eval.json")], embedder=HashingEmbedder()) == 0
    scored = json.loads((folder / "eval.json").read_text(encoding="utf-8"))["in_sample"]
    assert (scored["en"]["questions"], scored["en"]["out_of_scope_questions"]) == (3, 0)
    assert (scored["zh"]["questions"], scored["zh"]["out_of_scope_questions"]) == (2, 1)


def test_calibrating_one_language_keeps_the_others_part_of_the_file(folder: Path) -> None:
    dev = write_dev(folder / "dev.yml", DEV)
    kept = Thresholds(answer=0.91, margin=0.01, clarify=0.11)
    weights = FusionWeights(weights={"zh": [1.0] * 6, "en": [2.0] * 6}, bias={"zh": -1.0, "en": -2.0})
    save_calibration(folder / "calibration.yml", Calibration({"zh": kept, "en": Thresholds()}, weights), "zh: by hand")
    common = ["--faq-dir", str(folder / "faq"), "--dev-set", str(dev)]
    assert main(["calibrate", *common, "--languages", "en"], embedder=HashingEmbedder()) == 0
    written = load_calibration(folder / "calibration.yml")
    assert written.thresholds["zh"] == kept
    assert (
        written.fusion is not None and written.fusion.weights["zh"] == [1.0] * 6 and written.fusion.bias["zh"] == -1.0
    )
    assert language_notes(calibration_note(folder / "calibration.yml"))["zh"] == "by hand"


def test_an_end_to_end_set_gives_its_first_questions_with_every_entry_that_answers(tmp_path: Path) -> None:
    conversations = [
        {
            "id": "a",
            "language": "zh",
            "tags": [],
            "turns": [
                {"text": "电池保修多久", "expect": "answer", "entry": ["battery", "invoice"]},
                {"text": "那运费呢", "expect": "answer", "entry": "shipping-fee"},  # leans on the first: left out
            ],
        },
        {"id": "b", "language": "en", "tags": [], "turns": [{"text": "Who won the cup?", "expect": "decline"}]},
        {"id": "c", "language": "en", "tags": [], "turns": [{"text": "My order?", "expect": "lookup"}]},
        {"id": "d", "language": "en", "tags": [], "turns": [{"text": "Do weekends count?", "expect": "answer"}]},
        {
            "id": "e",
            "language": "en",
            "tags": [],
            "turns": [{"text": "运费多少", "expect": "answer", "entry": "shipping-fee"}],
        },
    ]
    path = tmp_path / "e2e.yml"
    path.write_text(yaml.safe_dump({"conversations": conversations}, allow_unicode=True), encoding="utf-8")
    first, declined, chinese = load_dev_sets(path)
    assert (first.text, first.accepted) == ("电池保修多久", frozenset({"battery", "invoice"}))
    assert (declined.expected, declined.accepted) == (None, frozenset())
    assert chinese.language == "zh"  # the words' language, not the conversation's
    kept, unknown = known_questions([first, declined], {"battery"})
    assert kept == [declined] and unknown == [first]  # an entry the knowledge base lacks
