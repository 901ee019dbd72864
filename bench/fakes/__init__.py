"""Stand-ins for the chat platforms' servers (WeChat, WeCom, Slack) and for a merchant's order system
(docs/order-system.openapi.yaml), on loopback ports: for the channel and connector tests and the
fault bench."""
