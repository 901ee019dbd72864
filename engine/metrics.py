"""Prometheus metrics, in a registry of the app's own (so several apps can live in one test process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.turns = Counter(
            "assistant_turns",
            "Customer turns by what the assistant did",
            ["outcome", "channel", "language"],
            registry=self.registry,
        )
        self.turn_latency = Histogram(
            "assistant_turn_seconds",
            "Time from receiving a customer message to the stored reply",
            buckets=(0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.rasa_errors = Counter(
            "assistant_rasa_unavailable", "Turns that could not reach Rasa", registry=self.registry
        )
        # engine/retries.py: answered (Rasa answered now), recovered (its tracker showed the turn had
        # run), caught_up (answered before the customer's next message), to_agents (a human owns the
        # conversation now), failed (tried again later), gave_up (marked unanswered).
        self.retries = Counter(
            "assistant_retries",
            "Attempts at answering a customer message whose turn had failed, by result",
            ["result"],
            registry=self.registry,
        )
        self.waiting = Gauge(
            "assistant_messages_waiting",
            "Customer messages waiting for an answer after a failed turn",
            registry=self.registry,
        )
