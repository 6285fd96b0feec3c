"""Prometheus metrics: one set of families for every Front Door process (DESIGN.md section 12).

Every process serves them at ``/metrics`` on its health port (the gateway and the dashboard on
their own port). Names follow Prometheus conventions (``frontdoor_`` prefix, ``_total`` for
counters, ``_seconds`` for durations). **No label carries personal data or free text**: each
label's values come from a closed set (service names, topic names, organisation ids from the
registry, DfE LA numbers, codes, rule ids, route templates, HTTP status codes), and
``tests/e2e/test_metrics.py`` fails on any other value it scrapes.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

# Batches take milliseconds to seconds; HTTP requests a few milliseconds to a second or two.
BATCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

RECORDS_IN = Counter("frontdoor_records_in_total", "Records read and processed.", ["service"])
RECORDS_OUT = Counter("frontdoor_records_out_total", "Records written.", ["service"])
BATCHES = Counter("frontdoor_batches_total", "Batches committed.", ["service"])
BATCH_SECONDS = Histogram(
    "frontdoor_batch_duration_seconds",
    "From a batch's fetch to its commit.",
    ["service"],
    buckets=BATCH_BUCKETS,
)
TRANSACTION_SECONDS = Histogram(
    "frontdoor_transaction_duration_seconds",
    "A Kafka transaction (or the records database's), from its start to its commit.",
    ["service"],
    buckets=BATCH_BUCKETS,
)
ABORTED = Counter(
    "frontdoor_transactions_aborted_total", "Transactions aborted (read again after).", ["service"]
)
DEAD_LETTERS = Counter(
    "frontdoor_dead_letters_total", "Records or deliveries set aside as dead letters.", ["service"]
)
LAG = Gauge(
    "frontdoor_consumer_lag",
    "Records on a partition not yet processed, at the last batch.",
    ["service", "topic", "partition"],
)
EVENTS = Counter(
    "frontdoor_service_events_total",
    "Other things a service counts (shown on /health too), by name.",
    ["service", "event"],
)

DECISIONS = Counter(
    "frontdoor_triage_decisions_total",
    "Triage's decisions by kind, outcome and urgency rating.",
    ["kind", "outcome", "rag"],
)
RULES = Counter("frontdoor_triage_rule_hits_total", "Policy rules behind decisions.", ["rule"])
CASES_OPEN = Gauge(
    "frontdoor_cases_open", "Live cases on each council's queue.", ["local_authority", "queue"]
)
CASES_OVERDUE = Gauge(
    "frontdoor_cases_overdue",
    "Open cases past their decision due time.",
    ["local_authority", "queue", "rag"],
)
SCREENING_WAITING = Gauge(
    "frontdoor_screening_waiting",
    "Policy proposals waiting for a person's screening decision.",
    ["local_authority", "rag"],
)
SCREENING_OVERDUE = Gauge(
    "frontdoor_screening_overdue",
    "Policy proposals nobody has screened by their due time.",
    ["local_authority", "rag"],
)
CHECKS_OPEN = Gauge("frontdoor_checks_open", "Partner checks awaiting an answer.", ["partner"])
CHECKS_OVERDUE = Gauge(
    "frontdoor_checks_overdue", "Partner checks past their due time, unanswered.", ["partner"]
)

WEBHOOKS = Counter(
    "frontdoor_webhook_deliveries_total",
    "Webhook deliveries by partner and result (delivered, failed attempt, dead-lettered).",
    ["partner", "result"],
)
WEBHOOK_ATTEMPTS = Histogram(
    "frontdoor_webhook_attempts",
    "Attempts a delivery took (its retry depth).",
    ["partner"],
    buckets=(1, 2, 3, 4, 5, 6, 7, 8),
)

RECORDS_LAG_SECONDS = Gauge(
    "frontdoor_records_behind_seconds",
    "How old the newest record the records database holds was when written (its lag).",
)

HTTP_REQUESTS = Counter(
    "frontdoor_http_requests_total",
    "HTTP requests by route template, method and status code.",
    ["service", "route", "method", "code"],
)
HTTP_SECONDS = Histogram(
    "frontdoor_http_request_duration_seconds",
    "HTTP request durations by route template.",
    ["service", "route"],
    buckets=HTTP_BUCKETS,
)
SIGN_INS = Counter(
    "frontdoor_sign_ins_total", "Sign-ins by service and result.", ["service", "result"]
)
ACTIONS = Counter("frontdoor_dashboard_actions_total", "Duty managers' actions sent.", ["kind"])

# Health counters with a family of their own; any other is a frontdoor_service_events_total.
_DEDICATED = {
    "records_in": RECORDS_IN,
    "records_out": RECORDS_OUT,
    "batches": BATCHES,
    "records_dead_lettered": DEAD_LETTERS,
    "webhooks_dead_lettered": DEAD_LETTERS,
}


def count(service: str, name: str, amount: int = 1) -> None:
    """Count a health counter's increment as its metric."""
    family = _DEDICATED.get(name)
    if family is not None:
        family.labels(service=service).inc(amount)
    else:
        EVENTS.labels(service=service, event=name).inc(amount)


def exposition() -> tuple[bytes, str]:
    """The metrics in the text exposition format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
