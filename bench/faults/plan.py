"""What a fault run does: its channels and faults, the questions customers ask, how long it waits."""

from __future__ import annotations

import sys
import time
from typing import Literal

Channel = Literal["api", "webchat", "wechat", "wecom", "slack"]
FaultName = Literal["rasa_down", "database_down", "app_killed"]
CHANNELS: tuple[Channel, ...] = ("api", "webchat", "wechat", "wecom", "slack")
# Channels whose platform retries a message it got no acknowledgement for, then gives up.
PLATFORMS: tuple[Channel, ...] = ("wechat", "wecom", "slack")
FAULTS: tuple[FaultName, ...] = ("rasa_down", "database_down", "app_killed")
QUESTIONS = (
    "How long is the warranty on the battery?",
    "How long does a refund to WeChat Pay take?",
    "退款一般几天到账？",
    "Which courier do you use?",
    "保修要提供什么凭证？",
)
# The app retries failed turns this often (engine/retries.py; 5 s doubling by default).
RETRY_ENV = {"APP_ANSWER_RETRY_SECONDS": "1", "APP_ANSWER_RETRY_LONGEST_SECONDS": "2"}
# How long after the fault's end every message must have its answer. A message left "processing" by a
# killed app is taken again when its claim lapses (desk.conversations.STALE_PROCESSING, a minute):
# the app_killed fault waits well beyond that.
DEADLINE_S: dict[FaultName, float] = {"rasa_down": 60.0, "database_down": 60.0, "app_killed": 150.0}
# The app's SQLite busy timeout is 30 s (desk/database.py): a shorter lock only slows writes down.
SQLITE_LOCK_S = 35.0
# A client's patience with one request (the API, the web chat).
SEND_TIMEOUT_S = 45.0


def progress(message: str) -> None:
    print(f"[bench-faults] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)
