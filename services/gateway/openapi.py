"""The API's OpenAPI 3.1 document, made from the very models that validate and answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from schemas.checks import REQUEST_ID, CheckAnswer
from schemas.encompass import NOTICE_REF, AcknowledgeBody
from schemas.referral import REFERRAL_ID_CHARS, Referral
from services.gateway.api import (
    PREFIX,
    Problem,
    ReferralAccepted,
    ReferralInvalid,
    ReferralProgress,
)
from services.gateway.checks_api import (
    AnswerAccepted,
    AnswerInvalid,
    CheckRequestList,
    CheckRequestView,
)
from services.gateway.encompass_api import (
    AcknowledgementAccepted,
    AcknowledgementInvalid,
    NoticeList,
)

REF = "#/components/schemas/{model}"
# What the validator checks that JSON Schema cannot say: each refused with a 422 by field.
BEYOND_SCHEMA = (
    (
        "submitted_at no more than 10 minutes ahead of the front door's clock and no more "
        "than a year old;"
    ),
    "child.date_of_birth not in the future and the child 25 or younger;",
    "child.expected_date_of_birth between a month ago and 300 days ahead;",
    "child.nhs_number's modulus-11 check digit;",
    "each household member's date_of_birth not in the future;",
    "local_authority one your organisation is registered to refer to.",
)
# The same for a check answer.
ANSWER_BEYOND_SCHEMA = ("answered_at no more than 10 minutes ahead of the front door's clock.",)


def _organisation_from_the_key(referrer: dict[str, Any]) -> None:
    """The API's body: the organisation comes from the key, not from ``referrer``."""
    referrer["properties"].pop("organisation_id", None)
    referrer["required"] = [f for f in referrer.get("required", []) if f != "organisation_id"]


def _request_from_the_path(answer: dict[str, Any]) -> None:
    """The API's answer body: the request comes from the path, not from ``request_id``."""
    answer["properties"].pop("request_id", None)
    answer["required"] = [f for f in answer.get("required", []) if f != "request_id"]


def _json(description: str, model: type[BaseModel]) -> dict[str, Any]:
    schema = {"$ref": REF.format(model=model.__name__)}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def openapi_document(version: str) -> dict[str, Any]:
    """The document served at ``/api/v1/openapi.json``."""
    models: list[type[BaseModel]] = [
        Referral,
        ReferralAccepted,
        ReferralInvalid,
        ReferralProgress,
        Problem,
        CheckAnswer,
        CheckRequestList,
        CheckRequestView,
        AnswerAccepted,
        AnswerInvalid,
        NoticeList,
        AcknowledgeBody,
        AcknowledgementAccepted,
        AcknowledgementInvalid,
    ]
    _, definitions = models_json_schema(
        [(model, "validation") for model in models], ref_template=REF
    )
    _organisation_from_the_key(definitions["$defs"]["Referrer"])
    _request_from_the_path(definitions["$defs"]["CheckAnswer"])
    refused = {
        "401": _json("No key, or not a live key.", Problem),
        "403": _json("The key's organisation is no longer registered.", Problem),
        "429": _json("Past your organisation's rate limit; see Retry-After.", Problem),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Front Door referrals API",
            "version": version,
            "description": (
                "Send a Referral v1 to a council's children's services front door and follow "
                "its status. Your organisation comes from your API key (the body need not name "
                "it; if it does, it must be the key's). The same referral_id always gets the "
                "same contact_id, so a resend is safe. This document says everything the "
                "validator checks that JSON Schema can say. What it cannot, and what a 422 "
                "then names beside the field: "
                + " ".join(BEYOND_SCHEMA)
                + " Partners that answer partner checks list their open requests and answer "
                "each once under /api/v1/checks; beyond the schema of an answer: "
                + " ".join(ANSWER_BEYOND_SCHEMA)
                + " Schools read the Operation Encompass notices delivered to them and "
                "acknowledge each once under /api/v1/encompass."
            ),
        },
        "components": {
            "schemas": definitions["$defs"],
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"apiKey": []}],
        "paths": {
            f"{PREFIX}/referrals": {
                "post": {
                    "summary": "Send a referral",
                    "operationId": "sendReferral",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": REF.format(model="Referral")}}
                        },
                    },
                    "responses": {
                        "202": {
                            **_json("Accepted and on its way to intake.", ReferralAccepted),
                            "links": {
                                "ReferralStatus": {
                                    "operationId": "referralStatus",
                                    "parameters": {"referral_id": "$response.body#/referral_id"},
                                    "description": "Follow the referral just sent.",
                                }
                            },
                        },
                        "413": _json("Larger than 256 KiB.", Problem),
                        "422": _json(
                            "Not valid: every problem, by field (the checks beyond the schema "
                            "are listed in this document's description).",
                            ReferralInvalid,
                        ),
                        "503": _json("Not sent (Kafka unavailable): try again.", Problem),
                        **refused,
                    },
                }
            },
            f"{PREFIX}/referrals/{{referral_id}}": {
                "get": {
                    "summary": "Follow one of your referrals",
                    "operationId": "referralStatus",
                    "parameters": [
                        {
                            "name": "referral_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": f"^{REFERRAL_ID_CHARS}$"},
                        }
                    ],
                    "responses": {
                        "200": _json("Its status updates, oldest first.", ReferralProgress),
                        "404": _json("No referral of yours with this id yet.", Problem),
                        **refused,
                    },
                }
            },
            **_check_paths(refused),
            **_encompass_paths(refused),
        },
    }


