"""`python -m desk orders import FILE`: the first load of the built-in store from a file of NDJSON, one
body a line, the same bodies as the API takes (desk/orders/bodies.py):

- a line with `rma_number` is a repair ticket: `PUT /api/v1/repairs/{rma_number}`'s body and the number;
- a line with `order_number` and no `rma_number` is an order: `PUT /api/v1/orders/{order_number}`'s
  body and the number.

Each line is stored as it is read (an upsert, as the API's PUT), so a repair's order must come on an
earlier line or be stored already. A bad line (not UTF-8, not JSON, longer than the API's body
limit, a field the API would refuse, a repair of an unknown order) is reported with its number and
the field and skipped; the rest is stored. The file is streamed: a line at a time in memory, however
long the file. Blank lines are skipped.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, TextIO

from pydantic import ValidationError
from pydantic_core import from_json
from tqdm import tqdm

from desk.audit import AuditLog
from desk.orders.bodies import MAX_BODY_BYTES, OrderLine, RepairLine
from desk.orders.records import Order, Repair
from desk.orders.store import UnknownOrder

# Lines longer than the API's body limit are refused as the API refuses such a body (413).
MAX_LINE_BYTES = MAX_BODY_BYTES
_CHUNK = 64 * 1024


class OrderWriter(Protocol):
    """What the import writes to: the built-in store (`desk.orders.store.OrderStore`)."""

    def put_order(self, order: Order) -> bool: ...

    def put_repair(self, repair: Repair) -> bool: ...


@dataclass(frozen=True)
class Problem:
    # Where in the line, as the API's 422 names it ("items.0.price"); "" for the line as a whole.
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}" if self.field else self.problem


@dataclass(frozen=True)
class Refusal:
    line: int
    problems: tuple[Problem, ...]

    def report(self) -> list[str]:
        """One line of the report per problem: `line 7: items.0.price: …`. The line's values are
        never echoed (they hold customers' names, phones and addresses)."""
        return [f"line {self.line}: {problem}" for problem in self.problems]


@dataclass
class ImportSummary:
    orders_created: int = 0
    orders_updated: int = 0
    repairs_created: int = 0
    repairs_updated: int = 0
    refused: int = 0
    lines: int = 0  # read, blank ones included

    @property
    def created(self) -> int:
        return self.orders_created + self.repairs_created

    @property
    def updated(self) -> int:
        return self.orders_updated + self.repairs_updated


class LineRefused(ValueError):
    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


class ImportStopped(Exception):
    """The store failed (the database is down, say): the lines before `line` are stored, the rest not."""

    def __init__(self, line: int, cause: Exception, summary: ImportSummary) -> None:
        super().__init__(f"stopped at line {line}: {type(cause).__name__}: {cause}")
        self.line = line
        self.summary = summary


def _problems(error: ValidationError) -> tuple[Problem, ...]:
    return tuple(Problem(".".join(str(part) for part in e["loc"]), e["msg"]) for e in error.errors())


def parse_line(text: str) -> OrderLine | RepairLine:
    """The order or repair a line holds; `LineRefused` naming the fields otherwise."""
    try:
        value = from_json(text)
    except ValueError as error:
        raise LineRefused(Problem("", f"not JSON: {error}")) from error
    if not isinstance(value, dict):
        raise LineRefused(Problem("", "a line is a JSON object: an order's or a repair's body with its number"))
    model: type[OrderLine] | type[RepairLine]
    if "rma_number" in value:
        model = RepairLine
    elif "order_number" in value:
        model = OrderLine
    else:
        raise LineRefused(
            Problem("order_number", "a line names its order (`order_number`) or its repair (`rma_number`)")
        )
    try:
        # Validated as JSON, as the API validates a body: strict types, times and decimals as written.
        return model.model_validate_json(text)
    except ValidationError as error:
        raise LineRefused(*_problems(error)) from error


def _next_line(source: BinaryIO) -> tuple[bytes | None, int]:
    """The next line without its end (None past the end of a line too long) and the bytes it took;
    (b"", 0) at the end of the file."""
    raw = source.readline(MAX_LINE_BYTES + 2)  # the line, and "\r\n"
    if not raw:
        return b"", 0
    size = len(raw)
    if not raw.endswith(b"\n") and size > MAX_LINE_BYTES:
        while True:  # skip the rest of it, a chunk at a time
            rest = source.readline(_CHUNK)
            size += len(rest)
            if not rest or rest.endswith(b"\n"):
                return None, size
    line = raw.rstrip(b"\r\n")
    return (line if len(line) <= MAX_LINE_BYTES else None), size


def import_lines(
    source: BinaryIO,
    store: OrderWriter,
    *,
    on_refusal: Callable[[Refusal], None] = lambda refusal: None,
    on_progress: Callable[[int, ImportSummary], None] = lambda size, summary: None,
) -> ImportSummary:
    """Store each good line of `source`; `on_refusal` hears of each bad one, `on_progress` of the
    bytes each line took. `ImportStopped` when the store fails for another reason than the line."""
    summary = ImportSummary()
    while True:
        raw, size = _next_line(source)
        if size == 0:
            return summary
        summary.lines += 1
        number = summary.lines
        try:
            if raw is None:
                raise LineRefused(Problem("", f"longer than {MAX_LINE_BYTES} bytes, the API's limit for a body"))
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise LineRefused(Problem("", f"not UTF-8 (byte {error.start + 1})")) from error
            if number == 1:
                text = text.removeprefix("\ufeff")
            if not text.strip():
                on_progress(size, summary)
                continue
            _store(parse_line(text), store, summary, number)
        except LineRefused as refused:
            summary.refused += 1
            on_refusal(Refusal(number, refused.problems))
        on_progress(size, summary)


def _store(line: OrderLine | RepairLine, store: OrderWriter, summary: ImportSummary, number: int) -> None:
    try:
        if isinstance(line, RepairLine):
            try:
                created = store.put_repair(line.to_record())
            except UnknownOrder as unknown:
                raise LineRefused(Problem("order_number", str(unknown))) from unknown
            summary.repairs_created += created
            summary.repairs_updated += not created
        else:
            created = store.put_order(line.to_record())
            summary.orders_created += created
            summary.orders_updated += not created
    except LineRefused:
        raise
    except ValueError as error:  # the store's own checks, should a body have let something through
        raise LineRefused(Problem("", str(error))) from error
    except Exception as error:
        raise ImportStopped(number, error, summary) from error


def summary_lines(summary: ImportSummary) -> list[str]:
    """What the command prints on stdout: `created<TAB>n`, `updated<TAB>n`, `refused<TAB>n`."""
    return [f"created\t{summary.created}", f"updated\t{summary.updated}", f"refused\t{summary.refused}"]


def summary_text(summary: ImportSummary) -> str:
    return (
        f"orders: {summary.orders_created} created, {summary.orders_updated} updated; "
        f"repairs: {summary.repairs_created} created, {summary.repairs_updated} updated; "
        f"{summary.refused} line{'' if summary.refused == 1 else 's'} refused"
    )


# The command ------------------------------------------------------------------------------------------

OK = 0  # every line stored (blank lines aside)
SOME_REFUSED = 1  # the good lines stored, the bad ones reported on stderr
FAILED = 2  # the file could not be read, or the store failed: the lines before it are stored


def run_import(
    path: str, store: OrderWriter, audit: AuditLog, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """`python -m desk orders import FILE` (`-`: standard input). A progress bar on stderr (when it
    is a terminal), each refused line's number and field on stderr, the summary on stdout."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        source: BinaryIO = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as error:
        print(f"error: cannot read {path}: {error.strerror or error}", file=err)
        return FAILED
    total = None if path == "-" else os.fstat(source.fileno()).st_size
    name = "stdin" if path == "-" else Path(path).name
    bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, file=err, desc="import", disable=None)

    def progress(size: int, summary: ImportSummary) -> None:
        bar.update(size)
        if summary.lines % 1000 == 0:
            bar.set_postfix(created=summary.created, updated=summary.updated, refused=summary.refused, refresh=False)

    def refused(refusal: Refusal) -> None:
        for line in refusal.report():
            tqdm.write(line, file=err)

    status = OK
    try:
        summary = import_lines(source, store, on_refusal=refused, on_progress=progress)
    except ImportStopped as stopped:
        summary = stopped.summary
        tqdm.write(f"error: {stopped}; the lines before it are stored, the rest are not", file=err)
        status = FAILED
    finally:
        bar.close()
        if source is not sys.stdin.buffer:
            source.close()
    audit.record(
        "system:cli",
        "orders.import",
        f"file:{name}",
        created=summary.created,
        updated=summary.updated,
        refused=summary.refused,
        completed=status != FAILED,
    )
    print(summary_text(summary), file=err)
    for line in summary_lines(summary):
        print(line, file=out)
    if status == OK and summary.refused:
        status = SOME_REFUSED
    return status
