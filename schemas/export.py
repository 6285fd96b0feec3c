"""Generates the JSON Schema files and the AsyncAPI document in ``schemas/`` from the models.

The files are checked in for partners to read; ``tests/unit/test_schema_files.py`` fails if
they drift from the models. Regenerate with ``frontdoor schemas export``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from schemas.checks import CheckAnswer, CheckReceipt, ReceivedAnswer
from schemas.encompass import AcceptedNotice, Acknowledgement, EncompassNotice, Notice
from schemas.intake import AcceptedReferral, Rejection
from schemas.referral import MAX_REFERRAL_BYTES, Referral
from schemas.status import StatusEvent, StatusUpdate
from schemas.topics import (
    CHECK_ANSWERS_TEMPLATE,
    CHECK_REQUESTS_TEMPLATE,
    CORE_TOPICS,
    ENCOMPASS_INBOUND_TEMPLATE,
    INBOUND_TEMPLATE,
    STATUS_TEMPLATE,
    TopicSpec,
)
from schemas.triage import Case, CheckRequest, Decision, ManagerAction, QueueItem

SCHEMAS_DIR = Path(__file__).resolve().parent
JSON_DIR = SCHEMAS_DIR / "json"

MODELS: dict[str, type[BaseModel]] = {
    "referral.v1": Referral,
    "status-update": StatusUpdate,
    "status-event": StatusEvent,
    "accepted-referral": AcceptedReferral,
    "rejection": Rejection,
    "case": Case,
    "queue-item": QueueItem,
    "decision": Decision,
    "manager-action": ManagerAction,
    "check-request.v1": CheckRequest,
    "check-receipt": CheckReceipt,
    "check-answer.v1": CheckAnswer,
    "received-answer": ReceivedAnswer,
    "encompass-notice.v1": EncompassNotice,
    "accepted-notice": AcceptedNotice,
    "acknowledgement": Acknowledgement,
    "notice": Notice,
}

# Which message each topic carries (topics whose payload comes with later issues say so).
TOPIC_MESSAGES: dict[str, str | None] = {
    INBOUND_TEMPLATE.name: "referral.v1",
    STATUS_TEMPLATE.name: "status-update",
    "referrals.accepted": "accepted-referral",
    "referrals.invalid": None,  # the partner's original bytes; the rejection in a header
    "referrals.rejections": "rejection",
    "referrals.status": "status-event",
    "triage.queue.enquiry-assessment": "queue-item",
    "triage.queue.early-help": "queue-item",
    "triage.decisions": "decision",
    "triage.cases": "case",
    "triage.archive": "case",
    "triage.actions": "manager-action",
    "triage.queue.emergency-duty": "queue-item",
    "triage.queue.screening": "queue-item",
    CHECK_REQUESTS_TEMPLATE.name: "check-request.v1",  # and check-receipt (by `kind`)
    CHECK_ANSWERS_TEMPLATE.name: "check-answer.v1",
    "checks.received": "received-answer",
    ENCOMPASS_INBOUND_TEMPLATE.name: "encompass-notice.v1",
    "encompass.accepted": "accepted-notice",
    "encompass.acks": "acknowledgement",
    "encompass.notices": "notice",
}


def json_schemas() -> dict[str, str]:
    """File name to content of every JSON Schema file."""
    files = {}
    for name, model in MODELS.items():
        schema = model.model_json_schema(mode="validation")
        schema["$id"] = f"https://frontdoor.example/schemas/{name}.schema.json"
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        files[f"{name}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return files


def _channel(spec: TopicSpec) -> dict[str, Any]:
    address = spec.name.replace("{org}", "{organisation_id}")
    channel: dict[str, Any] = {
        "address": address,
        "description": spec.description,
        "bindings": {
            "kafka": {
                "partitions": spec.partitions,
                "topicConfiguration": {
                    "cleanup.policy": [spec.cleanup.value],
                    "retention.ms": spec.retention_ms,
                },
            },
        },
    }
    if "{org}" in spec.name:
        channel["parameters"] = {
            "organisation_id": {"description": "The partner's registered organisation id."},
        }
    message = TOPIC_MESSAGES.get(spec.name)
    if message is not None:
        channel["messages"] = {message: {"$ref": f"#/components/messages/{message}"}}
    return channel


def asyncapi_document() -> str:
    """The AsyncAPI 3.0 document describing every topic, as YAML."""
    specs = [
        INBOUND_TEMPLATE,
        STATUS_TEMPLATE,
        CHECK_REQUESTS_TEMPLATE,
        CHECK_ANSWERS_TEMPLATE,
        ENCOMPASS_INBOUND_TEMPLATE,
        *CORE_TOPICS,
    ]
    channels = {spec.name.replace(".{org}", "").replace(".", "-"): _channel(spec) for spec in specs}
    document = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Front Door",
            "version": "1.0.0",
            "description": (
                "Multi-agency referrals for children's services. Partners publish Referral v1 "
                f"(JSON, at most {MAX_REFERRAL_BYTES // 1024} KiB) to their own inbound topic "
                "and read status updates from their own status topic. Partners that answer "
                "partner checks read requests from checks.requests.<id> and answer on "
                "checks.answers.<id>. Police forces publish Operation Encompass notices "
                "(Encompass notice v1) to encompass.inbound.<id>; schools receive them on their "
                "status topic (status `encompass`)."
            ),
        },
        "channels": channels,
        "components": {
            "messages": {
                name: {
                    "name": name,
                    "contentType": "application/json",
                    "payload": {"$ref": f"./json/{name}.schema.json"},
                }
                for name in MODELS
            },
        },
    }
    return yaml.safe_dump(document, sort_keys=False, width=100)


def export(target: Path = SCHEMAS_DIR) -> list[Path]:
    """Write every generated file under ``target``; return their paths."""
    written = []
    (target / "json").mkdir(parents=True, exist_ok=True)
    for name, content in json_schemas().items():
        path = target / "json" / name
        path.write_text(content)
        written.append(path)
    path = target / "asyncapi.yaml"
    path.write_text(asyncapi_document())
    written.append(path)
    return written