def _encompass_paths(refused: dict[str, Any]) -> dict[str, Any]:
    """The Operation Encompass operations for schools (DESIGN section 11)."""
    return {
        f"{PREFIX}/encompass": {
            "get": {
                "summary": "Your school's Operation Encompass notices (the last 30 days)",
                "operationId": "listNotices",
                "responses": {
                    "200": _json("Notices, unacknowledged first.", NoticeList),
                    **refused,
                },
            }
        },
        f"{PREFIX}/encompass/{{notice_ref}}/acknowledge": {
            "post": {
                "summary": "Acknowledge a notice (once): the key adult has read it",
                "operationId": "acknowledgeNotice",
                "parameters": [
                    {
                        "name": "notice_ref",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": NOTICE_REF.pattern},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": REF.format(model="AcknowledgeBody")}
                        }
                    },
                },
                "responses": {
                    "202": _json(
                        "Accepted: the front door and the police will hear of it.",
                        AcknowledgementAccepted,
                    ),
                    "404": _json(
                        "No notice with this reference was delivered to your school.", Problem
                    ),
                    "409": _json("Acknowledged already: nothing sent.", Problem),
                    "413": _json("Larger than 4 KiB.", Problem),
                    "422": _json("Not valid: every problem, by field.", AcknowledgementInvalid),
                    "503": _json("Not sent (Kafka unavailable): try again.", Problem),
                    **refused,
                },
            }
        },
    }


def _request_id_parameter() -> dict[str, Any]:
    return {
        "name": "request_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": REQUEST_ID.pattern},
    }


def _check_paths(refused: dict[str, Any]) -> dict[str, Any]:
    """The partner checks operations (DESIGN section 10)."""
    not_yours = _json("No check request with this id was sent to your organisation.", Problem)
    return {
        f"{PREFIX}/checks": {
            "get": {
                "summary": "Your organisation's open check requests",
                "operationId": "listChecks",
                "responses": {
                    "200": _json("Open requests, soonest due first.", CheckRequestList),
                    **refused,
                },
            }
        },
        f"{PREFIX}/checks/{{request_id}}": {
            "get": {
                "summary": "One check request sent to your organisation",
                "operationId": "getCheck",
                "parameters": [_request_id_parameter()],
                "responses": {
                    "200": _json("The request and where it stands.", CheckRequestView),
                    "404": not_yours,
                    **refused,
                },
            }
        },
        f"{PREFIX}/checks/{{request_id}}/answer": {
            "post": {
                "summary": "Answer a check request (once)",
                "operationId": "answerCheck",
                "parameters": [_request_id_parameter()],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": REF.format(model="CheckAnswer")}}
                    },
                },
                "responses": {
                    "202": _json("Accepted and on its way to the front door.", AnswerAccepted),
                    "404": not_yours,
                    "409": _json("Answered already, or withdrawn: nothing sent.", Problem),
                    "413": _json("Larger than 64 KiB.", Problem),
                    "422": _json("Not valid: every problem, by field.", AnswerInvalid),
                    "503": _json("Not sent (Kafka unavailable): try again.", Problem),
                    **refused,
                },
            }
        },
    }
