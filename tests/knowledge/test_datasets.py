"""Reading labelled-utterance data sets by sniffing their content, from tiny files in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from knowledge.cli import main
from knowledge.datasets import OOS, DatasetError, Utterance, read_dataset, to_entries
from tests.knowledge.fakes import HashingEmbedder


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_hint3_csv_normalises_the_oos_label(tmp_path: Path) -> None:
    path = write(
        tmp_path / "hint3.csv",
        'sentence,label\nDo you offer EMI?,EMI\n"Hello, anyone there",NO_NODES_DETECTED\n\n,EMI\n',
    )
    data = read_dataset(path)
    assert data.format == "HINT3 CSV"
    assert data.utterances == [Utterance("Do you offer EMI?", "EMI"), Utterance("Hello, anyone there", OOS)]
    assert data.n_oos == 1 and data.labels == ["EMI"]


def test_hint3_csv_with_notes_under_a_blank_header_column(tmp_path: Path) -> None:
    # HINT3 v2's Powerplay11: "sentence,label," and annotators' notes in the unnamed third column.
    path = write(
        tmp_path / "powerplay.csv",
        "sentence,label,\nWhen are winnings paid?,WINNINGS,Earlier was WITHDRAWAL_TIME\nOffers please,OFFERS,\n",
    )
    data = read_dataset(path)
    assert data.format == "HINT3 CSV"
    assert data.utterances == [Utterance("When are winnings paid?", "WINNINGS"), Utterance("Offers please", "OFFERS")]
    with pytest.raises(DatasetError, match="line 2: expected 2 to 3 columns, found 4"):
        read_dataset(write(tmp_path / "more.csv", "sentence,label,\na,B,note,more\n"))


def test_a_named_third_column_is_not_read_past(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="unrecognised format"):
        read_dataset(write(tmp_path / "named.csv", "sentence,label,source\na,B,web\n"))


def test_banking77_csv_whatever_the_file_name(tmp_path: Path) -> None:
    path = write(tmp_path / "data.txt", "text,category\nI am still waiting on my card?,card_arrival\n")
    data = read_dataset(path, "test")
    assert data.format == "BANKING77 CSV"
    assert data.utterances == [Utterance("I am still waiting on my card?", "card_arrival")]


CLINC = {
    "train": [["what is my balance", "balance"], ["translate hello", "translate"]],
    "val": [["balance please", "balance"]],
    "oos_val": [["tell me a joke about cats", "oos"]],
    "oos_train": [["how tall is everest", "oos"]],
}


def test_clinc_json_roles_select_their_lists(tmp_path: Path) -> None:
    path = write(tmp_path / "clinc.json", json.dumps({**CLINC, "test": [["hi balance", "balance"]], "oos_test": []}))
    assert [u.text for u in read_dataset(path, "train").utterances] == ["what is my balance", "translate hello"]
    val = read_dataset(path, "val")
    assert val.format == "CLINC150 JSON"
    assert val.utterances == [Utterance("balance please", "balance"), Utterance("tell me a joke about cats", OOS)]
    assert read_dataset(path, "test").utterances == [Utterance("hi balance", "balance")]


def test_clinc_json_without_a_roles_key_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path / "train_val.json", json.dumps(CLINC))
    with pytest.raises(DatasetError, match=r"no 'test' list, needed for --test"):
        read_dataset(path, "test")


def test_knowledge_base_yaml_directory_and_file(tmp_path: Path) -> None:
    entry = {
        "id": "battery",
        "category": "test",
        "questions": {"en": ["How long is the battery warranty?"], "zh": ["电池保修多久"]},
        "answer": {"en": "one year"},
    }
    disabled = {**entry, "id": "old-one", "enabled": False}
    (tmp_path / "kb").mkdir()
    file = write(tmp_path / "kb" / "p01.yml", yaml.safe_dump({"entries": [entry, disabled]}, allow_unicode=True))
    for source in (tmp_path / "kb", file):
        data = read_dataset(source)
        assert data.format == "knowledge-base YAML"
        assert data.utterances == [
            Utterance("电池保修多久", "battery", "zh"),
            Utterance("How long is the battery warranty?", "battery", "en"),
        ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "empty file"),
        ("odd.csv", "question,answer\na,b\n", "unrecognised format"),
        ("bad.json", "{not json", "invalid JSON"),
        ("list.json", "[1, 2]", "not a CLINC150 file"),
        ("pairs.json", json.dumps({"train": [["only text"]]}), r"train\[0\] is not a \[text, intent\] pair"),
        ("cols.csv", "sentence,label\na,b,c\n", "line 2: expected 2 columns"),
        ("kb.yml", "entries: 3\n", "top-level 'entries' list"),
    ],
)
def test_bad_files_raise_a_dataset_error(tmp_path: Path, name: str, content: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        read_dataset(write(tmp_path / name, content))


def test_missing_file_is_a_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        read_dataset(tmp_path / "nope.csv")


def test_the_cli_reports_a_bad_file_with_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path / "train.csv", "sentence,label\nhello,greet\nbye,leave\n")
    bad = write(tmp_path / "test.json", json.dumps(CLINC))
    code = main(["eval-intents", "--train", str(good), "--test", str(bad)], embedder=HashingEmbedder())
    assert code == 2
    assert "error:" in capsys.readouterr().err


def test_to_entries_one_entry_per_in_scope_label() -> None:
    utterances = [
        Utterance("a b", "Label With Spaces"),
        Utterance("c d", "other"),
        Utterance("e f", "Label With Spaces"),
        Utterance("g h", OOS),
    ]
    entries, label_of = to_entries(utterances)
    assert [label_of[e.id] for e in entries] == ["Label With Spaces", "other"]
    assert entries[0].questions == {"en": ["a b", "e f"]}
    assert entries[0].answer == {"en": "Label With Spaces"}
