"""The channel adapters this deployment has configured (each channel is off unless its settings are set)."""

from __future__ import annotations

from channels.base import ChannelAdapter
from channels.slack.adapter import SlackAdapter
from channels.slack.settings import SlackSettings
from channels.webchat.adapter import WebChatAdapter
from channels.webchat.settings import WebChatSettings
from channels.wechat.adapter import WeChatAdapter
from channels.wechat.settings import WeChatSettings
from channels.wecom.adapter import WeComAdapter
from channels.wecom.settings import WeComSettings


def configured_channels(
    *, production: bool = False, redis_url: str | None = None, redis_prefix: str = "lumio"
) -> list[ChannelAdapter]:
    """`production`: the app runs with `APP_ENVIRONMENT=production` (a channel may refuse a risky mode);
    `redis_url`, `redis_prefix`: the Redis the app's replicas share (`APP_REDIS_URL`), if any."""
    adapters: list[ChannelAdapter] = []
    # Each channel module adds its adapter here when its settings are present, e.g.
    # `if (wechat := WeChatSettings()).enabled: adapters.append(WeChatAdapter(wechat))`.
    if (slack := SlackSettings()).enabled:
        adapters.append(SlackAdapter(slack))
    if (wechat := WeChatSettings()).enabled:
        adapters.append(WeChatAdapter(wechat, production=production))
    if (wecom := WeComSettings()).enabled:
        adapters.append(WeComAdapter(wecom))
    if (webchat := WebChatSettings()).enabled:  # on by default: it needs no secrets
        adapters.append(WebChatAdapter(webchat, production=production, redis_url=redis_url, redis_prefix=redis_prefix))
    return adapters
