"""The calibration file: fusion weights and abstention thresholds per language, chosen on data.

`python -m knowledge calibrate` fits both on the development set and writes
`knowledge/calibration.yml` (reviewable in git); without the file, the fusion learned at build time
from the knowledge base's own phrasings and default thresholds are used.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from knowledge.abstention import Thresholds
from knowledge.fusion import FusionWeights
from knowledge.language import LANGUAGES, Language


@dataclass(frozen=True)
class Calibration:
    thresholds: dict[Language, Thresholds] = field(default_factory=lambda: {lang: Thresholds() for lang in LANGUAGES})
    # None: the fusion learned at build time from held-out phrasings.
    fusion: FusionWeights | None = None


def _for_languages(
    fitted: Calibration, kept: Calibration, kept_fusion: FusionWeights, languages: Collection[Language]
) -> Calibration:
    """`fitted`'s thresholds and fusion for `languages`, `kept`'s (its fusion `kept_fusion`) for the others:
    each language's part of a calibration is fitted, and judged, on its own."""
    fusion = fitted.fusion or kept_fusion
    return Calibration(
        {lang: (fitted if lang in languages else kept).thresholds[lang] for lang in LANGUAGES},
        FusionWeights(
            weights={lang: (fusion if lang in languages else kept_fusion).weights[lang] for lang in LANGUAGES},
            bias={lang: (fusion if lang in languages else kept_fusion).bias[lang] for lang in LANGUAGES},
        ),
    )


def load_calibration(path: Path) -> Calibration:
    """The file's values; languages or parts it does not name keep the defaults."""
    if not path.exists():
        return Calibration()
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    thresholds = Calibration().thresholds
    for lang in LANGUAGES:
        values = (document.get("thresholds") or {}).get(lang)
        if values:
            thresholds[lang] = Thresholds(**{k: float(v) for k, v in values.items()})
    fusion = FusionWeights.from_json(document["fusion"]) if document.get("fusion") else None
    return Calibration(thresholds, fusion)


def calibration_note(path: Path) -> str:
    """How the file was fitted (its `note`: the command, the data and the model), or "" without one."""
    if not path.exists():
        return ""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return str(document.get("note") or "")


def language_notes(note: str) -> dict[Language, str]:
    """A note's lines per language ("zh: …", one a language, as a partial refit writes them); a note
    without them says how every language was fitted."""
    lines = {
        lang: line.removeprefix(f"{lang}: ")
        for line in note.splitlines()
        for lang in LANGUAGES
        if line.startswith(f"{lang}: ")
    }
    return lines if lines else dict.fromkeys(LANGUAGES, note)


def save_languages(
    path: Path,
    fitted: Calibration,
    kept_fusion: FusionWeights,
    languages: Collection[Language],
    note: str,
) -> Calibration:
    """Write `fitted`'s part for `languages` with `note` as theirs; the other languages keep the file's
    part (`kept_fusion`: the fusion in use) and its note. Returns what was written."""
    notes = language_notes(calibration_note(path))
    notes.update(dict.fromkeys(languages, note))
    written = _for_languages(fitted, load_calibration(path), kept_fusion, languages)
    save_calibration(path, written, "\n".join(f"{lang}: {notes[lang]}" for lang in LANGUAGES if notes.get(lang)))
    return written


def save_calibration(path: Path, calibration: Calibration, note: str) -> None:
    document: dict[str, object] = {
        "note": note,
        "thresholds": {lang: asdict(t) for lang, t in calibration.thresholds.items()},
    }
    if calibration.fusion is not None:
        document["fusion"] = calibration.fusion.to_json()
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
