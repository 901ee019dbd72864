"""Channel adapters: one per platform (web chat, WeChat Official Account, WeCom Customer Service,
Slack), each behind `ChannelAdapter` (channels/base.py). An adapter verifies its platform's
requests (a signed callback is taken once: `channels.replays`), drops retried deliveries it has
handled, turns each into an `engine.turns.Inbound` and hands it to the assistant through its port
(`engine.port.AssistantPort`, the only way it reaches the assistant), and delivers outgoing
messages (bot replies it could not give in the request, agents' replies, the CSAT question) through
the outbox, which retries with backoff. What a customer's text may contain is `desk.message_text`'s
rule (the turn service makes sure no typed text reaches Rasa as a command); what the assistant says
is `desk.copy`."""
