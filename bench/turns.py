"""Full-turn latency at one conversation: app → Rasa → action → retriever → reply (`python -m bench.turns`).

Starts Rasa and the app on free ports (as the end-to-end tests do), plays scripted after-sales
conversations through the conversation API and, in the same run, the same messages straight to
Rasa's REST channel, so the app's overhead is measured side by side.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.results import percentile, write
from tests.system import System, rasa_model

SCRIPT = [
    "你好",
    "扫地机器人的电池坏了，保修多久？",
    "退款一般几天到账？",
    "How much is shipping for an order under 99 yuan?",
    "Can I get a special VAT invoice for my company?",
    "空调可以免费安装吗",
    "谢谢",
]


def play(url: str, conversations: int, direct_to_rasa: bool) -> list[float]:
    latencies: list[float] = []
    with httpx.Client(timeout=60) as client:
        for _ in range(conversations):
            conversation = f"bench-{uuid.uuid4().hex[:10]}"
            for text in SCRIPT:
                started = time.perf_counter()
                if direct_to_rasa:
                    response = client.post(
                        f"{url}/webhooks/rest/webhook", json={"sender": conversation, "message": text}
                    )
                else:
                    response = client.post(f"{url}/api/v1/conversations/{conversation}/messages", json={"text": text})
                latencies.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
    return latencies


def summary(values: list[float]) -> dict[str, float]:
    return {
        "turns": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 95), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        system = System(workdir=Path(workdir), model=rasa_model())
        started = time.perf_counter()
        system.start()
        healthy_after = time.perf_counter() - started
        try:
            play(system.app_url, 2, direct_to_rasa=False)  # warm-up
            product, rasa = [], []
            for _ in range(args.conversations):  # interleaved, so both see the same machine load
                product += play(system.app_url, 1, direct_to_rasa=False)
                rasa += play(system.rasa_url, 1, direct_to_rasa=True)
        finally:
            system.stop()
    write(
        "turns",
        {
            "concurrency": 1,
            "script_turns": len(SCRIPT),
            "startup_to_healthy_s": round(healthy_after, 1),
            "product": summary(product),
            "rasa_rest_direct": summary(rasa),
            "product_over_rasa_p50": round(statistics.median(product) / statistics.median(rasa), 2),
        },
    )


if __name__ == "__main__":
    main()
