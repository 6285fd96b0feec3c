"""Webhook signatures: HMAC-SHA256 over the timestamp and body, verifiable by partners."""

from __future__ import annotations

import random

import pytest

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


@pytest.mark.parametrize("seed", range(20))
def test_backoff_is_the_schedule_the_readme_states(seed: int) -> None:
    policy = RetryPolicy()  # the defaults: 0.5 s doubling, jitter of half to one and a half, 60 s
    rng = random.Random(seed)
    for attempt in range(1, 13):
        base = min(60.0, 0.5 * 2 ** (attempt - 1))
        wait = policy.backoff(attempt, rng)
        assert 0.5 * base <= wait <= min(60.0, 1.5 * base), (attempt, wait)
    assert policy.max_attempts == 8
    assert policy.timeout_s == 5.0


def test_jitter_spreads_the_waits_across_its_band() -> None:
    policy = RetryPolicy()
    rng = random.Random(7)
    waits = [policy.backoff(3, rng) for _ in range(400)]  # base 2 s
    assert min(waits) < 1.2
    assert max(waits) > 2.8
