"""The channel adapters this deployment has configured (each channel is off unless its settings are set)."""

from __future__ import annotations

from api.channels.base import ChannelAdapter
from api.channels.slack.adapter import SlackAdapter
from api.channels.slack.settings import SlackSettings
from api.channels.webchat.adapter import WebChatAdapter
from api.channels.webchat.settings import WebChatSettings
from api.channels.wechat.adapter import WeChatAdapter
from api.channels.wechat.settings import WeChatSettings
from api.channels.wecom.adapter import WeComAdapter
from api.channels.wecom.settings import WeComSettings


def configured_channels() -> list[ChannelAdapter]:
    adapters: list[ChannelAdapter] = []
    # Each channel module adds its adapter here when its settings are present, e.g.
    # `if (wechat := WeChatSettings()).enabled: adapters.append(WeChatAdapter(wechat))`.
    if (slack := SlackSettings()).enabled:
        adapters.append(SlackAdapter(slack))
    if (wechat := WeChatSettings()).enabled:
        adapters.append(WeChatAdapter(wechat))
    if (wecom := WeComSettings()).enabled:
        adapters.append(WeComAdapter(wecom))
    if (webchat := WebChatSettings()).enabled:  # on by default: it needs no secrets
        adapters.append(WebChatAdapter(webchat))
    return adapters
