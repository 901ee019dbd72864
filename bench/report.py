"""docs/benchmarks.md from bench/results/*.json (`python -m bench.report`, the last step of `make bench`).

bench/results/ is git-ignored: this page is the record. A benchmark whose results file is missing is
reported as "not run"; a target whose figure is missing is "not run", never guessed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from bench.page import DOC, Record, Target, cell, table
from bench.report_replicas import cluster_section, cluster_targets, faults_cluster_section
from bench.report_single import (
    retrieval_section,
    retrieval_targets,
    startup_section,
    turn_targets,
    turns_section,
)
from bench.results import RESULTS

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = ("turns", "turns_cluster", "startup", "retrieval", "faults_cluster")


def read_results(directory: Path = RESULTS) -> dict[str, Record | None]:
    records: dict[str, Record | None] = {}
    for name in BENCHMARKS:
        path = directory / f"{name}.json"
        try:
            records[name] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            records[name] = None
    return records


NOTES = """## How to read these figures

- The machine has 2 cores shared with the load generator, so absolute latencies and rates are noisy;
  the product/Rasa ratios are measured side by side in one run, phases alternating, and are the
  figures to compare. The turns and start-up runs above were made on an otherwise quiet machine; the
  retrieval run and the before/after comparison below under other jobs' load (load average 5–10).
- Latency is measured by the client from request to full reply, successful turns only; turns/s is
  successful turns over the phase's wall time. Errors (HTTP status, timeouts) are counted apart.
- Start-up: the first start after a build reads the models from disk for the first time; the second
  is what a restart costs.
- CPU ms per turn is each process's CPU time over the phase divided by its turns: it says where a
  turn's work goes, and what bounds throughput once the cores are busy.

## Profile findings and fixes (issue 5)

Profiles: py-spy (`record --raw`, wall and `--gil`) of the app and the Rasa server under the turns load.

1. **MiniLM on two OpenMP threads under load.** An English FAQ turn spent 150–1100 ms in one
   MiniLM forward pass (torch with 2 intra-op threads, waiting in OpenMP barriers for a core the
   other processes held); measured alone on the loaded machine: p50 174–393 ms with 2 threads,
   22–25 ms with 1. Fix: `python -m api` sets `OMP_NUM_THREADS=1` (and MKL) unless the operator set
   them; each request already has its own worker thread. This helps product and plain Rasa alike
   (plain Rasa calls the same actions): the app's CPU per plain-Rasa turn fell from 45–104 ms to ~10 ms.
2. **A Rasa HTTP API call before the first turn.** The app starts the Rasa session and sets the
   `language` slot through `POST /conversations/{id}/tracker/events` before a conversation's first
   message: 80–110 ms of Rasa's time, two thirds of it Rasa validating the posted events against its
   JSON schema (`jsonschema.validate` re-checks the schema itself on every call). Fix: not for a
   conversation in English, the language every response falls back to (checked against domain.yml
   by a test) while the actions read the language from the message metadata. Chinese conversations
   still pay it once; making the Chinese variations the default, or a custom `action_session_start`
   that sets the slot from the metadata, would remove it for them too (bot changes, not done here).
   Later (issue 15): the same re-check ran on every action server answer, half of Rasa's event loop
   under load; Rasa's launcher now checks each schema once (`rasa_launcher/schema_checks.py`), which
   ends both costs.
3. **Commits.** Three SQLite commits per turn, each waiting for fsync. Fix: a new message is stored
   already claimed (one commit less per turn). `synchronous=NORMAL` was measured too and left out:
   it would let a power cut lose messages already acknowledged.
4. **Masking personal data in logs on the event loop.** The log processor ran the spaCy identifier
   pipeline on every string of every log line (event, ids, timestamp). Fix: values without an "@"
   and with fewer than 11 digits (no phone, ID number or e-mail possible) skip it; a test checks that
   every sample the masker masks still goes through it.
