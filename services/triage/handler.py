"""The triage service's batch handler: records in, the engine's effects out as records.

Referrals and actions are keyed by local authority, so one partition number holds the same
local authorities in ``referrals.accepted``, ``triage.actions`` and ``triage.cases``; the case
state of a partition is rebuilt from ``triage.cases`` whenever this process is given it.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import structlog
from aiokafka import TopicPartition
from pydantic import ValidationError

from domain.school_roll import SchoolRoll
from runtime import metrics
from runtime.kafka.settings import KafkaSettings
from runtime.records import Outgoing, Record, RecordHandler, dead_letter
from runtime.state import read_partitions
from schemas.checks import ReceivedAnswer
from schemas.encompass import AcceptedNotice, Acknowledgement, Notice
from schemas.intake import AcceptedReferral
from schemas.partners import PartnerRegistry
from schemas.status import Outcome
from schemas.topics import Topics
from schemas.triage import ActionKind, Case, CaseState, ManagerAction
from services.triage.actions import apply_action
from services.triage.encompass import EncompassRelay
from services.triage.engine import Effects, TriageEngine

log = structlog.get_logger(__name__)


class TriageHandler(RecordHandler):
    """Feeds accepted referrals and manager actions to the engine, in partition order."""

    def __init__(
        self, topics: Topics, engine: TriageEngine, relay: EncompassRelay | None = None
    ) -> None:
        """Write to ``topics``; decide with ``engine``; relay Encompass notices with ``relay``.

        By default the relay knows no registered school and no school roll.
        """
        self.topics = topics
        self.engine = engine
        self.relay = relay or EncompassRelay(
            engine.policies, lambda: PartnerRegistry(partners=()), SchoolRoll
        )

    def handle(self, record: Record) -> list[Outgoing]:
        """The outputs of one accepted referral, manager action, check answer or notice."""
        if record.topic == self.topics.encompass_accepted:
            notice = AcceptedNotice.model_validate_json(record.value or b"")
            return self.records(self.relay.on_notice(notice, record.partition))
        if record.topic == self.topics.encompass_acks:
            try:
                ack = Acknowledgement.model_validate_json(record.value or b"")
            except ValidationError:
                return [dead_letter(self.topics.dead_letter, record, "malformed acknowledgement")]
            return self.records(self.relay.on_acknowledgement(ack, record.partition))
        if record.topic == self.topics.checks_received:
            received = ReceivedAnswer.model_validate_json(record.value or b"")
            effects = self.engine.on_check_answer(received, record.partition)
            log.info(
                "check answer handled",
                request_id=received.answer.request_id,
                decision=effects.decisions[-1].kind.value,
                partition=record.partition,
                offset=record.offset,
            )
        elif record.topic == self.topics.actions:
            try:
                action = ManagerAction.model_validate_json(record.value or b"")
            except ValidationError:
                log.warning(
                    "malformed action ignored", partition=record.partition, offset=record.offset
                )
                return [dead_letter(self.topics.dead_letter, record, "malformed manager action")]
            effects = (
                self.relay.on_council_note(action, record.partition)
                if action.kind is ActionKind.ENCOMPASS_NOTE
                else apply_action(self.engine, action, record.partition)
            )
            log.info(
                "action applied",
                action_id=action.action_id,
                kind=action.kind.value,
                decisions=len(effects.decisions),
                partition=record.partition,
                offset=record.offset,
            )
        else:
            accepted = AcceptedReferral.model_validate_json(record.value or b"")
            effects = self.engine.on_referral(accepted, record.partition)
            log.info(
                "referral triaged",
                contact_id=accepted.contact_id,
                decision=effects.answering(accepted.origin).kind.value,
                partition=record.partition,
                offset=record.offset,
            )
        return self.records(effects)

    def tick(self) -> list[Outgoing]:
        """Overdue reminders for cases whose decision due time has passed; retirements."""
        now = datetime.now(UTC)
        effects = self.engine.overdue(now)
        if effects.decisions:
            log.info("overdue cases flagged", cases=len(effects.decisions))
        chased = self.engine.chase_checks(now)
        if chased.check_messages or chased.decisions:
            log.info(
                "partner checks chased",
                reminders=len(chased.check_messages),
                decisions=len(chased.decisions),
            )
        effects.extend(chased)
        unscreened = self.engine.screening_overdue(now)
        if unscreened.decisions:
            log.info("screening overdue", cases=len(unscreened.decisions))
        effects.extend(unscreened)
        retired = self.engine.retire(now)
        if retired.retired:
            log.info("cases retired", cases=len(retired.retired), held=len(self.engine.cases))
        effects.extend(retired)
        effects.extend(self.relay.overdue(now))
        self.measure(now)
        return self.records(effects)

    def measure(self, now: datetime) -> None:
        """Set the gauges of open and overdue cases per council and queue, checks per partner."""
        open_cases: Counter[tuple[str, str]] = Counter()
        overdue: Counter[tuple[str, str, str]] = Counter()
        checks_open: Counter[str] = Counter()
        checks_overdue: Counter[str] = Counter()
        screening: Counter[tuple[str, str]] = Counter()
        screening_overdue: Counter[tuple[str, str]] = Counter()
        for brief in self.engine.cases.briefs.values():
            if brief.screening_due is not None and not brief.merged:
                screening[brief.local_authority, brief.rag.value] += 1
                if brief.screening_due <= now:
                    screening_overdue[brief.local_authority, brief.rag.value] += 1
            if brief.state is CaseState.CLOSED or brief.merged:
                continue
            queue = "screening" if brief.held else brief.outcome.value
            open_cases[brief.local_authority, queue] += 1
            if brief.state is CaseState.OPEN and brief.decision_due <= now:
                overdue[brief.local_authority, queue, brief.rag.value] += 1
            for partner, due in brief.open_checks:
                checks_open[partner] += 1
                checks_overdue[partner] += due <= now
        for gauge, counts in (
            (metrics.CASES_OPEN, open_cases),
            (metrics.CASES_OVERDUE, overdue),
            (metrics.CHECKS_OPEN, checks_open),
            (metrics.CHECKS_OVERDUE, checks_overdue),
            (metrics.SCREENING_WAITING, screening),
            (metrics.SCREENING_OVERDUE, screening_overdue),
        ):
            gauge.clear()  # a council or partner with nothing open any more shows nothing
            for labels, value in counts.items():
                gauge.labels(*(labels if isinstance(labels, tuple) else (labels,))).set(value)

    def records(self, effects: Effects) -> list[Outgoing]:
        """The Kafka records of a set of effects."""
        topics = self.topics
        rag_of = {case.case_id: case.rag.value for case, _ in effects.cases}
        for decision in effects.decisions:
            outcome = decision.to_outcome.value if decision.to_outcome else "none"
            rag = rag_of.get(decision.case_id or "", "none")
            metrics.DECISIONS.labels(decision.kind.value, outcome, rag).inc()
            for rule in decision.rules:
                metrics.RULES.labels(rule).inc()
        queue_topic = {
            Outcome.ENQUIRY_ASSESSMENT: topics.queue_enquiry_assessment,
            Outcome.EARLY_HELP: topics.queue_early_help,
        }
        return [
            *(
                Outgoing(
                    topics.cases,
                    effects.json_of(case),
                    key=case.case_id.encode(),
                    partition=partition,
                )
                for case, partition in effects.cases
            ),
            *(
                Outgoing(
                    topics.queue_screening
                    if item.screening
                    else topics.queue_emergency_duty
                    if item.emergency_duty
                    else queue_topic[item.queue],
                    item.model_dump_json().encode(),
                    key=item.case.local_authority.encode(),
                )
                for item in effects.queue_items
            ),
            *(
                Outgoing(
                    topics.decisions,
                    decision.model_dump_json().encode(),
                    key=decision.local_authority.encode(),
                )
                for decision in effects.decisions
            ),
            *(
                Outgoing(
                    topics.status_events,
                    status.model_dump_json().encode(),
                    key=status.contact_id.encode(),
                )
                for status in effects.statuses
            ),
            *(
                Outgoing(
                    topics.encompass_notices,
                    notice.model_dump_json().encode(),
                    key=notice.notice_ref.encode(),
                    partition=partition,
                )
                for notice, partition in effects.notices
            ),
            *(
                Outgoing(
                    topics.check_requests(org),
                    message.model_dump_json().encode(),
                    key=(message.request_id or org).encode(),
                )
                for org, message in effects.check_messages
            ),
            *(
                record
                for case, partition in effects.retired
                for record in (
                    Outgoing(topics.cases, None, key=case.case_id.encode(), partition=partition),
                    Outgoing(
                        topics.archive,
                        case.model_dump_json().encode(),
                        key=case.case_id.encode(),
                    ),
                )
            ),
        ]


async def restore_partitions(
    kafka: KafkaSettings,
    topics: Topics,
    engine: TriageEngine,
    assigned: set[TopicPartition],
    relay: EncompassRelay | None = None,
) -> int:
    """Rebuild the engine's cases for the assigned partitions from ``triage.cases``.

    And the relay's Encompass notices from ``encompass.notices``, if given.

    Only each case's newest version is parsed, and none that a tombstone retired: until the
    log cleaner has compacted the topic, it still holds every version written.
    """
    wanted = {tp.partition for tp in assigned if tp.topic == topics.accepted}
    for partition in engine.cases.partitions() - wanted:
        engine.forget_partition(partition)
    newest: dict[bytes, tuple[bytes, int]] = {}

    def load(record: Record) -> None:
        if record.value is None:
            newest.pop(record.key or b"", None)
        else:
            newest[record.key or b""] = (record.value, record.partition)

    restored = await read_partitions(kafka, topics.cases, wanted, load)
    while newest:  # each raw record freed as its case is packed: memory peaks no higher
        _, (value, partition) = newest.popitem()
        engine.load(Case.model_validate_json(value), partition, value)
    log.info("cases restored", partitions=sorted(wanted), records=restored, cases=len(engine.cases))
    if relay is not None:
        restored += await restore_notices(kafka, topics, relay, wanted)
    return restored


async def restore_notices(
    kafka: KafkaSettings, topics: Topics, relay: EncompassRelay, wanted: set[int]
) -> int:
    """Rebuild the relay's notices for the partitions in ``wanted`` from ``encompass.notices``."""
    for partition in set(relay.partition_of.values()) - wanted:
        relay.forget_partition(partition)
    newest: dict[bytes, tuple[bytes, int]] = {}

    def load(record: Record) -> None:
        if record.value is not None:
            newest[record.key or b""] = (record.value, record.partition)

    restored = await read_partitions(kafka, topics.encompass_notices, wanted, load)
    for value, partition in newest.values():
        relay.load(Notice.model_validate_json(value), partition)
    log.info("encompass notices restored", partitions=sorted(wanted), notices=len(newest))
    return restored
