"""The knowledge base's phrasings as NLU examples of the FAQ intent (knowledge/nlu_examples.py)."""

from __future__ import annotations

from pathlib import Path

import yaml

from knowledge.cli import main
from knowledge.entries import FaqEntry, load_entries
from knowledge.nlu_examples import FAQ_INTENT, examples_in, nlu_file, phrasings
from knowledge.settings import get_settings
from knowledge.text import normalise

ROOT = Path(__file__).resolve().parents[2]
NLU = ROOT / "bot" / "nlu"
GENERATED = NLU / "faq_phrasings.yml"


def _entry(entry_id: str, zh: list[str], en: list[str], *, enabled: bool = True) -> FaqEntry:
    return FaqEntry(
        id=entry_id, category="c", questions={"zh": zh, "en": en}, answer={"zh": "答", "en": "a"}, enabled=enabled
    )


def test_phrasings_leave_out_other_intents_examples_repeats_and_disabled_entries() -> None:
    entries = [
        _entry("hours", ["人工几点下班", "转人工", "人工客服几点上班"], ["When do agents log off?", "human please"]),
        _entry("again", ["人工几点下班"], ["WHEN do agents log off?"]),
        _entry("off", ["停用的问题"], ["a disabled question"], enabled=False),
    ]
    taken = {normalise("转人工"), normalise("human please")}
    chosen = phrasings(entries, taken, per_language=2, languages=("zh", "en"))
    assert chosen == ["人工几点下班", "人工客服几点上班", "When do agents log off?"]
    assert phrasings(entries, taken, per_language=2, languages=("zh",)) == ["人工几点下班", "人工客服几点上班"]


def test_the_file_is_rasa_nlu_yaml_under_the_faq_intent() -> None:
    data = yaml.safe_load(nlu_file(["运费多少", "  what  is\nthe fee "]))
    (block,) = data["nlu"]
    assert block["intent"] == FAQ_INTENT
    assert block["examples"].splitlines() == ["- 运费多少", "- what is the fee"]


def test_the_shipped_file_is_current(tmp_path: Path) -> None:
    """bot/nlu/faq_phrasings.yml is what the command writes today: a seed file or NLU change without
    `python -m knowledge nlu-examples --nlu-dir bot/nlu --out bot/nlu/faq_phrasings.yml` fails here."""
    out = tmp_path / "faq_phrasings.yml"
    others = tmp_path / "nlu"
    others.mkdir()
    for path in NLU.glob("*.yml"):
        if path != GENERATED:
            (others / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["nlu-examples", "--nlu-dir", str(others), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == GENERATED.read_text(encoding="utf-8")


def test_no_generated_example_is_another_intents() -> None:
    hand_written = examples_in(path for path in NLU.glob("*.yml") if path != GENERATED)
    generated = yaml.safe_load(GENERATED.read_text(encoding="utf-8"))["nlu"][0]["examples"].splitlines()
    assert len(generated) >= 2 * len(load_entries(get_settings().faq_dir))  # most entries
    assert not {normalise(line.removeprefix("- ")) for line in generated} & hand_written
