"""The retriever a running process serves: loaded once, swapped when a rebuilt index appears."""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from pathlib import Path

import structlog

from knowledge.calibration import Calibration, load_calibration
from knowledge.embedder import Embedder, SentenceTransformerEmbedder
from knowledge.entries import FaqEntry
from knowledge.index import IndexUnavailable, Manifest, load_retriever, read_manifest
from knowledge.language import Language
from knowledge.retriever import HybridRetriever, SearchResult
from knowledge.settings import KnowledgeSettings, get_settings

log = structlog.get_logger(__name__)

# Searches remembered per loaded index.
RECENT_SEARCHES = 256


class LiveRetriever:
    """A `Retriever` over the index directory that notices a new manifest and swaps atomically.

    The embedding model is shared across swaps; readers keep the retriever they started with.
    """

    def __init__(self, settings: KnowledgeSettings, embedder: Embedder | None = None) -> None:
        self._settings = settings
        self._embedder = embedder or SentenceTransformerEmbedder(settings.model_in_use())
        self._current: HybridRetriever | None = None
        self._manifest: Manifest | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        # Per loaded index, forgotten with it: a swap is never answered from the old one's results.
        self._recent: weakref.WeakKeyDictionary[
            HybridRetriever, OrderedDict[tuple[str, Language | None, int], SearchResult]
        ] = weakref.WeakKeyDictionary()
        self._recent_lock = threading.Lock()

    @property
    def index_dir(self) -> Path:
        return self._settings.index_dir

    @property
    def settings(self) -> KnowledgeSettings:
        return self._settings

    @property
    def embedder(self) -> Embedder:
        """The model shared by every index this process loads (and by rebuilds for it)."""
        return self._embedder

    def calibration(self) -> Calibration:
        """The calibration a (re)loaded or rebuilt index is given."""
        return load_calibration(self._settings.calibration_file)

    @property
    def manifest(self) -> Manifest | None:
        return self._manifest

    def current(self) -> HybridRetriever:
        """The newest loaded retriever, reloading when the manifest on disk has changed."""
        now = time.monotonic()
        if self._current is None or now - self._checked_at >= self._settings.reload_interval:
            self._refresh(now)
        assert self._current is not None
        return self._current

    def _refresh(self, now: float) -> None:
        with self._lock:
            self._checked_at = now
            try:
                self._reload()
            except (IndexUnavailable, OSError, ValueError) as error:
                if self._current is None:
                    raise
                # Mid-swap or a broken rebuild: keep answering with the index already loaded.
                log.warning("knowledge_index_reload_failed", error=str(error))

    def _reload(self) -> None:
        manifest = read_manifest(self._settings.index_dir)
        if self._current is not None and manifest == self._manifest:
            return
        retriever = load_retriever(
            self._settings.index_dir, self._embedder, self.calibration(), self._settings.dense_languages
        )
        self._current, self._manifest = retriever, manifest
        log.info("knowledge_index_loaded", entries=manifest.entries, checksum=manifest.checksum[:12])

    def reload(self) -> None:
        """Load the index on disk now if its manifest changed, without waiting for `reload_interval`;
        unlike the periodic check, a failure is raised (the loaded index keeps answering)."""
        with self._lock:
            self._checked_at = time.monotonic()
            self._reload()

    def install(self, retriever: HybridRetriever, manifest: Manifest) -> None:
        """Serve `retriever`, just built and saved with `manifest`, from the next search on.

        Saves loading back what is already in memory; the periodic check then finds the manifest
        on disk unchanged.
        """
        with self._lock:
            self._current, self._manifest = retriever, manifest
            self._checked_at = time.monotonic()
        log.info("knowledge_index_installed", entries=manifest.entries, checksum=manifest.checksum[:12])

    def warm_up(self) -> None:
        """Load the index and the model now rather than on the first customer question."""
        self.current().search("warm up")

    def search(self, query: str, language: Language | None = None, k: int = 5) -> SearchResult:
        """The current index's answer. The last `RECENT_SEARCHES` are kept per index: a turn searches
        its message once for the routing evidence sent to Rasa and again in the action Rasa calls."""
        current = self.current()
        key = (query, language, k)
        with self._recent_lock:
            recent = self._recent.get(current)
            if recent is None:
                recent = self._recent[current] = OrderedDict()
            found = recent.get(key)
            if found is not None:
                recent.move_to_end(key)
                return found
        result = current.search(query, language, k)
        with self._recent_lock:
            recent[key] = result
            while len(recent) > RECENT_SEARCHES:
                recent.popitem(last=False)
        return result

    def entry(self, entry_id: str) -> FaqEntry | None:
        return self.current().entry(entry_id)


_shared: LiveRetriever | None = None
_shared_lock = threading.Lock()


def shared_retriever() -> LiveRetriever:
    """The process-wide live retriever: the app and the actions it hosts use the same one."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = LiveRetriever(get_settings())
        return _shared
