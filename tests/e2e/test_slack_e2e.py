"""A Slack DM through the real system (Rasa, actions, retriever), configured from the environment as in
production: a signed event is acknowledged at once, the answer is posted in the thread with Block Kit
buttons, and a click on 👍 is the vote. Slack is the loopback fake: nothing here may reach slack.com."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest

from bench.fakes.slack import FakeSlack, running_fake_slack
from bench.system import System, missing_prerequisites, rasa_model
from desk.services import DeskServices
from desk.settings import DeskSettings
from tests.channels.slack.test_slack import SECRET, TOKEN, block_actions, dm, sign

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with running_fake_slack(TOKEN) as fake:
        yield fake


@pytest.fixture(scope="module")
def slack_system(tmp_path_factory: pytest.TempPathFactory, slack: FakeSlack) -> Iterator[System]:
    reason = missing_prerequisites()
    if reason:
        pytest.skip(reason)
    env = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_BASE_URL": slack.base_url}
    running = System(workdir=tmp_path_factory.mktemp("slack-system"), model=rasa_model(), extra_env=env)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def signed_post(system: System, path: str, body: bytes, content_type: str) -> httpx.Response:
    stamp = str(int(time.time()))
    headers = {
        "content-type": content_type,
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": sign(SECRET, stamp, body),
    }
    return httpx.post(f"{system.app_url}{path}", content=body, headers=headers, timeout=10)


def test_a_dm_is_answered_in_its_thread_and_the_vote_button_counts(slack_system: System, slack: FakeSlack) -> None:
    started = time.monotonic()
    ack = signed_post(
        slack_system,
        "/channels/slack/events",
        json.dumps(dm("How long does a refund to WeChat Pay take?", event_id="EvE2E1")).encode(),
        "application/json",
    )
    assert ack.status_code == 200 and time.monotonic() - started < 3  # acknowledged before the bot answers
    [answer] = slack.wait_for("chat.postMessage", timeout=60)
    assert answer.arguments["thread_ts"] == "1700000000.000100"
    assert "1–3 working days" in answer.arguments["text"]
    posted = {**answer.arguments, "ts": "1700000001.000100"}
    clicked = signed_post(
        slack_system,
        "/channels/slack/interactions",
        urlencode({"payload": json.dumps(block_actions(posted, 0))}).encode(),
        "application/x-www-form-urlencoded",
    )
    assert clicked.status_code == 200
    slack.wait_for("chat.postMessage", 2, timeout=60)
    services = DeskServices.for_settings(DeskSettings(database_url=slack_system.database_url))
    conversation = "slack:T1:D1:1700000000.000100"
    votes = [f for f in services.feedback.for_conversation(conversation) if f.kind == "vote"]
    assert [(v.vote, v.faq_id) for v in votes] == [("up", "p11-refund-time-by-payment-method")]
