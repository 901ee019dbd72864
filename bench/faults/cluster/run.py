"""The command line: the cluster up, the load on, the faults one after another with quiet between,
the load drained, the database read, the table on stdout and bench/results/faults_cluster.json."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import bench.faults.cluster
from bench.faults.cluster import customers, desk_rows, verdict
from bench.faults.cluster.deployment import Cluster, running_cluster
from bench.faults.cluster.records import Fault
from bench.faults.plan import progress
from bench.results import write

WARM_UP_S = 20.0
QUIET_S = 20.0
ANSWER_DEADLINE_S = 120.0


def agent_headers(database_url: str) -> dict[str, str]:
    from desk.models import Role, TokenRole
    from desk.services import DeskServices
    from desk.settings import DeskSettings

    services = DeskServices.for_settings(DeskSettings(database_url=database_url))
    user = services.users.ensure("faults-agent", uuid.uuid4().hex, Role.AGENT, "Faults agent")[0]
    secret, _ = services.access.create_token("faults-agent", TokenRole.AGENT, user.id)
    return {"Authorization": f"Bearer {secret}"}


async def play(cluster: Cluster, n: int, ledger: customers.Ledger) -> list[Fault]:
    stop = asyncio.Event()
    agent_stop = asyncio.Event()
    tasks = []
    for i in range(n):
        language = "zh" if i % 2 else "en"
        if i % 3 == 2:
            handoff = i % 6 == 2
            tasks.append(
                asyncio.create_task(customers.webchat_customer(cluster.url, ledger, i, language, handoff, stop))
            )
        else:
            tasks.append(asyncio.create_task(customers.api_customer(cluster.url, ledger, i, language, stop)))
    headers = await asyncio.to_thread(agent_headers, cluster.database_url)
    agent = asyncio.create_task(customers.agent(cluster.url, headers, ledger, agent_stop))
    faults: list[Fault] = []
    try:
        progress(f"{n} customers on; warming up {WARM_UP_S:.0f} s")
        await asyncio.sleep(WARM_UP_S)
        injections = (
            lambda: cluster.kill_replica("app1", f"http://127.0.0.1:{cluster.app_port(1)}/readyz"),
            lambda: cluster.kill_replica("rasa1", f"http://127.0.0.1:{cluster.rasa_port(1)}/"),
            cluster.restart_redis,
        )
        for inject in injections:
            faults.append(await asyncio.to_thread(inject))
            progress(f"{len(ledger.messages)} messages so far; quiet {QUIET_S:.0f} s")
            await asyncio.sleep(QUIET_S)
    finally:
        stop.set()
        progress("load stopping: customers finish the message in hand")
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(5)
        agent_stop.set()
        await asyncio.gather(agent, return_exceptions=True)
    return faults


def settle(cluster: Cluster, ledger: customers.Ledger) -> desk_rows.DeskRows:
    deadline = time.monotonic() + ANSWER_DEADLINE_S
    while True:
        rows = desk_rows.read(cluster.database_url, ledger.run, ledger.handoff_conversations)
        if desk_rows.all_settled(rows) or time.monotonic() > deadline:
            break
        time.sleep(2)
    time.sleep(5)  # a second answer would come from a retry round after the first
    return desk_rows.read(cluster.database_url, ledger.run, ledger.handoff_conversations)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults.cluster", description=(bench.faults.cluster.__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--customers", type=int, default=12, help="concurrent customers (default 12)")
    parser.add_argument("--port", type=int, default=18080, help="the balancer's port, or the first free block after")
    args = parser.parse_args(argv)
    if not 3 <= args.customers <= 32:
        parser.error("--customers must be 3–32")
    from bench.system import rasa_model

    model = rasa_model()
    ledger = customers.Ledger(uuid.uuid4().hex[:8])
    started = time.time()
    with running_cluster(model, args.port) as cluster:
        faults = asyncio.run(play(cluster, args.customers, ledger))
        progress(f"waiting up to {ANSWER_DEADLINE_S:.0f} s for every stored message's answer")
        rows = settle(cluster, ledger)
        port = cluster.port
    spans = verdict.phases(faults, started)
    fates = verdict.message_fates(ledger.messages, rows, ledger.received, spans)
    agents = verdict.agent_fates(ledger.agent_replies, rows, ledger.received, spans)
    table_rows = verdict.rows(ledger.messages, fates, agents, faults, spans)
    table = verdict.markdown(table_rows)
    unsafe = verdict.server_errors_without_retry_after(ledger.messages)
    record: dict[str, Any] = {
        "settings": {
            "customers": args.customers,
            "port": port,
            "warm_up_s": WARM_UP_S,
            "quiet_s": QUIET_S,
            "answer_deadline_s": ANSWER_DEADLINE_S,
            "give_up_s": customers.GIVE_UP_S,
            "messages_per_conversation": customers.MESSAGES_PER_CONVERSATION,
        },
        "table": table,
        "rows": table_rows,
        "faults": [asdict(f) for f in faults],
        "server_errors_without_retry_after": unsafe,
        "other_errors": [asdict(a) for a in ledger.other_errors],
        "messages": [{**asdict(m), **asdict(f), "lost": f.lost} for m, f in zip(ledger.messages, fates, strict=True)],
        "agent_replies": [{**asdict(r), **asdict(a)} for r, a in zip(ledger.agent_replies, agents, strict=True)],
    }
    with contextlib.redirect_stdout(sys.stderr):  # results.write prints the record: stdout is the table's
        write("faults_cluster", record)
    print(table)
    print(f"\n5xx without Retry-After: {unsafe}")
    failed = unsafe + sum(
        r["lost"] + r["duplicated"] + r["out_of_order"] + r["agent_replies_lost"] + r["agent_replies_duplicated"]
        for r in table_rows
    )
    return 1 if failed else 0