5. **A console-only middleware on every request.** `@app.middleware("http")` ran every request (the
   conversation API and Rasa's action calls) through Starlette's BaseHTTPMiddleware task and streams
   to add headers only the console needs. Fix: a plain ASGI middleware that touches /console only.

The same benchmark (`python -m bench.turns`, defaults) before and after, on 2026-11-27 under other
jobs' load, product/plain-Rasa ratios at 1 / 4 / 16 / 64 conversations:

| run | p50 latency ratio | throughput ratio | app CPU ms per product turn |
|---|---|---|---|
| before (HEAD's api/ and desk/, 02:47 UTC) | 1.23 / 1.30 / 1.33 / 1.32 | 1.01 / 0.78 / 0.71 / 0.62 | 59 / 31 / 35 / 39 |
| fixes 1–4 (02:53 UTC; plain Rasa 11.3 turns/s at 16) | 1.06 / 0.81 / 1.19 / 1.20 | 0.92 / 1.14 / 0.82 / 0.75 | 21 / 24 / 23 / 27 |
| fixes 1–5: the run in the tables above | see above | see above | see above |

In one run with fixes 1–5 (03:10 UTC, Rasa getting a fifth of a core) the app's 15 s timeout on its
call to Rasa (`APP_RASA_TIMEOUT`) expired for 33 of 174 product turns at 64 conversations: the
customer gets 503 with `Retry-After` (the message is kept). Plain Rasa's client here waits up to
120 s, so it has no such errors; the run in the tables had none on either side.

Found and left, with numbers for whoever picks them up:
- Rasa validates every action-server response with `jsonschema.validate`, re-checking the schema each
  time: ~40 % of the Rasa server's CPU in a plain-Rasa FAQ turn. With Rasa at 40–50 ms CPU per turn,
  one Rasa process cannot reach 25 turns/s on this machine even with a core to itself; plain Rasa
  reached 10–11 turns/s here under the other jobs' load. Remedies are on Rasa's side (more Rasa
  processes behind the Redis lock store, or caching the validator in the Rasa environment).
- The `sniffio` package was missing from the app's environment (anyio 4 no longer pulls it in), so
  httpcore retried `import sniffio`, a failed import that searches sys.path, several times per
  request to Rasa (~5 % of the app's GIL time); requirements.txt now installs it.
- bench.retrieval runs with `--threads 1`, what the app serves with (finding 1).
- `/webhook` runs each action with `asyncio.run` in a worker thread: a new event loop per action call
  (the same for product and plain Rasa).
"""


def render(records: Mapping[str, Record | None], generated_at: str, commit: str) -> str:
    targets = [
        *turn_targets(records.get("turns")),
        *cluster_targets(records.get("turns_cluster")),
        *retrieval_targets(records.get("retrieval")),
    ]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `python -m bench.report` (`make bench`) on {generated_at} at commit `{commit or '?'}` from "
        "bench/results/*.json, which git ignores: this page is the record. Each section names the run it "
        "comes from.",
        "",
        "## Targets",
        "",
        *table(["target", "measured", "status"], [[t.what, cell(t.figure), t.status] for t in targets]),
        "",
    ]
    lines += turns_section(records.get("turns"))
    lines += cluster_section(records.get("turns_cluster"))
    lines += startup_section(records.get("startup"))
    lines += retrieval_section(records.get("retrieval"))
    lines += faults_cluster_section(records.get("faults_cluster"))
    lines += [NOTES.rstrip(), ""]
    return "\n".join(lines)


# Each benchmark's section and targets, for a refresh of its part of the page alone (`--only`).
PARTS: dict[str, tuple[Callable[[Record | None], list[str]], Callable[[Record | None], list[Target]] | None]] = {
    "turns": (turns_section, turn_targets),
    "turns_cluster": (cluster_section, cluster_targets),
    "startup": (startup_section, None),
    "retrieval": (retrieval_section, retrieval_targets),
    "faults_cluster": (faults_cluster_section, None),
}


def refresh(page: str, records: Mapping[str, Record | None], names: Sequence[str]) -> str:
    """The page with the sections and target rows of `names` written anew and the rest kept: a run of
    one benchmark on a machine that lacks the others' results files updates its own part only."""
    lines = page.splitlines()
    for name in names:
        section, targets = PARTS[name]
        fresh = section(records.get(name))
        start = lines.index(fresh[0])  # the section's heading
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        while fresh and not fresh[-1]:
            fresh = fresh[:-1]
        lines[start:end] = [*fresh, ""]
        for target in targets(records.get(name)) if targets else []:
            row = f"| {target.what} |"
            lines = [
                f"{row} {cell(target.figure)} | {target.status} |" if line.startswith(row) else line for line in lines
            ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", nargs="+", choices=BENCHMARKS, help="refresh these benchmarks' sections and targets, keep the rest"
    )
    args = parser.parse_args(argv)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    if args.only:
        text = refresh(DOC.read_text(encoding="utf-8"), read_results(), args.only)
    else:
        text = render(read_results(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), commit)
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
