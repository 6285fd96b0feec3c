"""Webhook signatures: HMAC-SHA256 over the timestamp and body, verifiable by partners."""

from __future__ import annotations

import random

from services.notifier.webhooks import RetryPolicy, sign, verify_signature

BODY = b'{"contact_id": "c-1", "sequence": 1}'


def test_a_signature_verifies_with_the_same_secret_only() -> None:
    header = sign("s3cret", 1_763_371_800, BODY)
    assert header.startswith("t=1763371800,v1=")
    assert verify_signature("s3cret", header, BODY, now=1_763_371_800)
    assert not verify_signature("other", header, BODY, now=1_763_371_800)


def test_a_changed_body_or_timestamp_fails() -> None:
    header = sign("s3cret", 1_763_371_800, BODY)
    assert not verify_signature("s3cret", header, BODY + b" ", now=1_763_371_800)
    forged = header.replace("t=1763371800", "t=1763371801")
    assert not verify_signature("s3cret", forged, BODY, now=1_763_371_800)


def test_an_old_signature_is_refused() -> None:
    header = sign("s3cret", 1_763_371_800, BODY)
    assert not verify_signature("s3cret", header, BODY, now=1_763_371_800 + 301)


def test_a_malformed_header_is_refused() -> None:
    assert not verify_signature("s3cret", "nonsense", BODY, now=0)


def test_backoff_grows_exponentially_with_jitter_and_a_ceiling() -> None:
    policy = RetryPolicy(initial_backoff_s=1, max_backoff_s=10)
    rng = random.Random(1)
    waits = [policy.backoff(attempt, rng) for attempt in range(1, 8)]
    assert 0.5 <= waits[0] <= 1.5
    assert 4 <= waits[3] <= 12
    assert all(wait <= 15 for wait in waits)
