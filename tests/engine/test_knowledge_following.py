"""A publication announced on the bus (another replica's) makes this process load the index
directory's index at once; one that is not there is said, and the loaded index keeps answering."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import structlog

from desk.knowledge_base import KnowledgeBase
from engine.events import KNOWLEDGE, EventBus
from engine.knowledge_publisher import KnowledgePublisher
from knowledge.live import LiveRetriever


@dataclass
class Manifest:
    checksum: str


@dataclass
class SharedIndexDir:
    """What `KnowledgePublisher` uses of the `LiveRetriever`: the index on disk is `on_disk`."""

    on_disk: str
    index_dir: Path = Path("/shared/index")
    embedder: Any = None
    manifest: Manifest | None = None
    reloads: list[str] = field(default_factory=list)

    def reload(self) -> None:
        self.reloads.append(self.on_disk)
        self.manifest = Manifest(self.on_disk)


async def followed(live: SharedIndexDir, checksum: str) -> list[dict[str, Any]]:
    bus = EventBus()
    publisher = KnowledgePublisher(cast(KnowledgeBase, None), cast(LiveRetriever, live))
    with structlog.testing.capture_logs() as logs:
        following = asyncio.create_task(publisher.follow(bus))
        while bus.subscribers == 0:
            await asyncio.sleep(0.01)
        bus.publish(KNOWLEDGE, "published", publication=7, checksum=checksum)
        while not live.reloads:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        following.cancel()
        with suppress(asyncio.CancelledError):
            await following
    return logs


async def test_another_replicas_publication_is_loaded_at_once() -> None:
    live = SharedIndexDir(on_disk="c" * 64)
    logs = await followed(live, "c" * 64)
    assert live.reloads == ["c" * 64] and live.manifest == Manifest("c" * 64)
    assert [entry["event"] for entry in logs] == ["knowledge_index_followed"]


async def test_an_index_directory_that_is_not_shared_is_said() -> None:
    live = SharedIndexDir(on_disk="o" * 64)  # this machine's own directory: the old index
    logs = await followed(live, "n" * 64)
    assert [entry["event"] for entry in logs] == ["knowledge_index_not_shared"]
    assert logs[0]["published"] == "n" * 12 and logs[0]["loaded"] == "o" * 12
