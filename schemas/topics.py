"""The one registry of Front Door's Kafka topics: names, partitions, retention and compaction.

Every service and command asks this module for topic names; nothing spells a topic by hand.
A prefix (``FRONTDOOR_TOPIC_PREFIX``) places a whole deployment, or one test, in its own
namespace on a shared cluster.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

FOREVER = -1
DAY_MS = 24 * 60 * 60 * 1000
MIB = 1024 * 1024
# Partners' topics take messages far over the 256 KiB a referral may be, so that intake sees
# an oversized message and tells the partner, instead of the partner's client failing alone.
INBOUND_MAX_MESSAGE_BYTES = 16 * MIB
# A rejected message is kept whole, with its errors in a header.
INVALID_MAX_MESSAGE_BYTES = INBOUND_MAX_MESSAGE_BYTES + 2 * MIB
# A rejected message may hold a child's details and was never accepted: its bytes are kept for
# 90 days (long enough to investigate a partner's fault), its metadata forever.
REJECTED_MESSAGES_KEPT_DAYS = 90

ORGANISATION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# An organisation id is also its Kafka user's name: it may never be one of Front Door's own users
# (frontdoor-admin, frontdoor-intake, ...) nor a name a broker treats specially.
RESERVED_PREFIX = "frontdoor"
RESERVED_IDS = frozenset({"admin", "anonymous", "controller", "kafka", "root", "superuser"})


class Cleanup(StrEnum):
    """Kafka's ``cleanup.policy`` for a topic."""

    DELETE = "delete"
    COMPACT = "compact"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """How one topic is created: its name (before any prefix) and its storage settings."""

    name: str
    partitions: int
    retention_ms: int
    cleanup: Cleanup
    description: str
    max_message_bytes: int | None = None

    def configs(self) -> dict[str, str]:
        """Topic-level configuration to send with ``CreateTopics``."""
        configs = {"cleanup.policy": self.cleanup.value, "retention.ms": str(self.retention_ms)}
        if self.cleanup is Cleanup.COMPACT:
            # Roll segments hourly and compact eagerly, so a restarting service reads little
            # more than the latest state of each key.
            configs |= {"segment.ms": str(60 * 60 * 1000), "min.cleanable.dirty.ratio": "0.1"}
        if self.max_message_bytes is not None:
            configs["max.message.bytes"] = str(self.max_message_bytes)
        return configs


INBOUND_PREFIX = "referrals.inbound."
STATUS_PREFIX = "status."
CHECK_REQUESTS_PREFIX = "checks.requests."
CHECK_ANSWERS_PREFIX = "checks.answers."
ENCOMPASS_INBOUND_PREFIX = "encompass.inbound."

