"""The live, editable knowledge base: FAQ entries in the database, every version kept.

The YAML files in `knowledge/faq/` only seed it. Leads edit entries here; an edit is a draft until
a publication puts the entry's version into the index the bot answers from. Every change is one
transaction with its revision row and its audit entry. An update names the version it was based on,
and the database decides (a conditional update): a lead never silently overwrites another's edit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.models import KnowledgeEntry, KnowledgePublication, KnowledgeRevision, utcnow
from knowledge.entries import FaqEntry, check_unique_ids, dump_entries

SEED_AUTHOR = "seed"


class KnowledgeError(ValueError):
    """Base of the refusals below; `str()` is the message shown to the lead."""


class KnowledgeNotFound(KnowledgeError):
    """No such entry, version or publication."""


class EntryExists(KnowledgeError):
    pass


class VersionConflict(KnowledgeError):
    """The entry moved on since the version the change was based on."""

    def __init__(self, entry_id: str, base_version: int, current_version: int) -> None:
        super().__init__(
            f"FAQ {entry_id!r} was changed by someone else (you edited version {base_version}, "
            f"it is now at version {current_version}); reload it and apply your change again"
        )
        self.entry_id = entry_id
        self.base_version = base_version
        self.current_version = current_version


class InvalidEntry(KnowledgeError):
    pass


class Change(StrEnum):
    """What a revision did to its entry."""

    SEED = "seed"
    CREATE = "create"
    EDIT = "edit"
    DISABLE = "disable"
    ENABLE = "enable"
    ROLLBACK = "rollback"


class PublicationStatus(StrEnum):
    BUILDING = "building"
    LIVE = "live"
    FAILED = "failed"


def entry_from(raw: Mapping[str, Any]) -> FaqEntry:
    """A `FaqEntry` from untrusted data, or `InvalidEntry` saying what is wrong in plain words."""
    try:
        return FaqEntry.model_validate(dict(raw))
    except ValidationError as error:
        problems = []
        for problem in error.errors(include_url=False):
            where = ".".join(str(part) for part in problem.get("loc", ()))
            message = str(problem.get("msg", "invalid")).removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise InvalidEntry("; ".join(problems) or "invalid FAQ entry") from error


@dataclass(frozen=True)
class EntryView:
    entry: FaqEntry
    version: int
    published_version: int | None
    updated_at: datetime
    updated_by: str

    @property
    def id(self) -> str:
        return self.entry.id

    @property
    def draft(self) -> bool:
        """Changed since the last publication (or never published)."""
        return self.version != self.published_version

    @classmethod
    def of(cls, row: KnowledgeEntry) -> EntryView:
        return cls(
            FaqEntry.model_validate(row.content), row.version, row.published_version, row.updated_at, row.updated_by
        )


@dataclass(frozen=True)
class RevisionView:
    entry_id: str
    version: int
    entry: FaqEntry
    change: str
    author: str
    created_at: datetime
    current: bool
    published: bool


@dataclass(frozen=True)
class PublicationView:
    id: int
    author: str
    created_at: datetime
    finished_at: datetime | None
    status: str
    versions: dict[str, int]
    checksum: str | None
    error: str | None

    @classmethod
    def of(cls, row: KnowledgePublication) -> PublicationView:
        versions = {str(k): int(v) for k, v in (row.versions or {}).items()}
        return cls(row.id, row.author, row.created_at, row.finished_at, row.status, versions, row.checksum, row.error)


@dataclass(frozen=True)
class Snapshot:
    """The current entries (in knowledge-base order) and their versions, read in one transaction."""

    entries: list[FaqEntry]
    versions: dict[str, int]


def _content(entry: FaqEntry) -> dict[str, Any]:
    return entry.model_dump(mode="json")


def _matches(entry: FaqEntry, needle: str) -> bool:
    texts = [entry.id, entry.category, entry.section, *entry.answer.values()]
    texts += [q for qs in entry.questions.values() for q in qs]
    return any(needle in text.casefold() for text in texts)


class KnowledgeBase:
    def __init__(
        self, sessions: sessionmaker[Session], audit: AuditLog, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._sessions = sessions
        self._audit = audit
        self._clock = clock

    # Seeding --------------------------------------------------------------------------------------

    def is_empty(self) -> bool:
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(KnowledgeEntry)) == 0

    def seed(self, entries: Sequence[FaqEntry]) -> int:
        """Store the seed entries as version 1, already published, when the knowledge base is empty.

        Returns how many were stored (0 when the database already held entries). The seed is what
        `python -m knowledge build` indexed from the same files, so it counts as published.
        """
        check_unique_ids(entries)
        now = self._clock()
        with self._sessions() as session:
            if session.scalar(select(func.count()).select_from(KnowledgeEntry)):
                return 0
            try:
                for entry in entries:
                    content = _content(entry)
                    session.add(
                        KnowledgeEntry(
                            id=entry.id,
                            content=content,
                            version=1,
                            published_version=1,
                            updated_at=now,
                            updated_by=SEED_AUTHOR,
                        )
                    )
                    session.add(
                        KnowledgeRevision(
                            entry_id=entry.id,
                            version=1,
                            content=content,
                            change=Change.SEED,
                            author=SEED_AUTHOR,
                            created_at=now,
                        )
                    )
                    # One flush per entry: revision ids keep the files' order, the knowledge base's order.
                    session.flush()
                self._audit.add(session, SEED_AUTHOR, "knowledge.seed", None, entries=len(entries))
                session.commit()
            except IntegrityError:
                # Another process seeded at the same moment: its seed stands.
                session.rollback()
                return 0
            return len(entries)

    # Reading --------------------------------------------------------------------------------------

    @staticmethod
    def _ordered(session: Session) -> list[KnowledgeEntry]:
        """Entries in knowledge-base order: the seed files' order, then in order of creation."""
        first = (
            select(KnowledgeRevision.entry_id, func.min(KnowledgeRevision.id).label("first"))
            .group_by(KnowledgeRevision.entry_id)
            .subquery()
        )
        query = (
            select(KnowledgeEntry)
            .outerjoin(first, first.c.entry_id == KnowledgeEntry.id)
            .order_by(first.c.first, KnowledgeEntry.id)
        )
        return list(session.scalars(query))

    def entries(self, text: str = "", status: str = "") -> list[EntryView]:
        """Entries in knowledge-base order; `text` filters on id, category, section, phrasings and
        answers (case-insensitive); `status` is "", "enabled", "disabled" or "draft"."""
        needle = text.strip().casefold()
        with self._sessions() as session:
            views = [EntryView.of(row) for row in self._ordered(session)]
        if needle:
            views = [v for v in views if _matches(v.entry, needle)]
        if status == "enabled":
            views = [v for v in views if v.entry.enabled]
        elif status == "disabled":
            views = [v for v in views if not v.entry.enabled]
        elif status == "draft":
            views = [v for v in views if v.draft]
        return views

    def get(self, entry_id: str) -> EntryView:
        with self._sessions() as session:
            return EntryView.of(self._row(session, entry_id))

    def drafts(self) -> list[EntryView]:
        return self.entries(status="draft")

    def current_entries(self) -> list[FaqEntry]:
        """Every entry as last saved, drafts included, in knowledge-base order."""
        return self.snapshot().entries

    def snapshot(self) -> Snapshot:
        with self._sessions() as session:
            rows = self._ordered(session)
            return Snapshot([FaqEntry.model_validate(r.content) for r in rows], {r.id: r.version for r in rows})

    def published_entries(self) -> list[FaqEntry]:
        """Every entry as last published (disabled ones included, as disabled), in knowledge-base order."""
        with self._sessions() as session:
            rows = self._ordered(session)
            wanted = {r.id: r.published_version for r in rows if r.published_version is not None}
            contents: dict[str, dict[str, Any]] = {
                r.id: r.content for r in rows if r.published_version is not None and r.published_version == r.version
            }
            older = [entry_id for entry_id, version in wanted.items() if entry_id not in contents]
            if older:
                for revision in session.scalars(select(KnowledgeRevision).where(KnowledgeRevision.entry_id.in_(older))):
                    if wanted[revision.entry_id] == revision.version:
                        contents[revision.entry_id] = revision.content
            return [FaqEntry.model_validate(contents[r.id]) for r in rows if r.id in contents]

    def revisions(self, entry_id: str) -> list[RevisionView]:
        """The entry's versions, newest first."""
        with self._sessions() as session:
            row = self._row(session, entry_id)
            revisions = session.scalars(
                select(KnowledgeRevision)
                .where(KnowledgeRevision.entry_id == entry_id)
                .order_by(KnowledgeRevision.version.desc())
            ).all()
            return [
                RevisionView(
                    r.entry_id,
                    r.version,
                    FaqEntry.model_validate(r.content),
                    r.change,
                    r.author,
                    r.created_at,
                    current=r.version == row.version,
                    published=r.version == row.published_version,
                )
                for r in revisions
            ]

    def export(self) -> str:
        """The current entries (drafts and disabled ones included) in the YAML seed format."""
        return dump_entries(self.current_entries())

    # Changing -------------------------------------------------------------------------------------

    def create(self, entry: FaqEntry, actor: str) -> EntryView:
        now = self._clock()
        with self._sessions() as session:
            if session.get(KnowledgeEntry, entry.id) is not None:
                raise EntryExists(f"an FAQ with the id {entry.id!r} already exists; choose another id")
            content = _content(entry)
            row = KnowledgeEntry(
                id=entry.id, content=content, version=1, published_version=None, updated_at=now, updated_by=actor
            )
            session.add(row)
            session.add(
                KnowledgeRevision(
                    entry_id=entry.id, version=1, content=content, change=Change.CREATE, author=actor, created_at=now
                )
            )
            self._audit.add(session, actor, "knowledge.create", f"faq:{entry.id}", version=1)
            try:
                session.commit()
            except IntegrityError as error:
                raise EntryExists(f"an FAQ with the id {entry.id!r} already exists; choose another id") from error
            return EntryView.of(row)

    def update(self, entry_id: str, entry: FaqEntry, base_version: int, actor: str) -> EntryView:
        """Replace the entry's content, based on `base_version` (else `VersionConflict`)."""
        if entry.id != entry_id:
            raise InvalidEntry(f"the entry's id {entry.id!r} does not match {entry_id!r}; ids cannot be changed")
        return self._change(entry_id, lambda _: entry, Change.EDIT, actor, base_version)

    def disable(self, entry_id: str, actor: str, base_version: int | None = None) -> EntryView:
        return self._change(
            entry_id, lambda e: e.model_copy(update={"enabled": False}), Change.DISABLE, actor, base_version
        )

    def enable(self, entry_id: str, actor: str, base_version: int | None = None) -> EntryView:
        return self._change(
            entry_id, lambda e: e.model_copy(update={"enabled": True}), Change.ENABLE, actor, base_version
        )

    def rollback(self, entry_id: str, version: int, actor: str, base_version: int | None = None) -> EntryView:
        """A new version whose content is that of `version`."""
        with self._sessions() as session:
            self._row(session, entry_id)
            old = session.scalar(
                select(KnowledgeRevision).where(
                    KnowledgeRevision.entry_id == entry_id, KnowledgeRevision.version == version
                )
            )
            if old is None:
                raise KnowledgeNotFound(f"FAQ {entry_id!r} has no version {version}")
            target = FaqEntry.model_validate(old.content)
        return self._change(entry_id, lambda _: target, Change.ROLLBACK, actor, base_version, rolled_back_to=version)

    def _change(
        self,
        entry_id: str,
        new_content: Callable[[FaqEntry], FaqEntry],
        change: str,
        actor: str,
        base_version: int | None,
        **details: Any,
    ) -> EntryView:
        now = self._clock()
        with self._sessions() as session:
            row = self._row(session, entry_id)
            current = FaqEntry.model_validate(row.content)
            based_on = row.version if base_version is None else base_version
            if based_on != row.version:
                raise VersionConflict(entry_id, based_on, row.version)
            entry = new_content(current)
            if entry == current:
                return EntryView.of(row)  # nothing changes: no new version
            content = _content(entry)
            version = based_on + 1
            # Conditional on the version read: of two leads saving at once, exactly one wins.
            moved = session.execute(
                update(KnowledgeEntry)
                .where(KnowledgeEntry.id == entry_id, KnowledgeEntry.version == based_on)
                .values(content=content, version=version, updated_at=now, updated_by=actor)
                .execution_options(synchronize_session=False)
            )
            if getattr(moved, "rowcount", 0) != 1:
                session.rollback()
                raise VersionConflict(entry_id, based_on, self.get(entry_id).version)
            session.add(
                KnowledgeRevision(
                    entry_id=entry_id, version=version, content=content, change=change, author=actor, created_at=now
                )
            )
            self._audit.add(session, actor, f"knowledge.{change}", f"faq:{entry_id}", version=version, **details)
            try:
                session.commit()
            except IntegrityError as error:
                # The revision (entry_id, version) exists: another save of the same base won.
                raise VersionConflict(entry_id, based_on, self.get(entry_id).version) from error
            session.refresh(row)
            return EntryView.of(row)

    @staticmethod
    def _row(session: Session, entry_id: str) -> KnowledgeEntry:
        row = session.get(KnowledgeEntry, entry_id)
        if row is None:
            raise KnowledgeNotFound(f"no FAQ with the id {entry_id!r}")
        return row

    # Publications ---------------------------------------------------------------------------------

    def start_publication(self, actor: str) -> tuple[PublicationView, Snapshot]:
        """Record a publication of the current entries as building; returns it with what it holds."""
        now = self._clock()
        with self._sessions() as session:
            rows = self._ordered(session)
            snapshot = Snapshot([FaqEntry.model_validate(r.content) for r in rows], {r.id: r.version for r in rows})
            publication = KnowledgePublication(
                author=actor, created_at=now, status=PublicationStatus.BUILDING, versions=snapshot.versions
            )
            session.add(publication)
            session.flush()
            drafts = sorted(r.id for r in rows if r.version != r.published_version)
            self._audit.add(
                session, actor, "knowledge.publish", f"publication:{publication.id}", entries=len(rows), drafts=drafts
            )
            session.commit()
            return PublicationView.of(publication), snapshot

    def finish_publication(self, publication_id: int, checksum: str) -> PublicationView:
        """The index holding the publication's versions is live: they become the published ones."""
        now = self._clock()
        with self._sessions() as session:
            publication = self._publication(session, publication_id)
            for entry_id, version in (publication.versions or {}).items():
                session.execute(
                    update(KnowledgeEntry)
                    .where(KnowledgeEntry.id == entry_id)
                    .values(published_version=int(version))
                    .execution_options(synchronize_session=False)
                )
            publication.status = PublicationStatus.LIVE
            publication.finished_at = now
            publication.checksum = checksum
            self._audit.add(
                session,
                publication.author,
                "knowledge.publish_live",
                f"publication:{publication_id}",
                checksum=checksum,
            )
            session.commit()
            return PublicationView.of(publication)

    def fail_publication(self, publication_id: int, error: str) -> PublicationView:
        now = self._clock()
        with self._sessions() as session:
            publication = self._publication(session, publication_id)
            publication.status = PublicationStatus.FAILED
            publication.finished_at = now
            publication.error = error[:4000]
            self._audit.add(
                session,
                publication.author,
                "knowledge.publish_failed",
                f"publication:{publication_id}",
                error=error[:500],
            )
            session.commit()
            return PublicationView.of(publication)

    def fail_unfinished(self, reason: str) -> list[int]:
        """Mark publications still `building` as failed (the process building them stopped)."""
        with self._sessions() as session:
            ids = list(
                session.scalars(
                    select(KnowledgePublication.id).where(KnowledgePublication.status == PublicationStatus.BUILDING)
                )
            )
        for publication_id in ids:
            self.fail_publication(publication_id, reason)
        return ids

    def publications(self, limit: int = 50) -> list[PublicationView]:
        """Newest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(KnowledgePublication).order_by(KnowledgePublication.id.desc()).limit(limit)
            ).all()
            return [PublicationView.of(r) for r in rows]

    def publication(self, publication_id: int) -> PublicationView:
        with self._sessions() as session:
            return PublicationView.of(self._publication(session, publication_id))

    def last_publication(self) -> PublicationView | None:
        found = self.publications(limit=1)
        return found[0] if found else None

    @staticmethod
    def _publication(session: Session, publication_id: int) -> KnowledgePublication:
        publication = session.get(KnowledgePublication, publication_id)
        if publication is None:
            raise KnowledgeNotFound(f"no publication with the id {publication_id}")
        return publication


def enabled_only(entries: Iterable[FaqEntry]) -> list[FaqEntry]:
    """What an index holds of these entries (the checksum in its manifest is over these)."""
    return [e for e in entries if e.enabled]
