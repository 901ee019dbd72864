"""Labels as training data: the dev-set format the retriever's calibration reads, and Rasa NLU YAML
that adds nothing Rasa's validation refuses; and `python -m desk export-labels` from the shell."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from desk.label_export import FAQ_INTENT, OUT_OF_SCOPE_INTENT, dev_yaml, nlu_yaml
from desk.question_labels import LabelView
from desk.services import DeskServices
from desk.settings import DeskSettings
from desk.turns import BotMessage, TurnRecord
from knowledge.evaluation import load_dev_set
from knowledge.nlu_examples import examples_in
from tests.knowledge.test_retriever_contract import ENTRIES

ROOT = Path(__file__).resolve().parents[2]
WHEN = datetime(2026, 12, 7, tzinfo=UTC)


def label(text: str, expected: str | None, language: str = "en") -> LabelView:
    return LabelView(1, text, language, None, None, expected, None, None, None, "user:lead", WHEN)


def examples(document: dict[str, Any]) -> dict[str, list[str]]:
    """Rasa's reading of an NLU file's examples: one per line starting with "- "."""
    assert document["version"] == "3.1"
    found: dict[str, list[str]] = {}
    for item in document["nlu"]:
        assert set(item) == {"intent", "examples"} and isinstance(item["examples"], str)
        lines = item["examples"].splitlines()
        assert all(line.startswith("- ") for line in lines)
        found[item["intent"]] = [line[2:] for line in lines]
    return found


def test_the_dev_export_loads_as_a_dev_set(tmp_path: Path) -> None:
    labels = [
        label("where is my\nreceipt", "invoice"),
        label("写首诗", None, "zh"),
        label('say "yes": <script>alert(1)</script> # not a comment', "battery"),
    ]
    path = tmp_path / "labelled.yml"
    path.write_text(dev_yaml(labels), encoding="utf-8")
    questions = load_dev_set(path)
    assert [(q.text, q.language, q.expected) for q in questions] == [
        ("where is my receipt", "en", "invoice"),
        ("写首诗", "zh", None),
        ('say "yes": <script>alert(1)</script> # not a comment', "en", "battery"),
    ]


def test_the_nlu_export_is_rasa_yaml_without_known_or_unreadable_examples() -> None:
    labels = [
        label("where is my receipt", "invoice"),
        label("写首诗", None, "zh"),
        label("Where is  my receipt", "invoice"),  # the same question twice: once
        label("already in faq.yml", "battery"),
        label("buy [iphone](product) now", None),  # would be read as an entity annotation
        label("/restart", None),  # would be read as an intent
        label("# hash: and 'quotes' \"too\"", None),
    ]
    export = nlu_yaml(labels, {"already in faq.yml"})
    assert examples(yaml.safe_load(export.text)) == {
        FAQ_INTENT: ["where is my receipt"],
        OUT_OF_SCOPE_INTENT: ["写首诗", "# hash: and 'quotes' \"too\""],
    }
    assert export.examples == {FAQ_INTENT: 1, OUT_OF_SCOPE_INTENT: 2} and export.skipped == 4
    empty = yaml.safe_load(nlu_yaml([]).text)
    assert empty == {"version": "3.1", "nlu": []}


def test_known_examples_are_read_from_the_projects_nlu_files() -> None:
    known = examples_in(sorted((ROOT / "bot" / "nlu").glob("*.yml")))
    assert "运费多少" in known and "今天天气怎么样" in known


def desk(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desk", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_export_labels_from_the_shell(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    assert desk(url, "migrate").returncode == 0
    services = DeskServices.for_settings(DeskSettings(database_url=url))
    services.knowledge.seed(ENTRIES)
    ids = []
    for text in ("where is my receipt", "运费多少", "compose a sonnet about my toaster"):
        inbound = services.conversations.record_inbound("c1", text=text, payload=None, language=None, channel="web")
        services.conversations.record_reply(
            "c1", inbound.message.id, [BotMessage("…")], TurnRecord("fallback"), language="en", latency_ms=1.0
        )
        ids.append(inbound.message.id)
    services.labels.label_messages(ids[:2], "invoice", "user:lead")
    services.labels.label_messages(ids[2:], None, "user:lead")

    dev = desk(url, "export-labels", "--out", str(tmp_path / "labelled.yml"))
    assert dev.returncode == 0, dev.stderr
    assert "3 questions (2 with an entry, 1 out of scope)" in dev.stderr
    assert {q.text: q.expected for q in load_dev_set(tmp_path / "labelled.yml")} == {
        "where is my receipt": "invoice",
        "运费多少": "invoice",
        "compose a sonnet about my toaster": None,
    }

    nlu_dir = tmp_path / "nlu"
    shutil.copytree(ROOT / "bot" / "nlu", nlu_dir)
    nlu = desk(url, "export-labels", "--out", str(nlu_dir / "learned.yml"), "--format", "nlu")
    assert nlu.returncode == 0, nlu.stderr
    written = examples(yaml.safe_load((nlu_dir / "learned.yml").read_text(encoding="utf-8")))
    # "运费多少" is an example in bot/nlu/faq.yml already: Rasa would refuse it twice.
    assert written == {FAQ_INTENT: ["where is my receipt"], OUT_OF_SCOPE_INTENT: ["compose a sonnet about my toaster"]}
    assert "1 left out" in nlu.stderr
    again = desk(url, "export-labels", "--out", str(nlu_dir / "learned.yml"), "--format", "nlu")
    assert again.returncode == 0 and (nlu_dir / "learned.yml").read_text(encoding="utf-8").count("- ") == 2 + 2
    (nlu_dir / "broken.yml").write_text("nlu: [unclosed", encoding="utf-8")
    broken = desk(url, "export-labels", "--out", str(nlu_dir / "learned.yml"), "--format", "nlu")
    assert broken.returncode == 2 and broken.stderr.startswith("error: ") and "Traceback" not in broken.stderr