CORE_TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        "referrals.accepted",
        6,
        FOREVER,
        Cleanup.DELETE,
        "Validated, normalised referrals, keyed by local authority.",
    ),
    TopicSpec(
        "referrals.invalid",
        3,
        REJECTED_MESSAGES_KEPT_DAYS * DAY_MS,
        Cleanup.DELETE,
        "Rejected messages: the original bytes, every error and where they came from; "
        f"kept {REJECTED_MESSAGES_KEPT_DAYS} days.",
        INVALID_MAX_MESSAGE_BYTES,
    ),
    TopicSpec(
        "referrals.rejections",
        3,
        FOREVER,
        Cleanup.DELETE,
        "The audit record of each rejection: organisation, time, error locations, size and "
        "hash, never the message itself; kept forever.",
    ),
    TopicSpec(
        "referrals.status",
        6,
        90 * DAY_MS,
        Cleanup.DELETE,
        "Status events for referrers, keyed by contact id; the notifier turns them into updates.",
    ),
    TopicSpec(
        "triage.queue.enquiry-assessment",
        6,
        FOREVER,
        Cleanup.DELETE,
        "Cases for the enquiry and assessment team, keyed by local authority.",
    ),
    TopicSpec(
        "triage.queue.early-help",
        6,
        FOREVER,
        Cleanup.DELETE,
        "Cases for the early help team, keyed by local authority.",
    ),
    TopicSpec(
        "triage.queue.emergency-duty",
        6,
        FOREVER,
        Cleanup.DELETE,
        "Red cases received out of office hours, for the emergency duty team (they are on the "
        "enquiry and assessment queue as well), keyed by local authority.",
    ),
    TopicSpec(
        "triage.queue.screening",
        6,
        FOREVER,
        Cleanup.DELETE,
        "The policy's proposals waiting for a person's screening decision (every new or "
        "re-rated contact), keyed by local authority.",
    ),
    TopicSpec(
        "triage.decisions",
        6,
        FOREVER,
        Cleanup.DELETE,
        "The audit trail: every decision, who or what made it, from what to what, and why.",
    ),
    TopicSpec(
        "triage.cases",
        6,
        FOREVER,
        Cleanup.COMPACT,
        "Compacted case state, keyed by case id: triage's working set, restored at start; a "
        "retired case leaves it by a tombstone.",
    ),
    TopicSpec(
        "triage.archive",
        6,
        FOREVER,
        Cleanup.DELETE,
        "The final state of each case retired from triage's working set (closed longer ago "
        "than the policy's look-back window), keyed by case id; kept forever, read by records, "
        "never by triage at start.",
    ),
    TopicSpec(
        "triage.actions",
        6,
        FOREVER,
        Cleanup.DELETE,
        "Duty managers' actions: allocate, override, close, confirm or reject a match.",
    ),
    TopicSpec(
        "checks.received",
        6,
        FOREVER,
        Cleanup.DELETE,
        "Partners' check answers that passed validation, keyed by local authority (so the "
        "partition that holds the case reads them); triage records or refuses each.",
    ),
    TopicSpec(
        "encompass.accepted",
        6,
        FOREVER,
        Cleanup.DELETE,
        "Operation Encompass notices intake accepted, keyed by local authority; triage finds "
        "each child's school and delivers it.",
    ),
    TopicSpec(
        "encompass.acks",
        6,
        FOREVER,
        Cleanup.DELETE,
        "Schools' acknowledgements of Encompass notices (from the gateway), keyed by local "
        "authority.",
    ),
    TopicSpec(
        "encompass.notices",
        6,
        FOREVER,
        Cleanup.COMPACT,
        "Compacted state of each Encompass notice, keyed by notice ref: where it went, when it "
        "is due, who acknowledged it, what the council did; triage's, restored at start.",
    ),
    TopicSpec(
        "notifier.sequences",
        6,
        FOREVER,
        Cleanup.COMPACT,
        "Compacted last status sequence per contact, so updates never repeat after a restart.",
    ),
    TopicSpec(
        "notifier.dead-letter",
        1,
        FOREVER,
        Cleanup.DELETE,
        "Webhook deliveries that failed every attempt, with the reason.",
    ),
)

# One partition per partner topic: a partner's stream is small, and intake and the readers of
# status topics scale across organisations, not within one. Every partition is a line in each
# fetch request of every consumer of these topics (aiokafka sends whole fetch requests, without
# incremental fetch sessions), so three per partner tripled that work for nothing: with seven
# partners, the broker's CPU per referral in `frontdoor bench` fell from 0.75 to 0.40 ms.
INBOUND_TEMPLATE = TopicSpec(
    INBOUND_PREFIX + "{org}",
    1,
    30 * DAY_MS,
    Cleanup.DELETE,
    "Referrals published by one partner organisation (write-only for that organisation).",
    INBOUND_MAX_MESSAGE_BYTES,
)
STATUS_TEMPLATE = TopicSpec(
    STATUS_PREFIX + "{org}",
    1,
    90 * DAY_MS,
    Cleanup.DELETE,
    "Status updates for one partner organisation (read-only for that organisation).",
)

CHECK_REQUESTS_TEMPLATE = TopicSpec(
    CHECK_REQUESTS_PREFIX + "{org}",
    1,
    FOREVER,
    Cleanup.DELETE,
    "Partner checks for one organisation that answers them: requests, reminders, withdrawals "
    "and receipts for its answers (read-only for that organisation).",
)
CHECK_ANSWERS_TEMPLATE = TopicSpec(
    CHECK_ANSWERS_PREFIX + "{org}",
    1,
    FOREVER,
    Cleanup.DELETE,
    "One organisation's answers to partner checks (write-only for that organisation); every "
    "disclosure is kept.",
)


