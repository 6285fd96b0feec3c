"""The checked-in JSON Schemas and AsyncAPI document match the models they come from."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from factories import referral
from schemas.export import JSON_DIR, SCHEMAS_DIR, asyncapi_document, json_schemas
from schemas.topics import CORE_TOPICS


@pytest.mark.parametrize("name", sorted(json_schemas()))
def test_schema_file_is_up_to_date(name: str) -> None:
    path = JSON_DIR / name
    assert path.exists(), f"{path} is missing: run `frontdoor schemas export`"
    assert path.read_text() == json_schemas()[name], (
        f"{name} drifted: run `frontdoor schemas export`"
    )


def test_asyncapi_document_is_up_to_date() -> None:
    assert (SCHEMAS_DIR / "asyncapi.yaml").read_text() == asyncapi_document()


def test_asyncapi_describes_every_topic() -> None:
    document = yaml.safe_load((SCHEMAS_DIR / "asyncapi.yaml").read_text())
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert {spec.name for spec in CORE_TOPICS} <= addresses
    assert "referrals.inbound.{organisation_id}" in addresses
    for message in document["components"]["messages"].values():
        assert (SCHEMAS_DIR / message["payload"]["$ref"]).resolve().exists()


def test_referral_schema_accepts_a_valid_referral_and_refuses_unknown_fields() -> None:
    schema = json.loads(Path(JSON_DIR / "referral.v1.schema.json").read_text())
    jsonschema.validate(referral(), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(referral(colour="blue"), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(referral(local_authority=808), schema)
