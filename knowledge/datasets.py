"""Labelled-utterance data sets for the evaluation harness, recognised by their content.

Formats (sniffed from the file itself, not from its name):

- HINT3 CSV: header `sentence,label`; out-of-scope label `NO_NODES_DETECTED`.
- BANKING77 CSV: header `text,category`; no out-of-scope label.
- CLINC150 JSON: an object of `[text, intent]` lists under `train`, `val`, `test` and `oos_train`,
  `oos_val`, `oos_test`; out-of-scope intent `oos`. The role picks the lists: `train` reads `train`,
  `val` reads `val` + `oos_val`, `test` reads `test` + `oos_test`, so one file can serve several roles.
- The knowledge base's own YAML (`knowledge/faq` format), a directory of `*.yml` files or one file:
  every English and Chinese question of an enabled entry, labelled with the entry id.

Every out-of-scope label becomes `OOS`. Anything unreadable raises `DatasetError` (a `ValueError`,
which the CLI turns into a message and exit code 2).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from knowledge.entries import FaqEntry, KnowledgeBaseError, check_unique_ids, load_entries
from knowledge.language import Language

OOS = "__oos__"
Role = Literal["train", "val", "test"]
ROLES: tuple[Role, ...] = ("train", "val", "test")

HINT3_OOS = "NO_NODES_DETECTED"
CLINC_OOS = "oos"
CLINC_KEYS: dict[Role, tuple[str, ...]] = {"train": ("train",), "val": ("val", "oos_val"), "test": ("test", "oos_test")}
CSV_FORMATS: dict[tuple[str, str], tuple[str, str | None]] = {
    # header columns -> (format name, out-of-scope label)
    ("sentence", "label"): ("HINT3", HINT3_OOS),
    ("text", "category"): ("BANKING77", None),
}


class DatasetError(ValueError):
    """A data set file that cannot be read as any supported format."""


@dataclass(frozen=True)
class Utterance:
    text: str
    label: str  # `OOS` for out-of-scope
    language: Language = "en"

    @property
    def in_scope(self) -> bool:
        return self.label != OOS


@dataclass(frozen=True)
class Dataset:
    path: Path
    format: str
    role: Role
    utterances: list[Utterance]

    @property
    def n_oos(self) -> int:
        return sum(1 for u in self.utterances if not u.in_scope)

    @property
    def labels(self) -> list[str]:
        """The in-scope labels, in order of first appearance."""
        return list(dict.fromkeys(u.label for u in self.utterances if u.in_scope))


def read_dataset(path: Path, role: Role = "train") -> Dataset:
    """The utterances of `path` for `role` (only CLINC150 JSON files distinguish roles)."""
    if role not in ROLES:
        raise DatasetError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if path.is_dir():
        return Dataset(path, "knowledge-base YAML", role, _from_entries(_kb_directory(path)))
    if not path.is_file():
        raise DatasetError(f"{path}: no such file or directory")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path}: cannot read as UTF-8 text ({error})") from error
    stripped = text.lstrip()
    if not stripped:
        raise DatasetError(f"{path}: empty file")
    if stripped[0] in "{[":
        utterances, name = _clinc(path, text, role), "CLINC150 JSON"
    else:
        first_line = stripped.splitlines()[0]
        header = tuple(c.strip().lower() for c in next(csv.reader([first_line])))
        # Columns without a name after the two (HINT3 v2's Powerplay11: "sentence,label," with annotators'
        # notes under the blank one) are read past.
        if header[:2] in CSV_FORMATS and not any(header[2:]):
            name, oos = CSV_FORMATS[(header[0], header[1])]
            utterances = _csv(path, text, oos, len(header))
            name += " CSV"
        elif path.suffix.lower() in (".yml", ".yaml") or first_line.startswith("entries:"):
            utterances, name = _from_entries(_kb_file(path, text)), "knowledge-base YAML"
        else:
            raise DatasetError(
                f"{path}: unrecognised format (first line {first_line[:80]!r}); expected a HINT3 CSV "
                "(sentence,label), a BANKING77 CSV (text,category), a CLINC150 JSON or knowledge-base YAML"
            )
    if not utterances:
        raise DatasetError(f"{path}: no utterances for role {role!r}")
    return Dataset(path, name, role, utterances)


def _csv(path: Path, text: str, oos_label: str | None, columns: int = 2) -> list[Utterance]:
    reader = csv.reader(io.StringIO(text.lstrip()))
    next(reader)  # the header, already checked
    out: list[Utterance] = []
    for line, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if not 2 <= len(row) <= columns:
            expected = "2 columns" if columns == 2 else f"2 to {columns} columns"
            raise DatasetError(f"{path}, line {line}: expected {expected}, found {len(row)}")
        sentence, label = row[0].strip(), row[1].strip()
        if not label:
            raise DatasetError(f"{path}, line {line}: empty label")
        if sentence:
            out.append(Utterance(sentence, OOS if label == oos_label else label))
    return out


def _clinc(path: Path, text: str, role: Role) -> list[Utterance]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise DatasetError(f"{path}: invalid JSON ({error})") from error
    if not isinstance(document, dict) or not any(k in document for ks in CLINC_KEYS.values() for k in ks):
        raise DatasetError(f"{path}: not a CLINC150 file (expected an object with train/val/test lists)")
    out: list[Utterance] = []
    for key in CLINC_KEYS[role]:
        if key not in document:
            present = ", ".join(sorted(document)) or "none"
            raise DatasetError(f"{path}: no {key!r} list, needed for --{role} (keys present: {present})")
        rows = document[key]
        if not isinstance(rows, list):
            raise DatasetError(f"{path}: {key!r} is not a list")
        for position, row in enumerate(rows):
            if not (isinstance(row, list) and len(row) == 2 and all(isinstance(c, str) for c in row)):
                raise DatasetError(f"{path}: {key}[{position}] is not a [text, intent] pair")
            sentence, label = row[0].strip(), row[1].strip()
            if sentence:
                out.append(Utterance(sentence, OOS if label == CLINC_OOS or key.startswith("oos") else label))
    return out


def _kb_directory(path: Path) -> list[FaqEntry]:
    try:
        return load_entries(path)
    except (KnowledgeBaseError, yaml.YAMLError, OSError) as error:
        raise DatasetError(str(error)) from error


def _kb_file(path: Path, text: str) -> list[FaqEntry]:
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise DatasetError(f"{path}: invalid YAML ({error})") from error
    raw_entries = document.get("entries") if isinstance(document, dict) else None
    if not isinstance(raw_entries, list):
        raise DatasetError(f"{path}: expected a top-level 'entries' list")
    entries: list[FaqEntry] = []
    for position, raw in enumerate(raw_entries):
        try:
            entries.append(FaqEntry.model_validate(raw))
        except ValueError as error:
            raise DatasetError(f"{path}, entry {position + 1}: {error}") from error
    try:
        check_unique_ids(entries)
    except KnowledgeBaseError as error:
        raise DatasetError(f"{path}: {error}") from error
    return entries


def _from_entries(entries: Sequence[FaqEntry]) -> list[Utterance]:
    return [Utterance(text, e.id, lang) for e in entries if e.enabled for lang, text in e.phrasings()]


def to_entries(utterances: Sequence[Utterance]) -> tuple[list[FaqEntry], dict[str, str]]:
    """One knowledge-base entry per in-scope label, its utterances as phrasings and the label as its
    answer; also the entry id -> label map (labels need not match the entry-id pattern)."""
    grouped: dict[str, dict[Language, list[str]]] = {}
    for u in utterances:
        if u.in_scope:
            grouped.setdefault(u.label, {}).setdefault(u.language, []).append(u.text)
    entries: list[FaqEntry] = []
    label_of: dict[str, str] = {}
    for number, (label, questions) in enumerate(grouped.items()):
        entry_id = f"intent-{number:05d}"
        entries.append(FaqEntry(id=entry_id, category="intent", questions=questions, answer={"en": label}))
        label_of[entry_id] = label
    return entries, label_of
