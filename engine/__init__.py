"""The running assistant: the turn service (a customer message → Rasa → a typed turn result), the
Rasa gateway, the agent desk's orchestration, delivery through the outbox, live events, knowledge
publishing and metrics, and the port the channels hold (`engine.port.AssistantPort`). No web
framework here: `api/` serves it over HTTP, `channels/` over each platform's protocol."""
