"""The order or repair number a customer wrote, as they write it: in any case, in full-width
characters, with spaces or dashes between the digits ("lm 2026 1126 0001"), inside a sentence. A
near miss (an "LM" or "RMA" followed by the wrong count of digits) is told apart from no number at
all, so the assistant can show the format instead of asking again as if nothing had been said."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from desk.orders.records import order_number, rma_number


class LookupKind(StrEnum):
    ORDER = "order"
    REPAIR = "repair"


@dataclass(frozen=True)
class LookupNumber:
    kind: LookupKind
    number: str  # normalised: LM + 12 digits, RMA + 8 digits


# A prefix not glued to a longer word, then digits that may be split by spaces or dashes.
# ASCII after NFKC: full-width letters and digits (what Chinese input methods type) become ASCII,
# other scripts' digits stay out.
_CANDIDATE = re.compile(r"(?<![A-Za-z])(RMA|LM)[\s\-:#]*(\d(?:[\s\-]?\d)*)", re.IGNORECASE | re.ASCII)


def _candidates(text: str) -> Iterator[re.Match[str]]:
    return _CANDIDATE.finditer(unicodedata.normalize("NFKC", text))


def find_lookup_number(text: str) -> LookupNumber | None:
    """The first well-formed order or RMA number in `text`."""
    for match in _candidates(text):
        prefix, digits = match.group(1).upper(), match.group(2)
        if prefix == "LM" and (number := order_number(prefix + digits)):
            return LookupNumber(LookupKind.ORDER, number)
        if prefix == "RMA" and (number := rma_number(prefix + digits)):
            return LookupNumber(LookupKind.REPAIR, number)
    return None


def near_miss(text: str) -> LookupKind | None:
    """The kind of number the customer seems to have meant when `text` holds an LM or RMA number of
    the wrong length and no well-formed one."""
    if find_lookup_number(text) is not None:
        return None
    match = next(_candidates(text), None)
    if match is None:
        return None
    return LookupKind.REPAIR if match.group(1).upper() == "RMA" else LookupKind.ORDER
