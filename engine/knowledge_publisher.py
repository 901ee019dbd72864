"""Publishing the knowledge base: the database's entries become the index the bot answers from.

A publication records the entry versions it takes, builds a retriever from them off the event loop
(conversations go on meanwhile), saves it beside the live index and swaps it in with a rename, then
hands it to the process's `LiveRetriever`: the next customer question already uses it, no restart.
One publication at a time; a failed build is recorded and the old index keeps answering.

With several app replicas (`APP_REDIS_URL`) a publication is announced on the event bus (topic
`knowledge`) and every other replica loads the new index from the index directory at once
(`follow`), off any customer's request. The replicas must therefore read one index directory: on one
machine they do (`KNOWLEDGE_INDEX_DIR`); on several it must be shared storage (a network file
system), since a replica that finds another index there than the one announced only says so
(`knowledge_index_not_shared`) and keeps answering from the index it has. One publication builds at a
time across the replicas too: it holds the lease `knowledge-publish` (engine/leases.py) while it
builds, and a replica that starts fails only the publications nobody is building any more.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, nullcontext, suppress
from pathlib import Path

import numpy as np
import numpy.typing as npt
import structlog

from desk.knowledge_base import KnowledgeBase, PublicationView, Snapshot, enabled_only
from engine.blocking import run_blocking
from engine.events import KNOWLEDGE, EventBus
from engine.knowledge_preview import Preview, preview
from engine.leases import LeaseBusy, Leases
from knowledge.embedder import Embedder, Vectors
from knowledge.entries import FaqEntry, entries_checksum, load_entries
from knowledge.index import IndexUnavailable, Manifest, build_retriever, read_manifest, save_index
from knowledge.language import Language
from knowledge.live import LiveRetriever
from knowledge.retriever import HybridRetriever, Phrasings, SignalModel

log = structlog.get_logger(__name__)

INTERRUPTED = "the app stopped before this publication finished; publish again"
PUBLISH_LEASE = "knowledge-publish"
IN_PROGRESS = "a publication is already building; wait for it to finish, then publish again"


class PublishInProgress(RuntimeError):
    """A publication is already building."""


class PhrasingVectors:
    """An `Embedder` for builds that remembers the phrasings' vectors: a rebuild after an edit
    embeds only the new phrasings. Queries never go through it (the cache would grow with them)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._vectors: dict[str, npt.NDArray[np.float32]] = {}
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._embedder.name

    @property
    def dimension(self) -> int:
        return self._embedder.dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            known = dict(self._vectors)
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            known.update(zip(missing, self._embedder.encode(missing), strict=True))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            # Keep what this build used: edited-away phrasings drop out.
            self._vectors = {t: known[t] for t in texts}
        return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)


