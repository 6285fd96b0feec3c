"""The API's OpenAPI 3.1 document, made from the very models that validate and answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from schemas.referral import Referral
from services.gateway.api import (
    PREFIX,
    Problem,
    ReferralAccepted,
    ReferralInvalid,
    ReferralProgress,
)

REF = "#/components/schemas/{model}"


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
    ]
    _, definitions = models_json_schema(
        [(model, "validation") for model in models], ref_template=REF
    )
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
                "its status. Your organisation comes from your API key. The same referral_id "
                "always gets the same contact_id, so a resend is safe."
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
                        "202": _json("Accepted and on its way to intake.", ReferralAccepted),
                        "413": _json("Larger than 256 KiB.", Problem),
                        "422": _json("Not valid: every problem, by field.", ReferralInvalid),
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
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": _json("Its status updates, oldest first.", ReferralProgress),
                        "404": _json("No referral of yours with this id yet.", Problem),
                        **refused,
                    },
                }
            },
        },
    }
