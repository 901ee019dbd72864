"""Rasa's SQL tracker store, told how many rows it read instead of counting them again on save.

Rasa 3.6's `SQLTrackerStore.save` first counts the conversation's rows since its latest session
start, to know which of the tracker's events are new: one more query per turn, on Rasa's event loop
(13 % of a Rasa replica's loop in `make cluster` 1×1, by py-spy; `bench.tracker_save` times it).
That count equals the rows `retrieve` read moments before, as long as nothing wrote in between, and
nothing does: every writer of a conversation (a message, `/tracker/events`, `trigger_intent`,
`execute`) holds the conversation's lock from reading its tracker to saving it (Rasa's lock store:
Redis in a cluster, so across replicas too).

So this store keeps the number of rows on the tracker it hands out, and `save` writes the events
after it, then moves it on. A tracker it did not read (a new conversation, `PUT /tracker/events`,
a full-history read) carries no number: its first save counts as Rasa's does, and keeps the number
for the next one (a new conversation's turn saves twice: when Rasa creates it, and at the end).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

# The attribute a tracker read by this store carries: its conversation's rows since the latest
# session start, as the stock count query would find them.
STORED_ROWS = "_stored_rows_since_session_start"


class KnownRowsSQLTrackerStore(SQLTrackerStore):  # type: ignore[misc]
    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            # One event per row read: Rasa rebuilds the tracker from every row since the session start.
            setattr(tracker, STORED_ROWS, len(tracker.events))
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Any]:
        stored = getattr(tracker, STORED_ROWS, None)
        if stored is None:
            # Rasa's count, for a tracker this store did not read; kept for its next save.
            stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
            setattr(tracker, STORED_ROWS, stored)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        # A second save of the same tracker (within the same lock) writes only what came after.
        setattr(tracker, STORED_ROWS, max(getattr(tracker, STORED_ROWS), len(tracker.events)))