class KnowledgePublisher:
    def __init__(self, knowledge: KnowledgeBase, live: LiveRetriever, leases: Leases | None = None) -> None:
        """`leases`: the replicas' (one publication builds at a time among them); None: this process's
        lock alone."""
        self._knowledge = knowledge
        self._live = live
        self._leases = leases
        self._publishing = threading.Lock()
        self._task: asyncio.Task[None] | None = None
        self._draft_lock = threading.Lock()
        self._draft: tuple[str, HybridRetriever] | None = None
        self._vectors = PhrasingVectors(live.embedder)
        self._bus: EventBus | None = None

    @property
    def building(self) -> bool:
        return self._publishing.locked()

    # Start-up -------------------------------------------------------------------------------------

    def prepare(self, seed_dir: Path | None = None) -> None:
        """At start: seed an empty knowledge base from the YAML files, and rebuild the index when it
        does not hold what was last published (e.g. `make` rebuilt it from the YAML files)."""
        knowledge = self._knowledge
        # A publication another replica is building (it holds the lease) is not this start's to fail.
        building_elsewhere = self._leases is not None and self._leases.store.held(PUBLISH_LEASE)
        abandoned = [] if building_elsewhere else knowledge.fail_unfinished(INTERRUPTED)
        if abandoned:
            log.warning("knowledge_publications_interrupted", publications=abandoned)
        if knowledge.is_empty():
            source = seed_dir or self._live.settings.faq_dir
            seeded = knowledge.seed(load_entries(source))
            log.info("knowledge_base_seeded", entries=seeded, source=str(source))
        published = knowledge.published_entries()
        wanted = entries_checksum(enabled_only(published))
        try:
            manifest: Manifest | None = read_manifest(self._live.index_dir)
        except (IndexUnavailable, OSError, ValueError, TypeError):
            manifest = None
        if manifest is not None and manifest.checksum == wanted and manifest.model == self._live.embedder.name:
            return
        log.info(
            "knowledge_index_outdated",
            index=manifest.checksum[:12] if manifest else None,
            published=wanted[:12],
            entries=len(published),
        )
        try:
            self.rebuild(published)
        except Exception:
            if manifest is None:
                raise  # nothing to answer from
            # Start anyway: the index on disk answers until a publication succeeds.
            log.exception("knowledge_index_rebuild_failed")

    # Publishing -----------------------------------------------------------------------------------

    def rebuild(self, entries: Sequence[FaqEntry]) -> Manifest:
        """Build an index of the enabled `entries`, save it over the live one and serve it now."""
        live = self._live
        built = build_retriever(
            entries,
            self._vectors,
            live.calibration(),
            dense_languages=live.settings.dense_languages,
            reuse_calibrated_fusion=True,
        )
        # The same retriever, answering queries with the live embedder itself.
        retriever = HybridRetriever(
            built.entries, live.embedder, built.signals, built.learned_fusion, built.calibration, built.dense_languages
        )
        manifest = save_index(retriever, live.index_dir)
        live.install(retriever, manifest)
        log.info("knowledge_index_rebuilt", entries=manifest.entries, checksum=manifest.checksum[:12])
        return manifest

    async def publish(self, actor: str) -> PublicationView:
        """Start a publication of the current entries; it builds in the background."""
        if not self._publishing.acquire(blocking=False):
            raise PublishInProgress(IN_PROGRESS)
        started: asyncio.Future[PublicationView] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._publish(actor, started))
        return await started

    async def _publish(self, actor: str, started: asyncio.Future[PublicationView]) -> None:
        """Start the publication (in the replicas' lease, when there are replicas) and build it; what
        the start gave, a publication or an error, goes to `started`."""
        try:
            async with self._lease():
                publication, snapshot = await run_blocking(self._knowledge.start_publication, actor)
                started.set_result(publication)
                await self._build(publication.id, snapshot)
        except LeaseBusy:
            started.set_exception(PublishInProgress(IN_PROGRESS))
        except BaseException as error:
            if not started.done():
                started.set_exception(error)
            else:  # the lease lost while building (another replica took it over)
                log.warning("knowledge_publication_stopped", error=repr(error))
            if not isinstance(error, Exception):
                raise
        finally:
            self._publishing.release()

    def _lease(self) -> AbstractAsyncContextManager[None]:
        return self._leases.holding(PUBLISH_LEASE, wait=0) if self._leases is not None else nullcontext()

    async def _build(self, publication_id: int, snapshot: Snapshot) -> None:
        try:
            manifest = await run_blocking(self._build_and_record, publication_id, snapshot)
        except Exception:
            # Recording the outcome failed (the database?): the next start marks it failed.
            log.exception("knowledge_publication_not_recorded", publication=publication_id)
        else:
            if manifest is not None and self._bus is not None:
                self._bus.publish(KNOWLEDGE, "published", publication=publication_id, checksum=manifest.checksum)

    def _build_and_record(self, publication_id: int, snapshot: Snapshot) -> Manifest | None:
        try:
            manifest = self.rebuild(snapshot.entries)
        except Exception as error:
            # Nothing was swapped (save_index renames only a complete index): the old one answers on.
            log.exception("knowledge_publication_failed", publication=publication_id)
            self._knowledge.fail_publication(publication_id, f"{type(error).__name__}: {error}")
            return None
        self._knowledge.finish_publication(publication_id, manifest.checksum)
        log.info("knowledge_published", publication=publication_id, entries=manifest.entries)
        return manifest

    # Other replicas -------------------------------------------------------------------------------

    async def follow(self, bus: EventBus) -> None:
        """Until cancelled: announce this process's publications on `bus`, and load the index of
        every publication announced there (another replica's) as soon as it is announced."""
        self._bus = bus
        try:
            async with bus.subscribe([KNOWLEDGE]) as subscription:
                while True:
                    event = await subscription.next(timeout=60.0)
                    if event is not None and event.kind == "published":
                        await self.load_published(str(event.data.get("checksum", "")))
        finally:
            self._bus = None

    async def load_published(self, checksum: str) -> bool:
        """Load the index directory's index now if it changed (a no-op in the publishing process);
        whether it is the publication announced with `checksum`."""
        live = self._live
        try:
            await run_blocking(live.reload)
        except Exception:
            log.exception("knowledge_index_reload_failed", published=checksum[:12])
            return False
        loaded = live.manifest.checksum if live.manifest is not None else None
        if loaded != checksum:
            log.warning(
                "knowledge_index_not_shared",
                published=checksum[:12],
                loaded=loaded[:12] if loaded else None,
                index_dir=str(live.index_dir),
                hint="every replica must read the same KNOWLEDGE_INDEX_DIR (shared storage across machines)",
            )
            return False
        log.info("knowledge_index_followed", checksum=checksum[:12])
        return True

    async def wait(self) -> None:
        """Until the publication building now (if any) has finished."""
        task = self._task
        if task is not None:
            with suppress(asyncio.CancelledError):
                await asyncio.shield(task)

    # Preview --------------------------------------------------------------------------------------

    def preview(self, question: str, language: Language | None) -> Preview:
        """What the bot answers now (the live index) and what it would answer once the drafts are
        published. Blocking (a draft index may have to be built first): run it in a worker thread."""
        drafts = [v.id for v in self._knowledge.drafts()]
        note = None
        try:
            draft = self.draft_retriever()
        except ValueError as error:  # e.g. every entry disabled: nothing to build
            draft, note = None, f"the drafts cannot be indexed: {error}"
        return preview(self._live, draft, question, language, drafts, note)

    def draft_retriever(self) -> HybridRetriever | None:
        """What the bot would answer from after publishing the current entries, or None when they
        are what the live index holds. Cached until the entries change again.

        Built without re-learning the fusion (that takes most of a publication's time): it reuses
        the live index's weights, which are the calibrated ones whenever a calibration file has them.
        """
        live = self._live.current()
        entries = enabled_only(self._knowledge.current_entries())
        checksum = entries_checksum(entries)
        if checksum == entries_checksum(live.entries):
            return None
        with self._draft_lock:
            if self._draft is not None and self._draft[0] == checksum:
                return self._draft[1]
            phrasings = Phrasings.of(entries)
            signals = SignalModel(len(entries), phrasings, self._vectors.encode(phrasings.texts))
            draft = HybridRetriever(
                entries, live.embedder, signals, live.learned_fusion, live.calibration, live.dense_languages
            )
            self._draft = (checksum, draft)
            return draft
