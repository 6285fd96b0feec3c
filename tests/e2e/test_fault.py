"""The fault test: thousands of referrals while every service is SIGKILLed again and again
and the broker is restarted once. Nothing is lost, nothing is doubled, nothing leaks.

A realistic stream (many organisations, four LAs, new referrals, repeat contacts about the
same children, resubmissions, amendments and invalid messages) is published over ~40 s to a
broker of the test's own, with SASL/SCRAM and ACLs, each service connected as its own user.
The services run under the same supervisor as ``frontdoor up`` (which restarts what exits);
the test kills each of them with SIGKILL at random moments and restarts the broker once.
Meanwhile new partners' topics appear (the records service's pattern subscription rebalances
each time) and a second records process joins the group for part of the run, then leaves.

Then, from what is on the broker:
- intake answered every published message exactly once (accepted or ``referrals.invalid``),
  and every message that fails validation is the one in ``referrals.invalid``;
- every accepted referral has exactly one decision and belongs to exactly one case, and the
  decisions, queue items and status events are exactly those of one crash-free pass;
- every referrer's updates are complete and numbered 1, 2, 3... without gaps or repeats;
- partner checks are asked and answered during the chaos (simulated partners answer as their own
  users): every request, reminder and receipt is that of the crash-free pass, every answer got
  exactly one receipt, none was recorded twice;
- the police force's Operation Encompass notices, sent during the chaos, are each accepted
  once and relayed as a crash-free relay would (to the school, or to the council), their
  status events counted with the rest;
- the records database (its writer SIGKILLed too) equals a crash-free projection, row for row,
  its checks and notices tables included;
- no log line of any service holds a child's name, date of birth, NHS number or address (the
  notices' children included).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from records_check import caught_up, crash_free, snapshot_of_database, snapshot_of_rows

from conftest import read_topics
from domain.policies import PolicyBook
from domain.policy import load_policy
from domain.school_roll import SchoolRoll
from domain.validation import Accepted, validate_referral
from expected import Place, place, replay
from frontdoor.access.provision import secure_deployment
from frontdoor.broker.local import LocalBroker, throwaway_broker
from frontdoor.cli.supervisor import PIPELINE, Supervisor
from frontdoor.simulator.checks import answer_checks
from frontdoor.simulator.encompass import EncompassSimulation
from frontdoor.simulator.stream import Publication, ReferralStream
from runtime.kafka.admin import ensure_topics
from runtime.kafka.clients import make_producer
from runtime.kafka.settings import KafkaSettings
from runtime.partners import load_registry
from runtime.records_db.database import make_engine, upgrade
from schemas.checks import ReceivedAnswer
from schemas.encompass import AcceptedNotice, Notice, Routing
from schemas.intake import AcceptedReferral, Rejection
from schemas.status import Status, StatusEvent, StatusUpdate
from schemas.triage import Case, Decision, DecisionKind, QueueItem
from screening import confirm_as_they_come
from services.intake.handler import REJECTION_HEADER
from services.records.store import RecordsStore
from services.triage.encompass import EncompassRelay
from services.triage.engine import Effects

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.fault]

REFERRALS = 3000
NOTICES = 120  # Operation Encompass notices from the police force, during the same chaos
KILLS_EACH = 3
PUBLISH_SECONDS = 40


def stream(count: int) -> list[Publication]:
    referrals = ReferralStream(load_registry(), seed=20261126)
    return [referrals.next() for _ in range(count)]


async def publish(
    broker: LocalBroker, kafka: KafkaSettings, messages: list[Publication], up: asyncio.Event
) -> None:
    """Each partner sends as itself, at an even pace; it waits while the broker is down."""
    producers = {}
    try:
        for number, message in enumerate(messages):
            await up.wait()
            org = message.organisation_id
            if org not in producers:
                settings = broker.credentials.settings(
                    broker.bootstrap_servers, org, kafka.topic_prefix
                )
                producers[org] = make_producer(settings, client_id=f"partner-{org}")
                await producers[org].start()
            await producers[org].send_and_wait(kafka.topics.inbound(org), message.value)
            if number % 50 == 0:
                await asyncio.sleep(PUBLISH_SECONDS * 50 / len(messages))
    finally:
        for producer in producers.values():
            await producer.stop()


async def publish_notices(
    broker: LocalBroker, kafka: KafkaSettings, up: asyncio.Event
) -> list[bytes]:
    """The police force's Encompass notices, at an even pace, waiting while the broker is down.

    The notices sent (the simulation's mix of kinds).
    """
    simulation = EncompassSimulation(load_registry(), seed=20261205)
    sent: list[bytes] = []
    producers = {}
    try:
        for _ in range(NOTICES):
            force, _, value = simulation.next()
            await up.wait()
            if force not in producers:
                settings = broker.credentials.settings(
                    broker.bootstrap_servers, force, kafka.topic_prefix
                )
                producers[force] = make_producer(settings, client_id=f"police-{force}")
                await producers[force].start()
            await producers[force].send_and_wait(kafka.topics.encompass_inbound(force), value)
            sent.append(value)
            await asyncio.sleep(PUBLISH_SECONDS / NOTICES)
    finally:
        for producer in producers.values():
            await producer.stop()
    return sent


async def chaos(
    supervisor: Supervisor, broker: LocalBroker, up: asyncio.Event, rng: random.Random
) -> Counter[str]:
    """SIGKILL each service KILLS_EACH times at random moments; restart the broker once."""
    plan = [name for name in PIPELINE for _ in range(KILLS_EACH)] + ["broker"]
    rng.shuffle(plan)
    done: Counter[str] = Counter()
    for victim in plan:
        await asyncio.sleep(rng.uniform(1.5, 3.5))
        if victim == "broker":
            up.clear()
            await asyncio.to_thread(broker.stop)
            await asyncio.to_thread(broker.start)
            await broker.wait_ready(timeout=120)
            up.set()
        else:
            (service,) = [s for s in supervisor.services if s.name == victim]
            assert service.process is not None
            service.process.kill()  # SIGKILL: no chance to finish anything
        done[victim] += 1
    return done


async def records_churn(
    admin: KafkaSettings, second: Supervisor, up: asyncio.Event, rng: random.Random
) -> Counter[str]:
    """Move the records service's partitions: new partner topics, a second member for a while."""
    done: Counter[str] = Counter()
    for step in ("topic", "join", "topic", "topic", "leave", "topic"):
        await asyncio.sleep(rng.uniform(2.5, 5.0))
        await up.wait()
        if step == "topic":
            newcomer = f"newcomer-{done['topic']}"
            await ensure_topics(admin, admin.topics.specs_for([newcomer]))
        elif step == "join":
            await second.start()
        else:
            await second.stop()
        done[step] += 1
    return done


def personal_data(messages: list[Publication]) -> set[str]:
    """Every child's full name, date of birth, NHS number and address line in the stream."""
    found: set[str] = set()
    for message in messages:
        try:
            child = json.loads(message.value)["child"]
        except (ValueError, KeyError, TypeError):
            continue
        if child.get("given_name") and child.get("family_name"):
            found.add(f"{child['given_name']} {child['family_name']}")
        found |= {child[key] for key in ("date_of_birth", "nhs_number") if child.get(key)}
        address = child.get("address") or {}
        found |= {address[key] for key in ("line1", "postcode") if address.get(key)}
    return {value for value in found if isinstance(value, str) and len(value) >= 6}


@pytest.fixture
def broker() -> Iterator[LocalBroker]:
    """A broker of the test's own (it is restarted), with SASL/SCRAM and ACLs."""
    with throwaway_broker(heap="512m", sasl=True) as running:
        yield running


async def test_nothing_lost_or_doubled_when_everything_crashes(  # noqa: PLR0915 - one journey
    broker: LocalBroker, tmp_path: Path
) -> None:
    rng = random.Random(7)
    messages = stream(REFERRALS)
    admin = broker.client_settings().model_copy(update={"topic_prefix": "fault."})
    registry = load_registry()
    orgs = registry.ids
    await secure_deployment(
        admin, broker.credentials, orgs, registry.checking_ids, registry.police_ids
    )

    def own_env(name: str) -> dict[str, str]:
        return broker.credentials.service_environment(name, admin.topics) | {
            f"FRONTDOOR_{name.upper()}_LOG_LEVEL": "DEBUG",  # the most lines to scan
        }

    database = f"sqlite:///{tmp_path / 'records.db'}"
    engine = make_engine(database)
    upgrade(engine)
    environment = {
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        "FRONTDOOR_TOPIC_PREFIX": admin.topic_prefix,
        "FRONTDOOR_DATABASE_URL": database,
    }
    supervisor = Supervisor(PIPELINE, tmp_path / "logs", environment, own_env)
    second_records = Supervisor(("records",), tmp_path / "logs" / "second", environment, own_env)
    await supervisor.start()
    up = asyncio.Event()
    up.set()
    try:
        publishing = asyncio.create_task(publish(broker, admin, messages, up))
        noticing = asyncio.create_task(publish_notices(broker, admin, up))
        churning = asyncio.create_task(records_churn(admin, second_records, up, rng))
        answering_partners = {p.id: p.checks.agency for p in registry.partners if p.checks}
        answered: Counter[str] = Counter()
        answering = asyncio.create_task(
            answer_checks(
                admin,
                answering_partners,
                answered,
                lambda org: broker.credentials.settings(
                    broker.bootstrap_servers, org, admin.topic_prefix
                ),
            )
        )
        # a duty manager screens the held proposals during the chaos too
        screened: list[str] = []
        screening = asyncio.create_task(confirm_as_they_come(admin, sent=screened))
        kills = await chaos(supervisor, broker, up, rng)
        await publishing
        notices_sent = await noticing
        churned = await churning
        await asyncio.sleep(15)  # the partners' last answers (and screening decisions) in time
        answering.cancel()
        screening.cancel()
        await asyncio.gather(answering, screening, return_exceptions=True)
        totals = await verify(admin, messages, len(notices_sent), screened)
        # the records database, its writer SIGKILLed as often as the others, equals a
        # crash-free projection of the topics, row for row
        expected, lasts = await crash_free(admin)
        await caught_up(RecordsStore(engine), lasts)
        got = snapshot_of_database(engine)
        want = snapshot_of_rows(expected)
        for table, rows in want.items():
            assert got[table] == rows, f"{table}: {len(got[table])} rows, {len(rows)} expected"
        totals |= {f"rows.{table}": len(rows) for table, rows in got.items()}
    finally:
        await second_records.stop()
        await supervisor.stop()
        engine.dispose()
    starts = {s.name: s.starts for s in supervisor.services}

    print(  # noqa: T201 - the issue asks the fault test to print its counts
        f"\nfault test: {json.dumps(totals)}\n"
        f"SIGKILLs: {dict(kills)} (broker restarted {kills['broker']}x); process starts: {starts}"
        f"; records' partitions moved: {dict(churned)}"
    )
    assert churned == Counter(topic=4, join=1, leave=1)
    assert second_records.services[0].starts >= 1
    assert kills == Counter(dict.fromkeys(PIPELINE, KILLS_EACH) | {"broker": 1})
    assert all(starts[name] >= KILLS_EACH + 1 for name in PIPELINE)
    secrets = personal_data(messages) | personal_data(
        [Publication("cleveland-police", "notice", value) for value in notices_sent]
    )
    leaks = scan_logs(tmp_path / "logs", secrets)
    assert leaks == [], f"personal data in logs: {leaks[:3]}"


def scan_logs(folder: Path, secrets: set[str]) -> list[str]:
    lines = [line for path in folder.rglob("*.log") for line in path.read_text().splitlines()]
    assert len(lines) > REFERRALS  # DEBUG logs of three services: there is a lot to scan
    assert len(secrets) > REFERRALS  # and a lot to look for
    return [line for line in lines if any(secret in line for secret in secrets)]


async def verify(
    kafka: KafkaSettings, messages: list[Publication], notices: int, screened: list[str]
) -> dict[str, int]:
    """Read everything back and check it; return the counts."""
    topics = kafka.topics
    inbound = [topics.inbound(org) for org in load_registry().ids]
    sent = await read_topics(kafka, inbound, count=len(messages), timeout=60, settle=0)
    answers = await read_topics(
        kafka, [topics.accepted, topics.invalid], count=len(sent), timeout=300
    )
    accepted = [r for r in answers if r.topic == topics.accepted]
    rejected = [  # the original bytes, kept whole, with the rejection in a header
        Rejection.model_validate_json(dict(r.headers)[REJECTION_HEADER])
        for r in answers
        if r.topic == topics.invalid
    ]
    # intake answered each published message exactly once
    origin_of = Counter(
        [
            *((o.topic, o.partition, o.offset) for o in (r.origin for r in rejected)),
            *(
                (a.origin.topic, a.origin.partition, a.origin.offset)
                for a in (AcceptedReferral.model_validate_json(r.value) for r in accepted)
            ),
        ]
    )
    assert len(sent) == len(messages)
    assert set(origin_of) == {(r.topic, r.partition, r.offset) for r in sent}
    assert set(origin_of.values()) == {1}
    # and what it refused is exactly what fails validation
    invalid = {(r.topic, r.partition, r.offset) for r in sent if not _valid(r, kafka)}
    assert {(o.origin.topic, o.origin.partition, o.origin.offset) for o in rejected} == invalid

    expected, sent_answers, received = await crash_free_pass(kafka, accepted, screened)
    decisions = await read_topics(
        kafka, [topics.decisions], count=len(expected.decisions), timeout=300
    )
    got = [Decision.model_validate_json(r.value) for r in decisions]
    per_input = Counter((o.topic, o.partition, o.offset) for d in got if (o := d.origin))
    assert len(per_input) == len(accepted) + len(received)
    assert set(per_input.values()) == {1}
    by_id = {d.decision_id: d for d in expected.decisions}
    assert [d for d in got if by_id.get(d.decision_id) != d] == []
    assert len(got) == len(expected.decisions)
    screenings = applied_once(got, screened)

    queues = list(topics.queues)  # the emergency duty queue too: red cases out of hours
    items = await read_topics(kafka, queues, count=len(expected.queue_items), timeout=120)
    item_key = lambda i: (  # noqa: E731
        i.case.case_id,
        i.case.version,
        i.queue.value,
        i.reason,
        i.emergency_duty,
        i.screening,
    )
    got_items = [QueueItem.model_validate_json(r.value) for r in items]
    assert sorted(map(item_key, got_items)) == sorted(map(item_key, expected.queue_items))

    # every contact belongs to exactly one case (the latest version of each case)
    cases: dict[str, Case] = {}
    for record in await read_topics(kafka, [topics.cases], count=1, timeout=60, settle=2):
        case = Case.model_validate_json(record.value)
        if case.case_id not in cases or cases[case.case_id].version < case.version:
            cases[case.case_id] = case
    membership = Counter(
        c.contact_id for case in cases.values() if case.merged_into is None for c in case.contacts
    )
    accepted_contacts = {AcceptedReferral.model_validate_json(r.value).contact_id for r in accepted}
    assert set(membership) == accepted_contacts
    assert set(membership.values()) == {1}

    notice_statuses, notice_counts = await verify_notices(kafka, notices)

    # every status event reached its referrer once, numbered 1, 2, 3... per contact (the
    # police's and the schools' about notices too)
    events = await read_topics(
        kafka,
        [topics.status_events],
        count=len(sent) + len(expected.statuses) + notice_statuses,
        timeout=300,
    )
    statuses = [StatusEvent.model_validate_json(r.value) for r in events]
    assert len(statuses) == len(sent) + len(expected.statuses) + notice_statuses
    status_topics = [topics.status(org) for org in load_registry().ids]
    updates = await read_topics(kafka, status_topics, count=len(statuses), timeout=300)
    got_updates = [StatusUpdate.model_validate_json(r.value) for r in updates]
    sequences: dict[str, list[int]] = defaultdict(list)
    for update in got_updates:
        sequences[update.contact_id].append(update.sequence)
    assert all(seq == list(range(1, len(seq) + 1)) for seq in sequences.values())
    said = Counter((e.contact_id, e.status, e.occurred_at) for e in statuses)
    told = Counter((u.contact_id, u.status, u.occurred_at) for u in got_updates)
    assert told == said
    checks = await verify_checks(kafka, expected, sent_answers, received)
    return (
        checks
        | notice_counts
        | {
            "published": len(sent),
            "accepted": len(accepted),
            "rejected": len(rejected),
            "decisions": len(got),
            "cases": sum(1 for c in cases.values() if c.merged_into is None),
            "queue_items": len(got_items),
            "status_events": len(statuses),
            "status_updates": len(got_updates),
            "referrers": len({u.organisation_id for u in got_updates}),
            "rejected_told": sum(1 for u in got_updates if u.status is Status.REJECTED),
            "screening_actions": len(screened),
            "screened": screenings,
        }
    )


def applied_once(got: list[Decision], screened: list[str]) -> int:
    """Every screening action applied exactly once (one decision each, as the crash-free
    pass's); how many screened a proposal (the rest found it decided already: refused)."""
    sent = set(screened)
    per_action = Counter(d.action_id for d in got if d.action_id in sent)
    assert set(per_action) == sent
    assert set(per_action.values()) == {1}
    return sum(1 for d in got if d.action_id in sent and d.kind is DecisionKind.SCREENED)


async def crash_free_pass(
    kafka: KafkaSettings, accepted: list[Any], screened: list[str]
) -> tuple[Effects, list[Any], list[Any]]:
    """The crash-free pass; the answers partners sent; those intake passed on to triage.

    The duty manager's screening actions (``screened``, by id) are read in their places too.
    """
    topics = kafka.topics
    # partners' answers, read by triage beside the referrals: the crash-free pass reads each
    # partition's inputs in the order triage's decisions show it read them
    checking = load_registry().checking_ids
    sent_answers = await read_topics(
        kafka, [topics.check_answers(org) for org in checking], count=1, timeout=60, settle=3
    )
    received = await read_topics(
        kafka, [topics.checks_received], count=len(sent_answers), timeout=120
    )
    actions = await read_topics(kafka, [topics.actions], count=len(screened), timeout=60)
    inputs: set[Place] = {
        place(AcceptedReferral.model_validate_json(r.value).origin) for r in accepted
    }
    inputs |= {place(ReceivedAnswer.model_validate_json(r.value).origin) for r in received}
    inputs |= {("action", action_id) for action_id in screened}
    order: dict[Place, tuple[int, int]] = {}
    async with asyncio.timeout(300):
        while not inputs <= order.keys():  # every input's decision is there
            order.clear()
            decision_records = await read_topics(
                kafka, [topics.decisions], count=len(inputs), timeout=300
            )
            for record in sorted(decision_records, key=lambda r: (r.partition, r.offset)):
                decision = Decision.model_validate_json(record.value)
                if decision.origin is not None:
                    order.setdefault(place(decision.origin), (record.partition, record.offset))
                elif decision.action_id is not None:
                    key = ("action", decision.action_id)
                    order.setdefault(key, (record.partition, record.offset))
    expected = replay(accepted, received, order=order, action_records=actions)
    # each input partition was read in offset order
    read_order = sorted(
        accepted, key=lambda r: order[place(AcceptedReferral.model_validate_json(r.value).origin)]
    )
    for partition in {r.partition for r in accepted}:
        offsets = [r.offset for r in read_order if r.partition == partition]
        assert offsets == sorted(offsets)
    return expected, sent_answers, received


async def verify_checks(
    kafka: KafkaSettings, expected: Effects, sent_answers: list[Any], received: list[Any]
) -> dict[str, int]:
    """Every check message is the crash-free pass's, once; each answer has one receipt."""
    topics = kafka.topics
    checking = load_registry().checking_ids
    # every check request, reminder, withdrawal and receipt is the crash-free pass's, once
    told = await read_topics(
        kafka,
        [topics.check_requests(org) for org in checking],
        count=len(expected.check_messages),
        timeout=120,
    )
    check_key = lambda m: (m["kind"], m.get("request_id"))  # noqa: E731
    told_partners = [json.loads(r.value) for r in told]
    assert Counter(map(check_key, told_partners)) == Counter(
        check_key(m.model_dump(mode="json")) for _, m in expected.check_messages
    )
    receipts = [m for m in told_partners if m["kind"].startswith("answer-")]
    assert len(receipts) == len(sent_answers) == len(received)  # one receipt per answer
    assert not [m for m in receipts if "answered already" in json.dumps(m)]
    assert sum(m["kind"] == "answer-recorded" for m in receipts) > 0
    return {
        "check_requests": sum(m["kind"] == "request" for m in told_partners),
        "check_answers": len(sent_answers),
        "answers_recorded": sum(m["kind"] == "answer-recorded" for m in receipts),
    }


async def verify_notices(kafka: KafkaSettings, notices: int) -> tuple[int, dict[str, int]]:
    """Each notice accepted once and relayed as a crash-free relay would; the status events
    that gives (all triage's: it says "received" too, since only it knows a resend), and the
    counts."""
    topics = kafka.topics
    police = load_registry().police_ids
    sent = await read_topics(
        kafka, [topics.encompass_inbound(org) for org in police], count=notices, settle=0
    )
    assert len(sent) == notices
    accepted = [
        AcceptedNotice.model_validate_json(r.value)
        for r in await read_topics(kafka, [topics.encompass_accepted], count=notices, timeout=120)
    ]
    assert sorted(place(a.origin) for a in accepted) == sorted(
        (r.topic, r.partition, r.offset) for r in sent
    )  # every notice accepted once (the simulation's are all valid)
    registry = load_registry()
    relay = EncompassRelay(PolicyBook.single(load_policy()), lambda: registry, SchoolRoll)
    expected = Effects()
    for notice in accepted:
        expected.extend(relay.on_notice(notice, 0))
    latest: dict[str, Notice] = {}
    states = await read_topics(
        kafka, [topics.encompass_notices], count=len(expected.notices), timeout=120, settle=2
    )
    for record in states:
        state = Notice.model_validate_json(record.value)
        if state.notice_ref not in latest or latest[state.notice_ref].version < state.version:
            latest[state.notice_ref] = state
    where = lambda n: (n.routing, n.school_id, n.due_at, n.delivered_at, n.received_at)  # noqa: E731
    assert {ref: where(n) for ref, n in latest.items()} == {
        n.notice_ref: where(n) for n, _ in expected.notices
    }
    delivered = sum(n.routing is Routing.SCHOOL for n, _ in expected.notices)
    assert 0 < delivered < notices  # some to schools, some to the council
    return len(expected.statuses), {
        "notices": notices,
        "notices_to_schools": delivered,
        "notices_to_the_council": notices - delivered,
    }


def _valid(record: Any, kafka: KafkaSettings) -> bool:
    """What intake decides of one inbound record (the stream's dates are all recent)."""
    verdict = validate_referral(
        record.value or b"",
        organisation_id=kafka.topics.organisation_of_inbound(record.topic),
        registry=load_registry(),
    )
    return isinstance(verdict, Accepted)
