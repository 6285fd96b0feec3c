"""Seeded children's details never reach any service's log, valid referral or not."""

from __future__ import annotations

import asyncio
import json

import pytest

from conftest import read_topics
from factories import encode, recently, referral
from frontdoor.simulator.children import make_nhs_number
from runtime.kafka.clients import make_producer
from runtime.partners import load_registry

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SEEDED = [
    # given, family, date of birth, postcode, first line of address
    ("Zephyrine", "Quackenbush", "2016-03-09", "TS18 3QZ", "77 Wisteria Walk"),
    ("Bartholomew", "Fitzwilliam-Oyelaran", "2012-11-23", "TS20 1XJ", "2 Larkspur Close"),
    ("Ottoline", "Vandersloot", "2020-07-14", "TS19 8LU", "19 Juniper Row"),
]


async def test_no_seeded_detail_appears_in_any_log_line(topics_ready, services) -> None:
    import random  # noqa: PLC0415

    kafka = topics_ready
    rng = random.Random(5)
    for name in ("intake", "triage", "notifier"):
        services.start(name, **{f"FRONTDOOR_{name.upper()}_LOG_LEVEL": "DEBUG"})
    secrets: list[str] = []
    documents = []
    for number, (given, family, born, postcode, line1) in enumerate(SEEDED):
        nhs = make_nhs_number(rng)
        secrets += [
            given,
            family,
            born,
            postcode,
            line1,
            nhs,
            nhs[:3] + " " + nhs[3:6] + " " + nhs[6:],
        ]
        child = {
            "given_name": given,
            "family_name": family,
            "date_of_birth": born,
            "sex": "F",
            "nhs_number": nhs,
            "address": {"line1": line1, "postcode": postcode},
        }
        documents.append(referral(referral_id=f"PD-{number}", submitted_at=recently(), child=child))
        # the same details in messages intake must reject, so error paths are scanned too
        documents.append(
            referral(
                referral_id=f"PD-BAD-{number}",
                submitted_at=recently(),
                child=child | {"nhs_number": nhs[:9] + str((int(nhs[9]) + 1) % 10)},
            )
        )
        documents.append({"child": child, "colour": "blue"})
    producer = make_producer(kafka, client_id="test-partner")
    await producer.start()
    try:
        for document in documents:
            await producer.send_and_wait(kafka.topics.inbound("cleveland-police"), encode(document))
        await producer.send_and_wait(
            kafka.topics.inbound("cleveland-police"), json.dumps(SEEDED).encode()
        )
    finally:
        await producer.stop()
    orgs = load_registry().ids
    await read_topics(
        kafka, [kafka.topics.status(org) for org in orgs], count=len(documents) + 1 + 3, timeout=60
    )
    await asyncio.sleep(1)

    lines = 0
    for name in ("intake", "triage", "notifier"):
        for line in services.logs(name).splitlines():
            lines += 1
            leaked = [secret for secret in secrets if secret in line]
            assert not leaked, f"{name} logged a child's details"
    assert lines > 3 * len(documents)  # the services did log, at DEBUG, about these messages
