"""A WeCom Customer Service conversation through the real system (Rasa, actions, retriever), configured
from the environment as in production: a signed `kf_msg_or_event` callback makes the app read the
customer's question with kf/sync_msg, answer it from the FAQ and send the answer with kf/send_msg as a
menu of 👍/👎; the customer's click is the vote. WeCom is the loopback fake: nothing here may reach
qyapi.weixin.qq.com."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.fakes.wecom import (
    AES_KEY,
    CORP,
    KF,
    SECRET,
    TOKEN,
    USER,
    FakeWeCom,
    callback_body,
    kf_event,
    serving,
)
from bench.system import System, missing_prerequisites, rasa_model
from desk.services import DeskServices
from desk.settings import DeskSettings
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def wecom() -> Iterator[FakeWeCom]:
    fake = FakeWeCom(CORP, SECRET)
    with serving(fake):
        yield fake


@pytest.fixture(scope="module")
def wecom_system(tmp_path_factory: pytest.TempPathFactory, wecom: FakeWeCom) -> Iterator[System]:
    reason = missing_prerequisites()
    if reason:
        pytest.skip(reason)
    workdir: Path = tmp_path_factory.mktemp("wecom-system")
    env = {
        "WECOM_CORP_ID": CORP,
        "WECOM_SECRET": SECRET,
        "WECOM_TOKEN": TOKEN,
        "WECOM_ENCODING_AES_KEY": AES_KEY,
        "WECOM_API_BASE_URL": wecom.base_url,
    }
    running = System(workdir=workdir, model=rasa_model(), extra_env=env)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def notify(system: System) -> None:
    body, query = callback_body(kf_event())
    response = httpx.post(f"{system.app_url}/channels/wecom", params=query, content=body, timeout=10)
    assert response.status_code == 200 and response.text == "success", response.text


def test_a_faq_question_is_answered_with_a_vote_menu_and_the_click_counts(
    wecom_system: System, wecom: FakeWeCom
) -> None:
    wecom.customer_writes(KF, USER, "扫地机器人的电池坏了，保修多久？")
    notify(wecom_system)
    wait_until(lambda: len(wecom.sent) == 1, timeout=60)
    answer = wecom.sent[0]
    assert answer["msgtype"] == "msgmenu" and answer["touser"] == USER and answer["open_kfid"] == KF
    assert "1 年" in answer["msgmenu"]["head_content"]
    items = [item["click"] for item in answer["msgmenu"]["list"]]
    assert [i["content"] for i in items] == ["👍 有帮助", "👎 没帮助"]
    wecom.customer_writes(KF, USER, items[0]["content"], menu_id=items[0]["id"])
    notify(wecom_system)
    wait_until(lambda: len(wecom.sent) == 2, timeout=60)
    services = DeskServices.for_settings(DeskSettings(database_url=wecom_system.database_url))
    transcript = services.conversations.transcript(f"wecom:{KF}:{USER}")
    assert transcript[1].faq_id == "p08-warranty-battery"
    assert [m.sender for m in transcript] == ["customer", "bot", "customer", "bot"]
    assert transcript[3].outcome == "feedback"
