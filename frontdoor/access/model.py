"""Who may do what on the broker: one principal per service and per partner, least rights.

The one place the rights are written down. The local broker's ACLs (``frontdoor partners
add``, ``frontdoor up``), the Strimzi ``KafkaUser`` resources in ``deploy/kubernetes`` and the
tests of refused access are all made from these grants.

- A partner may write only its own ``referrals.inbound.<org>`` and ``checks.answers.<org>``
  (a police force also its ``encompass.inbound.<org>``), and read only its own
  ``status.<org>`` and ``checks.requests.<org>``, with consumer groups
  named ``<org>.<anything>`` (ids hold no dot, so no partner's groups can be another's or a
  service's).
- Each service reads and writes only the topics of its stage, under its own consumer group
  and transactional id. The gateway only writes the inbound topics, as the partners it sends
  for would.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from runtime.kafka.clients import safe_client_id
from schemas.topics import (
    CHECK_ANSWERS_PREFIX,
    CHECK_REQUESTS_PREFIX,
    ENCOMPASS_INBOUND_PREFIX,
    INBOUND_PREFIX,
    STATUS_PREFIX,
    Topics,
)

SERVICES = ("intake", "triage", "notifier", "dashboard", "records", "gateway")
ADMIN = "frontdoor-admin"


# Member names are Kafka's own (the admin client's enums are looked up by them); values are
# Strimzi's spelling in a KafkaUser's ACLs.


class Resource(StrEnum):
    """Kafka resource types an ACL can name."""

    TOPIC = "topic"
    GROUP = "group"
    TRANSACTIONAL_ID = "transactionalId"


class Pattern(StrEnum):
    """Whether an ACL's name is a whole name or a prefix."""

    LITERAL = "literal"
    PREFIXED = "prefix"


class Operation(StrEnum):
    """Operations granted (Read and Write imply Describe)."""

    READ = "Read"
    WRITE = "Write"
    DESCRIBE = "Describe"


@dataclass(frozen=True, slots=True)
class Grant:
    """Allow ``operation`` on resources of ``resource`` type named (or prefixed) ``name``."""

    resource: Resource
    name: str
    pattern: Pattern
    operation: Operation


def service_principal(service: str, topics: Topics) -> str:
    """The SASL user a service connects as (one per deployment prefix)."""
    return safe_client_id(topics.prefix + "frontdoor", service)


def partner_principal(org: str) -> str:
    """The SASL user a partner organisation connects as: its organisation id."""
    return org


def partner_group_prefix(org: str, topics: Topics) -> str:
    """The consumer groups a partner may use all start with this: its id and a dot."""
    return f"{topics.prefix}{org}."


def _topic(name: str, *operations: Operation, prefixed: bool = False) -> list[Grant]:
    pattern = Pattern.PREFIXED if prefixed else Pattern.LITERAL
    return [Grant(Resource.TOPIC, name, pattern, op) for op in operations]


def _own_group_and_transactions(service: str, topics: Topics) -> list[Grant]:
    """The service's consumer groups and transactional ids all start with its group id."""
    own = safe_client_id(topics.prefix + "frontdoor", service)
    return [
        Grant(Resource.GROUP, own, Pattern.PREFIXED, Operation.READ),
        Grant(Resource.TRANSACTIONAL_ID, own, Pattern.PREFIXED, Operation.WRITE),
    ]


def service_grants(service: str, topics: Topics) -> list[Grant]:
    """What one service needs, and nothing more."""
    read, write = Operation.READ, Operation.WRITE
    status_prefix = topics.prefix + STATUS_PREFIX
    inbound_prefix = topics.prefix + INBOUND_PREFIX
    requests_prefix = topics.prefix + CHECK_REQUESTS_PREFIX
    answers_prefix = topics.prefix + CHECK_ANSWERS_PREFIX
    notices_prefix = topics.prefix + ENCOMPASS_INBOUND_PREFIX
    queues = topics.queues
    group_prefix = topics.prefix + "frontdoor-"
    grants: dict[str, list[Grant]] = {
        "intake": [
            *_topic(inbound_prefix, read, prefixed=True),
            *_topic(answers_prefix, read, prefixed=True),
            *_topic(notices_prefix, read, prefixed=True),
            *_topic(requests_prefix, write, prefixed=True),  # receipts of refused answers
            *_topic(topics.checks_received, write),
            *_topic(topics.encompass_accepted, write),
            *_topic(topics.accepted, write),
            *_topic(topics.invalid, write),
            *_topic(topics.rejections, write),
            *_topic(topics.status_events, write),
            *_topic(topics.dead_letter, write),
        ],
        "triage": [
            *_topic(topics.accepted, read),
            *_topic(topics.actions, read),
            *_topic(topics.checks_received, read),
            *_topic(topics.encompass_accepted, read),
            *_topic(topics.encompass_acks, read),
            *_topic(topics.encompass_notices, read, write),
            *_topic(requests_prefix, write, prefixed=True),
            *_topic(topics.cases, read, write),
            *_topic(topics.archive, write),
            *_topic(topics.decisions, write),
            *(g for q in queues for g in _topic(q, write)),
            *_topic(topics.status_events, write),
            *_topic(topics.dead_letter, write),
        ],
        "notifier": [
            *_topic(topics.status_events, read),
            *_topic(topics.notifier_sequences, read, write),
            *_topic(status_prefix, read, write, prefixed=True),
            *_topic(requests_prefix, read, prefixed=True),  # check requests, for webhooks
            *_topic(topics.dead_letter, write),
            # webhook deliveries: one consumer group per partner and stream
            Grant(Resource.GROUP, group_prefix + "webhooks", Pattern.PREFIXED, read),
        ],
        "dashboard": [
            *_topic(topics.cases, read),
            *_topic(topics.decisions, read),
            *_topic(status_prefix, read, prefixed=True),  # what each referrer was told
            *_topic(topics.actions, write),
        ],
        "records": [
            *_topic(topics.cases, read),
            *_topic(topics.archive, read),
            *_topic(topics.decisions, read),
            *_topic(topics.rejections, read),
            *_topic(topics.encompass_notices, read),
            *_topic(topics.accepted, read),  # the whole referral, for the case page
            *_topic(status_prefix, read, prefixed=True),
            *_topic(topics.dead_letter, write),  # what it cannot read
        ],
        # sends what partners send by HTTPS, as they would; reads no topic, no transactions
        "gateway": [
            *_topic(inbound_prefix, write, prefixed=True),
            *_topic(answers_prefix, write, prefixed=True),
            *_topic(topics.encompass_acks, write),  # schools' acknowledgements
        ],
    }
    if service == "gateway":
        return grants[service]
    return grants[service] + _own_group_and_transactions(service, topics)


def partner_grants(org: str, topics: Topics, *, police: bool = False) -> list[Grant]:
    """A partner writes its own inbound and check-answers topics, and reads its own status.

    It reads its check requests too; a police force also writes its Encompass notices.
    """
    return [
        *_topic(topics.inbound(org), Operation.WRITE),
        *_topic(topics.status(org), Operation.READ),
        *_topic(topics.check_answers(org), Operation.WRITE),
        *_topic(topics.check_requests(org), Operation.READ),
        *(_topic(topics.encompass_inbound(org), Operation.WRITE) if police else []),
        Grant(Resource.GROUP, partner_group_prefix(org, topics), Pattern.PREFIXED, Operation.READ),
    ]
