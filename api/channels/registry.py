"""The channel adapters this deployment has configured (each channel is off unless its settings are set)."""

from __future__ import annotations

from api.channels.base import ChannelAdapter


def configured_channels() -> list[ChannelAdapter]:
    adapters: list[ChannelAdapter] = []
    # Each channel module adds its adapter here when its settings are present, e.g.
    # `if (wechat := WeChatSettings()).enabled: adapters.append(WeChatAdapter(wechat))`.
    return adapters
