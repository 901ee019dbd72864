from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.app_factory import build_app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The app with a real database and index, and Rasa's address pointing at a closed port.

    The knowledge base is seeded from seed files holding the index's entries (so no rebuild at start).
    """
    with TestClient(build_app(tmp_path), raise_server_exceptions=False) as test_client:
        yield test_client
