"""The date libraries' import (desk/eligibility/date_libraries.py): jionlp's banner is kept off
stdout without losing the process's stdout to two threads importing at once."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
import time
import types
from collections.abc import Sequence

import pytest

from desk.eligibility import date_libraries


class SlowBanner(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """A `jionlp` that prints a banner and takes a while to import, as the real one does."""

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        return importlib.machinery.ModuleSpec(name, self) if name == "jionlp" else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        print("# jionlp - a banner")
        time.sleep(0.3)


def test_two_threads_importing_at_once_leave_stdout_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    date_libraries.warm_up()  # the real one in sys.modules, where the test's end puts it back
    monkeypatch.setattr(date_libraries, "_jionlp_module", None)
    monkeypatch.delitem(sys.modules, "jionlp")
    monkeypatch.setattr(sys, "meta_path", [SlowBanner(), *sys.meta_path])
    stdout = sys.stdout
    start = threading.Barrier(2)

    def first_case_turn() -> None:
        start.wait()
        date_libraries._jionlp_library()

    threads = [threading.Thread(target=first_case_turn) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sys.stdout is stdout
    assert date_libraries._jionlp_module.__name__ == "jionlp"
