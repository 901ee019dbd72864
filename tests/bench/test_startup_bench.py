"""`bench.startup`: reading `knowledge adapt --help` for where its output goes."""

from __future__ import annotations

from bench.startup import output_option, tail


def test_output_option_is_read_from_help() -> None:
    assert output_option("usage: adapt [-h] [--out DIR] [--epochs N]") == "--out"
    assert output_option("  --out-dir OUT_DIR  where the adapted model goes") == "--out-dir"
    assert output_option("usage: adapt [-h] [--output-format FMT]") is None
    assert output_option("usage: adapt [-h] [--epochs N] [--index-dir DIR]") is None


def test_tail_keeps_the_last_lines() -> None:
    assert tail("a\nb\nc\n", 2) == "b\nc"
