"""The bounds on a customer's metadata (desk.message_text.metadata_problem): any shape of input is
judged quickly and without recursion."""

from __future__ import annotations

import time

from desk.message_text import MAX_METADATA_BYTES, MAX_METADATA_DEPTH, MAX_METADATA_KEYS, metadata_problem


def test_metadata_within_the_bounds_passes() -> None:
    nested: dict[str, object] = {"a": {"b": {"c": [1, 2.5, True, None, "x"]}}}
    assert metadata_problem({}) is None
    assert metadata_problem(nested) is None
    assert metadata_problem({f"k{i}": "v" for i in range(MAX_METADATA_KEYS)}) is None
    assert metadata_problem({"note": "保" * ((MAX_METADATA_BYTES - 20) // 3)}) is None


def test_each_bound_is_named_in_the_refusal() -> None:
    assert metadata_problem([1]) == "metadata must be a JSON object"
    assert f"{MAX_METADATA_KEYS} keys" in str(metadata_problem({f"k{i}": i for i in range(MAX_METADATA_KEYS + 1)}))
    assert f"{MAX_METADATA_DEPTH} levels" in str(metadata_problem({"a": {"b": {"c": {"d": []}}}}))
    assert f"{MAX_METADATA_BYTES} bytes" in str(metadata_problem({"a": "保" * MAX_METADATA_BYTES}))
    assert metadata_problem({"a": float("nan")}) == "metadata numbers must be finite"


def test_hostile_shapes_are_judged_at_once() -> None:
    deep: object = 1
    for _ in range(100_000):  # json.dumps or a recursive walk would overflow the stack
        deep = [deep]
    wide = {"a": list(range(1_000_000))}
    started = time.perf_counter()
    assert metadata_problem({"a": deep}) is not None
    assert metadata_problem(wide) is not None
    assert time.perf_counter() - started < 0.5
