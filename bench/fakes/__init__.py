"""Stand-ins for the chat platforms' servers (WeChat, WeCom, Slack), on loopback ports: for the channel
tests and the fault bench."""
