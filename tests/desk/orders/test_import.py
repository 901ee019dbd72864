"""`python -m desk orders import FILE` (issue 12): NDJSON of the API's bodies; good lines stored, bad
ones reported by line number and field and skipped; a summary; exit status 0, 1 or 2."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from desk.audit import AuditLog
from desk.orders.bodies import MAX_BODY_BYTES
from desk.orders.importing import ImportStopped, Refusal, import_lines, run_import
from desk.orders.records import Order, OrderStatus, Repair, RepairStage
from desk.orders.store import OrderStore
from tests.desk.orders.order_bodies import item, order_body, repair_body

ROOT = Path(__file__).resolve().parents[3]


def order_line(number: str = "LM202611260001", **changes: Any) -> str:
    return json.dumps({"order_number": number, **order_body(**changes)}, ensure_ascii=False)


def repair_line(rma: str = "RMA20261234", **changes: Any) -> str:
    return json.dumps({"rma_number": rma, **repair_body(**changes)}, ensure_ascii=False)


def ndjson(*lines: str) -> io.BytesIO:
    return io.BytesIO("".join(f"{line}\n" for line in lines).encode("utf-8"))


@pytest.fixture
def store(sessions: sessionmaker[Session]) -> OrderStore:
    return OrderStore(sessions)


def test_good_lines_are_stored_and_counted(store: OrderStore) -> None:
    source = ndjson(
        order_line(),
        order_line("lm 2026 1126 0002", status="delivered", delivered_at="2026-11-28T12:00:00+08:00"),
        repair_line(),
        "",  # blank lines are skipped
        order_line(status="delivered"),  # the same order again: updated
    )
    summary = import_lines(source, store)
    assert (summary.orders_created, summary.orders_updated, summary.repairs_created, summary.refused) == (2, 1, 1, 0)
    assert (summary.created, summary.updated, summary.lines) == (3, 1, 5)
    order = store.order("LM202611260001")
    assert order is not None and order.status == OrderStatus.DELIVERED
    assert order.customer.phone == "13800138000" and order.tracking_events[0].description == "顺丰已揽收"
    second = store.order("LM202611260002")
    assert second is not None and second.delivered_at is not None
    repair = store.repair("RMA20261234")
    assert repair is not None and repair.stage == RepairStage.DIAGNOSING and repair.order_number == "LM202611260001"


def test_bad_lines_are_reported_by_number_and_field_and_skipped(store: OrderStore) -> None:
    lines = [
        order_line(),  # 1: good
        '{"order_number": "LM202611260002", "status": ',  # 2: not JSON
        order_line("LM202611260003", paid_at="2026-11-26T10:00:00"),  # 3: no offset
        order_line("LM202611260004", items=[item(price=19.999)]),  # 4: three decimals
        repair_line(order_number="LM209900000000"),  # 5: unknown order
        order_line("LM2026"),  # 6: not an order number
        json.dumps({"status": "paid"}),  # 7: neither an order nor a repair
        "[1, 2]",  # 8: not an object
        order_line("LM202611260005", customer={"name": "李四", "phone": "12345"}, extra=1),  # 9: two problems
        repair_line("RMA20265678"),  # 10: good
    ]
    refusals: list[Refusal] = []
    summary = import_lines(ndjson(*lines), store, on_refusal=refusals.append)
    assert (summary.created, summary.refused) == (2, 8)
    report = [line for refusal in refusals for line in refusal.report()]
    assert [refusal.line for refusal in refusals] == [2, 3, 4, 5, 6, 7, 8, 9]
    assert report[0].startswith("line 2: not JSON")
    assert report[1] == "line 3: paid_at: Input should have timezone info"
    assert report[2] == "line 4: items.0.price: Decimal input should have no more than 2 decimal places"
    assert report[3].startswith("line 5: order_number: ") and "LM209900000000 is not stored" in report[3]
    assert report[4].startswith("line 6: order_number: ") and "LM and 12 digits" in report[4]
    assert report[5].startswith("line 7: order_number: ") and "rma_number" in report[5]
    assert report[6].startswith("line 8: a line is a JSON object")
    assert {line.split(": ")[1] for line in report[7:]} == {"customer.phone", "extra"}
    # The customer's data is never echoed in the report.
    assert not any("李四" in line or "12345" in line for line in report)
    assert store.order("LM202611260001") is not None and store.repair("RMA20265678") is not None
    assert store.order("LM202611260003") is None and store.order("LM202611260004") is None


def test_lines_that_are_too_long_or_not_utf8_are_refused_alone(store: OrderStore) -> None:
    too_long = json.dumps({"order_number": "LM202611260009", "padding": "x" * MAX_BODY_BYTES})
    source = io.BytesIO(
        b"\xef\xbb\xbf"  # a byte-order mark on the first line is not part of it
        + order_line().encode()
        + b"\r\n"
        + too_long.encode()
        + b"\n"
        + b'{"order_number": "\xff"}\n'
        + order_line("LM202611260002").encode()  # the last line without its newline
    )
    refusals: list[Refusal] = []
    summary = import_lines(source, store, on_refusal=refusals.append)
    assert (summary.created, summary.refused, summary.lines) == (2, 2, 4)
    assert [(r.line, str(r.problems[0])) for r in refusals] == [
        (2, f"longer than {MAX_BODY_BYTES} bytes, the API's limit for a body"),
        (3, "not UTF-8 (byte 19)"),
    ]


class Recording:
    """A store that notes how far the file had been read when each line was stored."""

    def __init__(self, source: io.BytesIO) -> None:
        self.source = source
        self.positions: list[int] = []

    def put_order(self, order: Order) -> bool:
        self.positions.append(self.source.tell())
        return True

    def put_repair(self, repair: Repair) -> bool:
        self.positions.append(self.source.tell())
        return True


def test_the_file_is_streamed_a_line_at_a_time() -> None:
    lines = [order_line(f"LM2026112600{n:02d}") for n in range(1, 31)]
    source = ndjson(*lines)
    recording = Recording(source)
    import_lines(source, recording)
    ends = [sum(len(line.encode()) + 1 for line in lines[: n + 1]) for n in range(len(lines))]
    assert recording.positions == ends


def test_a_failing_store_stops_the_import_with_what_was_stored() -> None:
    class Failing(Recording):
        def put_order(self, order: Order) -> bool:
            if len(self.positions) == 2:
                raise ConnectionError("database is gone")
            return super().put_order(order)

    source = ndjson(*(order_line(f"LM2026112600{n:02d}") for n in range(1, 6)))
    with pytest.raises(ImportStopped) as stopped:
        import_lines(source, Failing(source))
    assert stopped.value.line == 3 and stopped.value.summary.created == 2


def test_the_command_reports_sums_up_and_exits_by_what_it_refused(
    tmp_path: Path, sessions: sessionmaker[Session], store: OrderStore, capsys: pytest.CaptureFixture[str]
) -> None:
    audit = AuditLog(sessions)
    good = tmp_path / "good.ndjson"
    good.write_text(f"{order_line()}\n{repair_line()}\n", encoding="utf-8")
    assert run_import(str(good), store, audit) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == ["created\t2", "updated\t0", "refused\t0"]
    assert "orders: 1 created, 0 updated; repairs: 1 created, 0 updated; 0 lines refused" in err

    mixed = tmp_path / "mixed.ndjson"
    mixed.write_text(f"{order_line(status='delivered')}\n{order_line('LM1')}\n", encoding="utf-8")
    assert run_import(str(mixed), store, audit) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == ["created\t0", "updated\t1", "refused\t1"]
    assert "line 2: order_number: " in err
    entries = audit.recent(action="orders.import")
    assert [(e.actor, e.target, e.details["refused"]) for e in entries] == [
        ("system:cli", "file:mixed.ndjson", 1),
        ("system:cli", "file:good.ndjson", 0),
    ]

    assert run_import(str(tmp_path / "missing.ndjson"), store, audit) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_large_file_is_imported(tmp_path: Path, sessions: sessionmaker[Session], store: OrderStore) -> None:
    path = tmp_path / "orders.ndjson"
    count = 2000
    with path.open("w", encoding="utf-8") as file:
        for n in range(count):
            if n % 500 == 499:
                file.write(order_line(f"LM2026{n:08d}", status="lost") + "\n")
            else:
                file.write(order_line(f"LM2026{n:08d}") + "\n")
            if n % 10 == 0:
                file.write(repair_line(f"RMA{n:08d}", order_number=f"LM2026{n:08d}") + "\n")
    out = io.StringIO()
    err = io.StringIO()
    assert run_import(str(path), store, AuditLog(sessions), out=out, err=err) == 1
    assert out.getvalue().splitlines() == ["created\t2196", "updated\t0", "refused\t4"]
    assert [line.split(": ")[1] for line in err.getvalue().splitlines() if line.startswith("line ")] == ["status"] * 4
    assert store.order("LM202600001998") is not None and store.order("LM202600000499") is None
    assert store.repair("RMA00001990") is not None


def test_python_m_desk_orders_import(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    path = tmp_path / "orders.ndjson"
    path.write_text(f"{order_line()}\n{repair_line(order_number='LM202611269999')}\n", encoding="utf-8")
    ran = subprocess.run(
        [sys.executable, "-m", "desk", "orders", "import", str(path)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 1, ran.stderr
    assert ran.stdout.splitlines() == ["created\t1", "updated\t0", "refused\t1"]
    assert "line 2: order_number: " in ran.stderr
