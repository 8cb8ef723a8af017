"""Prometheus metrics, each defined once per process with a `service` label."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

REGISTRY = CollectorRegistry(auto_describe=True)
_metrics: dict[str, Counter | Gauge | Histogram] = {}

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def counter(name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
    metric = _metrics.get(name)
    if metric is None:
        metric = Counter(name, doc, ("service", *labels), registry=REGISTRY)
        _metrics[name] = metric
    assert isinstance(metric, Counter)
    return metric


def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
    metric = _metrics.get(name)
    if metric is None:
        metric = Gauge(name, doc, ("service", *labels), registry=REGISTRY)
        _metrics[name] = metric
    assert isinstance(metric, Gauge)
    return metric


def histogram(name: str, doc: str, labels: tuple[str, ...] = ()) -> Histogram:
    metric = _metrics.get(name)
    if metric is None:
        metric = Histogram(name, doc, ("service", *labels), registry=REGISTRY, buckets=LATENCY_BUCKETS)
        _metrics[name] = metric
    assert isinstance(metric, Histogram)
    return metric


HTTP_REQUESTS = counter(
    "waddlebot_http_requests_total", "HTTP requests handled", ("method", "route", "status")
)
HTTP_LATENCY = histogram(
    "waddlebot_http_request_duration_seconds", "HTTP request latency", ("method", "route")
)
ERRORS = counter("waddlebot_errors_total", "Errors by code", ("code",))


def render() -> tuple[bytes, str]:
    """The exposition text of every metric in this process."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
