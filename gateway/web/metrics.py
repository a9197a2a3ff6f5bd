"""Prometheus /metrics: a Collector reading the gateway's counters and database at scrape time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import CollectorRegistry

from gateway.failures import STATES, failures
from gateway.storage import queues, sessions, views

PREFIX = "opencx_gateway_"
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0,
                   3600.0)
STAGES = ("process", "answer", "deliver")
SMTP_REJECTS = {"rejected_rcpt": "unknown_recipient", "temp_failed": "temporary_failure",
                "over_budget": "inflight_budget"}
REGISTRY_KEY = web.AppKey("metrics_registry", CollectorRegistry)
COLLECTOR_KEY = web.AppKey("metrics_collector", object)


class LatencyHistogram:
    """Cumulative histogram of one stage's durations (seconds)."""

    def __init__(self) -> None:
        self.counts = [0] * len(LATENCY_BUCKETS)
        self.total = 0
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.total += 1
        self.sum += seconds
        for i, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1
                break

    def buckets(self) -> list[tuple[str, float]]:
        out, running = [], 0
        for bound, n in zip(LATENCY_BUCKETS, self.counts, strict=True):
            running += n
            out.append((repr(bound), running))
        out.append(("+Inf", self.total))
        return out


class GatewayCollector:
    """Reads the live gateway. `refresh()` (async) takes the database snapshot; `collect()`
    turns it and the in-memory worker/SMTP/HubSpot counters into metric families.

    Latency samples come from stored timestamps (inbound received -> recorded, customer
    mail -> AI reply, outgoing queued -> sent): each refresh folds in rows written since the
    last one, so nothing in the hot path has to report to this object.
    """

    def __init__(self, gw: Any) -> None:
        self.gw = gw
        self.db: dict[str, Any] = {}
        self.latency = {stage: LatencyHistogram() for stage in STAGES}
        self._cursor: dict[str, Any] = {"after_message": 0, "after_sent": 0.0}
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        now = self.gw.clock()
        async with self._lock:
            cursor = dict(self._cursor)

            def read(c: Any) -> dict[str, Any]:
                return {"sessions": sessions.count_sessions(c),
                        "failed": [f["state"] for f in failures(c).values()],
                        "inbound": views.inbound_outcomes(c),
                        "handoffs": views.handoffs_by_reason(c),
                        "depths": queues.depths(c, now=now),
                        "latency": views.latencies_after(c, **cursor)}

            snapshot = await self.gw.db.read(read)
            lat = snapshot.pop("latency")
            for stage, seconds in lat["samples"]:
                self.latency[stage].observe(seconds)
            self._cursor = {"after_message": lat["after_message"], "after_sent": lat["after_sent"]}
            self.db = snapshot

    def describe(self) -> list[Metric]:
        return []  # names are fixed; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        yield from self._smtp()
        yield from self._sessions()
        yield from self._workers()
        yield from self._queues()
        yield from self._hubspot()
        yield from self._latency()

    def _smtp(self) -> Iterator[Metric]:
        stats = getattr(self.gw.handler, "stats", None) or {}
        received = CounterMetricFamily(
            PREFIX + "messages_received", "Mails accepted over SMTP (250 after commit)")
        received.add_metric([], stats.get("accepted", 0))
        rejected = CounterMetricFamily(
            PREFIX + "messages_rejected", "SMTP refusals by reason", labels=["reason"])
        for key, reason in SMTP_REJECTS.items():
            rejected.add_metric([reason], stats.get(key, 0))
        outcome = CounterMetricFamily(
            PREFIX + "inbound_messages", "Stored inbound mail by outcome (processed, ignored, "
            "failed) and classification kind (normal, bounce, auto_reply, ...)",
            labels=["outcome", "kind"])
        for state, kind, n in self.db.get("inbound", []):
            outcome.add_metric([state, kind], n)
        yield from (received, rejected, outcome)
        yield from self._inflight()

    def _inflight(self) -> Iterator[Metric]:
        budget = getattr(self.gw, "budget", None)
        if budget is None:
            return
        for name, doc, value in (
            ("inflight_bytes", "Inbound mail bytes received and not yet parsed", budget.in_use),
            ("inflight_bytes_peak", "Highest inflight_bytes since start", budget.peak),
            ("inflight_budget_bytes", "Configured memory.inflight_bytes", budget.capacity),
        ):
            gauge = GaugeMetricFamily(PREFIX + name, doc)
            gauge.add_metric([], value)
            yield gauge

    def _sessions(self) -> Iterator[Metric]:
        by_status = GaugeMetricFamily(PREFIX + "sessions", "Sessions by status",
                                      labels=["status"])
        for status, n in sorted(self.db.get("sessions", {}).items()):
            by_status.add_metric([status], n)
        handoffs = CounterMetricFamily(PREFIX + "handoffs", "Sessions handed off, by reason "
                                       "(manual = an operator)", labels=["reason"])
        for reason, n in sorted(self.db.get("handoffs", {}).items()):
            handoffs.add_metric([reason], n)
        failed = GaugeMetricFamily(
            PREFIX + "sessions_failed", "Sessions whose work is dead (handoff_failed, "
            "ticket_update_failed, reply_failed, delivery_failed): requeue after fixing",
            labels=["state"])
        states = self.db.get("failed", [])
        for state in sorted(set(STATES.values())):
            failed.add_metric([state], states.count(state))
        yield from (by_status, handoffs, failed)

    def _workers(self) -> Iterator[Metric]:
        workers = self.gw.workers
        agent, outbox = workers.get("agent"), workers.get("outbox")
        replies = CounterMetricFamily(PREFIX + "ai_replies", "AI answers queued as mail")
        replies.add_metric([], getattr(agent, "replies", 0))
        esc = CounterMetricFamily(PREFIX + "escalations", "AI escalations by reason",
                                  labels=["reason"])
        for reason, n in sorted((getattr(agent, "escalations", None) or {}).items()):
            esc.add_metric([reason], n)
        yield from (replies, esc)
        for name, doc in (("sent", "Outgoing mails accepted by the relay"),
                          ("retried", "Outgoing mail attempts that failed temporarily"),
                          ("dead", "Outgoing mails given up on")):
            family = CounterMetricFamily(PREFIX + f"outbox_{name}", doc)
            family.add_metric([], getattr(outbox, name, 0))
            yield family
        jobs = CounterMetricFamily(PREFIX + "jobs", "Jobs run by worker and outcome",
                                   labels=["queue", "outcome"])
        for queue, worker in sorted(workers.items()):
            jobs.add_metric([queue, "handled"], worker.handled)
            jobs.add_metric([queue, "failed"], worker.failed)
        yield jobs

    def _queues(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(PREFIX + "queue_jobs", "Jobs waiting by queue and status "
                                  "(retrying = ready after a failed attempt)",
                                  labels=["queue", "status"])
        age = GaugeMetricFamily(PREFIX + "queue_oldest_age_seconds",
                                "Age of the oldest ready job per queue", labels=["queue"])
        for queue, d in sorted(self.db.get("depths", {}).items()):
            for status in ("ready", "claimed", "dead", "retrying"):
                depth.add_metric([queue, status], d.get(status, 0))
            age.add_metric([queue], d.get("oldest_age", 0.0))
        yield from (depth, age)

    def _hubspot(self) -> Iterator[Metric]:
        service = self.gw.hubspot
        stats = _call_stats(service)
        calls = CounterMetricFamily(PREFIX + "hubspot_calls", "HubSpot API calls",
                                    labels=["method", "path"])
        errors = CounterMetricFamily(PREFIX + "hubspot_errors", "HubSpot API call failures",
                                     labels=["method", "path", "error"])
        limited = CounterMetricFamily(PREFIX + "hubspot_rate_limited",
                                      "HubSpot 429 responses (retried or final)")
        snap = stats.snapshot() if stats is not None else {"calls": {}, "errors": {}}
        for (method, path), n in sorted(snap["calls"].items()):
            calls.add_metric([method, path], n)
        for (method, path, error), n in sorted(snap["errors"].items()):
            errors.add_metric([method, path, error], n)
        limited.add_metric([], stats.rate_limited if stats is not None else 0)
        hooks = CounterMetricFamily(PREFIX + "webhooks", "HubSpot webhooks by verification "
                                    "result (verified, rejected) and reason",
                                    labels=["result", "reason"])
        for (result, reason), n in sorted(_webhook_stats(service).items()):
            hooks.add_metric([result, reason], n)
        yield from (calls, errors, limited, hooks)

    def _latency(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(
            PREFIX + "processing_latency_seconds", "Durations: process = SMTP accept to "
            "recorded, answer = customer mail to AI reply (includes debounce), deliver = "
            "queued to relay accepted", labels=["stage"])
        for stage in STAGES:
            h = self.latency[stage]
            family.add_metric([stage], h.buckets(), h.sum)
        yield family


def _call_stats(service: Any) -> Any:
    """The HubSpot client's CallStats, wherever the service keeps its client."""
    for holder in (getattr(service, "client", None), service):
        stats = getattr(holder, "stats", None)
        if stats is not None and hasattr(stats, "snapshot") and hasattr(stats, "rate_limited"):
            return stats
    return None


def _webhook_stats(service: Any) -> dict[tuple[str, str], int]:
    """(result, reason) -> count from the webhook receiver: "ok" is verified, else rejected."""
    receiver = getattr(service, "receiver", None)
    results = getattr(receiver, "results", None)
    if not isinstance(results, dict):
        return {}
    return {("verified" if reason == "ok" else "rejected", str(reason)): int(n)
            for reason, n in results.items()}


def install(app: web.Application, gw: Any) -> None:
    """Give the app its own registry (no module-level state) and the /metrics route."""
    registry = CollectorRegistry(auto_describe=False)
    collector = GatewayCollector(gw)
    registry.register(collector)
    app[REGISTRY_KEY] = registry
    app[COLLECTOR_KEY] = collector
    app.router.add_get("/metrics", metrics)


async def metrics(request: web.Request) -> web.Response:
    """Unauthenticated by design: keep it on a private listener (see docs/api.md)."""
    collector = request.app[COLLECTOR_KEY]
    await collector.refresh()  # type: ignore[attr-defined]
    body = generate_latest(request.app[REGISTRY_KEY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
