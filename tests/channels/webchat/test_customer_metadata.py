"""The web chat holds a client's `customData` to the same bounds as the conversation API's metadata
(desk.message_text): what Rasa's socket.io widgets send goes to Rasa with every message."""

from __future__ import annotations

from typing import Any

import pytest

from channels.webchat.session import InvalidMessage, customer_message
from desk.message_text import MAX_METADATA_BYTES

CONVERSATION = "web:" + "A" * 24


def test_small_custom_data_goes_to_the_assistant() -> None:
    metadata = {"language": "en", "page": "/products/rv7"}
    assert customer_message(CONVERSATION, text="hi", metadata=metadata).metadata == metadata


@pytest.mark.parametrize(
    ("metadata", "problem"),
    [
        ({"blob": "x" * (512 * 1024)}, f"at most {MAX_METADATA_BYTES} bytes"),
        ({str(i): i for i in range(65)}, "at most 64 keys"),
        ({"a": {"b": {"c": {"d": {"e": 1}}}}}, "at most 4 levels"),
        ({"a": float("inf")}, "finite"),
        ({"a": {1, 2}}, "must be JSON"),
    ],
    ids=["bytes", "keys", "depth", "infinite", "not-json"],
)
def test_custom_data_beyond_the_bounds_is_refused(metadata: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidMessage, match=problem):
        customer_message(CONVERSATION, text="hi", metadata=metadata)
