"""Benchmarks: rerunnable scripts that write their results to bench/results/. Never run by the tests."""