ENCOMPASS_INBOUND_TEMPLATE = TopicSpec(
    ENCOMPASS_INBOUND_PREFIX + "{org}",
    1,
    30 * DAY_MS,
    Cleanup.DELETE,
    "Operation Encompass notices published by one police force (write-only for that force).",
)


def check_organisation_id(org: str) -> str:
    """Return ``org`` if it can name a partner's topics, else raise ``ValueError``."""
    if not ORGANISATION_ID.fullmatch(org):
        raise ValueError(
            f"organisation id {org!r} must be 2-63 lower-case letters, digits or hyphens",
        )
    # Anywhere, not only at the start: services connect as <topic prefix>frontdoor-<service>
    # (acme-frontdoor-intake under the prefix acme-), and an id never holds a prefix.
    if RESERVED_PREFIX in org or org in RESERVED_IDS:
        raise ValueError(
            f"organisation id {org!r} is reserved for Front Door's own users; choose another",
        )
    return org


@dataclass(frozen=True, slots=True)
class Topics:
    """Topic names for one deployment (or one test), all under the same prefix."""

    prefix: str = ""

    def name(self, spec: TopicSpec) -> str:
        """The full name of a core topic."""
        return self.prefix + spec.name

    @property
    def accepted(self) -> str:
        """Validated referrals, for triage."""
        return self.prefix + "referrals.accepted"

    @property
    def invalid(self) -> str:
        """Rejected messages with their errors."""
        return self.prefix + "referrals.invalid"

    @property
    def rejections(self) -> str:
        """Rejection metadata, the audit record that outlives the rejected bytes."""
        return self.prefix + "referrals.rejections"

    @property
    def status_events(self) -> str:
        """Internal status events, for the notifier."""
        return self.prefix + "referrals.status"

    @property
    def queue_enquiry_assessment(self) -> str:
        """The enquiry and assessment team's queue."""
        return self.prefix + "triage.queue.enquiry-assessment"

    @property
    def queue_early_help(self) -> str:
        """The early help team's queue."""
        return self.prefix + "triage.queue.early-help"

    @property
    def queue_emergency_duty(self) -> str:
        """The emergency duty team's queue: red cases received out of office hours."""
        return self.prefix + "triage.queue.emergency-duty"

    @property
    def queue_screening(self) -> str:
        """The screening queue: the policy's proposals waiting for a person."""
        return self.prefix + "triage.queue.screening"

    @property
    def queues(self) -> tuple[str, str, str, str]:
        """Every queue triage writes: the two teams', the emergency duty team's, screening."""
        return (
            self.queue_enquiry_assessment,
            self.queue_early_help,
            self.queue_emergency_duty,
            self.queue_screening,
        )

    @property
    def decisions(self) -> str:
        """The audit trail."""
        return self.prefix + "triage.decisions"

    @property
    def cases(self) -> str:
        """Compacted case state."""
        return self.prefix + "triage.cases"

    @property
    def archive(self) -> str:
        """Final states of retired cases."""
        return self.prefix + "triage.archive"

    @property
    def actions(self) -> str:
        """Duty managers' actions."""
        return self.prefix + "triage.actions"

    @property
    def checks_received(self) -> str:
        """Validated check answers, keyed by local authority, for triage."""
        return self.prefix + "checks.received"

    def check_requests(self, org: str) -> str:
        """The topic a partner reads its check requests (and answer receipts) from."""
        return self.prefix + CHECK_REQUESTS_PREFIX + check_organisation_id(org)

    def check_answers(self, org: str) -> str:
        """The topic a partner publishes its check answers to."""
        return self.prefix + CHECK_ANSWERS_PREFIX + check_organisation_id(org)

    @property
    def partner_input_pattern(self) -> str:
        """What intake reads: partners' referrals and check answers, police forces' notices.

        New partners' topics included.
        """
        heads = "|".join(
            re.escape(self.prefix + head)
            for head in (INBOUND_PREFIX, CHECK_ANSWERS_PREFIX, ENCOMPASS_INBOUND_PREFIX)
        )
        return f"^(?:{heads})[a-z0-9][a-z0-9-]*$"

    def organisation_of_answers(self, topic: str) -> str | None:
        """The organisation a check-answers topic belongs to, or None if it is not one."""
        head = self.prefix + CHECK_ANSWERS_PREFIX
        org = topic[len(head) :] if topic.startswith(head) else ""
        return org if ORGANISATION_ID.fullmatch(org) else None

    @property
    def encompass_accepted(self) -> str:
        """Accepted Encompass notices, keyed by local authority, for triage."""
        return self.prefix + "encompass.accepted"

    @property
    def encompass_acks(self) -> str:
        """Schools' acknowledgements, keyed by local authority, for triage."""
        return self.prefix + "encompass.acks"

    @property
    def encompass_notices(self) -> str:
        """Compacted notice state, triage's."""
        return self.prefix + "encompass.notices"

    def encompass_inbound(self, org: str) -> str:
        """The topic a police force publishes its Encompass notices to."""
        return self.prefix + ENCOMPASS_INBOUND_PREFIX + check_organisation_id(org)

    def organisation_of_notices(self, topic: str) -> str | None:
        """The police force an Encompass inbound topic belongs to, or None if it is not one."""
        head = self.prefix + ENCOMPASS_INBOUND_PREFIX
        org = topic[len(head) :] if topic.startswith(head) else ""
        return org if ORGANISATION_ID.fullmatch(org) else None

    @property
    def notifier_sequences(self) -> str:
        """Compacted status sequence per contact."""
        return self.prefix + "notifier.sequences"

    @property
    def dead_letter(self) -> str:
        """Undeliverable webhooks."""
        return self.prefix + "notifier.dead-letter"

    def inbound(self, org: str) -> str:
        """The topic a partner publishes its referrals to."""
        return self.prefix + INBOUND_PREFIX + check_organisation_id(org)

    def status(self, org: str) -> str:
        """The topic a partner reads its status updates from."""
        return self.prefix + STATUS_PREFIX + check_organisation_id(org)

    @property
    def inbound_pattern(self) -> str:
        """A regular expression matching every partner's inbound topic, new ones included."""
        return "^" + re.escape(self.prefix + INBOUND_PREFIX) + r"[a-z0-9][a-z0-9-]*$"

    @property
    def status_pattern(self) -> str:
        """A regular expression matching every partner's status topic, new ones included."""
        return "^" + re.escape(self.prefix + STATUS_PREFIX) + r"[a-z0-9][a-z0-9-]*$"

    def organisation_of_inbound(self, topic: str) -> str | None:
        """The organisation id an inbound topic belongs to, or None if it is not one."""
        head = self.prefix + INBOUND_PREFIX
        if not topic.startswith(head):
            return None
        org = topic[len(head) :]
        return org if ORGANISATION_ID.fullmatch(org) else None

    def specs_for(
        self,
        organisations: Iterable[str],
        checking: Iterable[str] = (),
        police: Iterable[str] = (),
    ) -> list[tuple[str, TopicSpec]]:
        """Every topic this deployment needs: the core ones and each partner's two.

        Each partner in ``checking`` (those that answer partner checks) has two more; each
        police force in ``police`` one more, for its Encompass notices.
        """
        named = [(self.name(spec), spec) for spec in CORE_TOPICS]
        for org in organisations:
            named.append((self.inbound(org), INBOUND_TEMPLATE))
            named.append((self.status(org), STATUS_TEMPLATE))
        for org in checking:
            named.append((self.check_requests(org), CHECK_REQUESTS_TEMPLATE))
            named.append((self.check_answers(org), CHECK_ANSWERS_TEMPLATE))
        named.extend((self.encompass_inbound(org), ENCOMPASS_INBOUND_TEMPLATE) for org in police)
        return named
