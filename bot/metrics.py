"""Prometheus metrics, in a registry of their own (made when the bot starts, not at import)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

__all__ = ["Metrics"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "revision_bot_updates_total",
            "Updates handled, by platform and command",
            ["platform", "command"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "revision_bot_update_seconds",
            "Time to handle one update in the core",
            ["platform"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.answers = Counter(
            "revision_bot_answers_total",
            "Answers and card ratings recorded",
            ["platform", "kind"],
            registry=self.registry,
        )
        self.pushes = Counter(
            "revision_bot_daily_pushes_total",
            "Daily pushes, by outcome",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.rate_limit_waits = Counter(
            "revision_bot_rate_limit_waits_total",
            "Times a platform asked us to slow down (HTTP 429) and we waited",
            ["platform"],
            registry=self.registry,
        )
        self.errors = Counter(
            "revision_bot_errors_total",
            "Errors while handling an update",
            ["platform"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
