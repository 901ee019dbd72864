"""Start-up and training: start to healthy, Rasa training, index build, adaptation (`python -m bench.startup`).

`python -m bench.startup [--steps start,train,index,adapt] [--starts N]`

- start: Rasa and the app started as `make run` starts them, with environments, model and index
  present (`bench.system.System`: free ports and its own databases, so a running instance is left
  alone), timed until Rasa answers and until the app's `/healthz` says every dependency is up.
  Unlike `make run`, the desk CLI's user set-up is skipped; the app still migrates its fresh database.
- train: a fresh `rasa train` of the project's data and config into a temporary directory, with
  `RASA_CACHE_DIRECTORY` pointing at an empty temporary directory (no cached component is reused).
- index: `python -m knowledge build --index-dir <tmp>` (the serving index, from the FAQ seed files).
- adapt: `python -m knowledge adapt`, writing to a temporary directory, when the command exists.

Every step is timed wall-clock, one after the other (never concurrently), and nothing is written to
var/ or models/. Figures go to bench/results/startup.json.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
PYTHON = REPO / ".venv" / "bin" / "python"
RASA = REPO / ".venv-rasa" / "bin" / "rasa"
STEPS = ("start", "train", "index", "adapt")
MB = 1024 * 1024


def progress(message: str) -> None:
    print(f"[bench-startup] {message}", file=sys.stderr, flush=True)


def tail(text: str, lines: int = 5) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def output_option(help_text: str) -> str | None:
    """The option of `knowledge adapt` that names where its output goes, read from its --help."""
    for option in ("--out-dir", "--output-dir", "--out", "--output", "--dir"):
        if re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", help_text):
            return option
    return None


def timed(command: Sequence[str], env: dict[str, str], cwd: Path = REPO) -> dict[str, Any]:
    """Run a command to its end; its wall time, exit code and (on failure) the end of its output."""
    started = time.perf_counter()
    done = subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {"seconds": round(seconds, 1), "exit_code": done.returncode}
    if done.returncode != 0:
        result["error"] = tail(done.stderr or done.stdout)
    return result


def base_env(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DESK_", "KNOWLEDGE_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        RASA_TELEMETRY_ENABLED="false",
        # Fresh caches: nothing trained or fitted before is reused.
        RASA_CACHE_DIRECTORY=str(scratch / "rasa-cache"),
    )
    return env


def measure_start(scratch: Path) -> dict[str, Any]:
    """Seconds from launching both processes until Rasa answers and until the app is healthy."""
    import psutil

    from bench.system import System, rasa_model

    model = rasa_model()  # outside the timing: `make run` has its model already
    system = System(workdir=scratch, model=model)
    started = time.perf_counter()
    system.rasa.start()
    system.app.start()
    rasa_ready: float | None = None
    healthy: float | None = None
    try:
        deadline = started + 300
        with httpx.Client(timeout=2) as client:
            while healthy is None and time.perf_counter() < deadline:
                for process in (system.rasa, system.app):
                    if not process.alive():
                        raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
                now = time.perf_counter() - started
                if rasa_ready is None and _answers(client, f"{system.rasa_url}/"):
                    rasa_ready = now
                if _answers(client, f"{system.app_url}/healthz"):
                    healthy = now
                else:
                    time.sleep(0.25)
        if healthy is None:
            raise RuntimeError("not healthy after 300 s")
        rss = {}
        for name, process in (("rasa", system.rasa), ("app", system.app)):
            assert process.popen is not None
            root = psutil.Process(process.popen.pid)
            rss[name] = round(sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / MB)
    finally:
        system.stop()
    return {
        "rasa_ready_s": round(rasa_ready or healthy, 1),
        "healthy_s": round(healthy, 1),
        "idle_rss_mb": {**rss, "total": sum(rss.values())},
    }


def _answers(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code == 200
    except httpx.HTTPError:
        return False


def measure_train(scratch: Path, env: dict[str, str]) -> dict[str, Any]:
    out = scratch / "models"
    command = [str(RASA), "train", "--data", "bot/nlu", "bot/rules", "bot/stories", "--domain", "domain.yml"]
    command += ["--config", "config.yml", "--out", str(out), "--fixed-model-name", "bench", "--quiet"]
    result = timed(command, env)
    model = out / "bench.tar.gz"
    if result["exit_code"] == 0 and model.is_file():
        result["model_mb"] = round(model.stat().st_size / MB, 1)
    return result


def measure_index(scratch: Path, env: dict[str, str]) -> dict[str, Any]:
    index = scratch / "index"
    result = timed([str(PYTHON), "-m", "knowledge", "build", "--index-dir", str(index)], env)
    manifest = index / "manifest.json"
    if manifest.is_file():
        import json

        data = json.loads(manifest.read_text(encoding="utf-8"))
        result["entries"] = data.get("entries")
    return result


def measure_adapt(scratch: Path, env: dict[str, str]) -> dict[str, Any]:
    helped = subprocess.run(
        [str(PYTHON), "-m", "knowledge", "adapt", "--help"], cwd=REPO, env=env, capture_output=True, text=True
    )
    if helped.returncode != 0:
        return {"available": False, "reason": tail(helped.stderr or helped.stdout, 2)}
    option = output_option(helped.stdout)
    if option is None:
        # Without an output option it would write into var/, which a benchmark must not touch.
        return {"available": True, "seconds": None, "reason": "no output-directory option in --help; not run"}
    command = ["adapt", option, str(scratch / "adapted")]
    shown = f"python -m knowledge adapt {option} <tmp>"
    # The adaptation alone: its optional index rebuild would go to var/index (the index step is timed apart).
    if re.search(r"(?<![\w-])--no-build(?![\w-])", helped.stdout):
        command.append("--no-build")
        shown += " --no-build"
    elif re.search(r"(?<![\w-])--index-dir(?![\w-])", helped.stdout):
        command += ["--index-dir", str(scratch / "adapted-index")]
        shown += " --index-dir <tmp>"
    result = timed([str(PYTHON), "-m", "knowledge", *command], env)
    return {"available": True, "command": shown, **result}


def main(argv: Sequence[str] | None = None) -> int:
    from bench.results import write

    parser = argparse.ArgumentParser(
        prog="python -m bench.startup", description=__doc__.split("\n")[0] if __doc__ else None
    )
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated, of {', '.join(STEPS)}")
    parser.add_argument("--starts", type=int, default=2, help="how many times to time the start (default 2)")
    args = parser.parse_args(argv)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    if unknown := set(steps) - set(STEPS):
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as directory:
        scratch = Path(directory)
        env = base_env(scratch)
        if "start" in steps:
            runs = []
            for number in range(args.starts):
                progress(f"start to healthy, run {number + 1}/{args.starts}")
                runs.append(measure_start(scratch / f"start-{number}"))
                progress(f"  {runs[-1]}")
            figures["start"] = {
                "runs": runs,
                "healthy_s": min(r["healthy_s"] for r in runs),
                "healthy_s_max": max(r["healthy_s"] for r in runs),
            }
        if "train" in steps:
            progress("rasa train (fresh cache, temporary output)")
            figures["train"] = measure_train(scratch, env)
            progress(f"  {figures['train']}")
        if "index" in steps:
            progress("python -m knowledge build --index-dir <tmp>")
            figures["index"] = measure_index(scratch, env)
            progress(f"  {figures['index']}")
        if "adapt" in steps:
            progress("python -m knowledge adapt")
            figures["adapt"] = measure_adapt(scratch, env)
            progress(f"  {figures['adapt']}")
    write("startup", figures)
    failed = [name for name, step in figures.items() if isinstance(step, dict) and step.get("exit_code")]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
