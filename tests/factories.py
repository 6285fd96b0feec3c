"""Builders of valid test messages; each test changes only what it is about."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime(2026, 11, 17, 9, 30, tzinfo=UTC)  # a Tuesday
VALID_NHS = "9434765919"  # check digit valid (modulus 11)


def recently() -> str:
    """An RFC 3339 time a minute ago: for tests that validate against the real clock."""
    return (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0).isoformat()


def referral(**overrides: Any) -> dict[str, Any]:
    """A valid Referral v1 from Cleveland Police about a child in Stockton (LA 808)."""
    document: dict[str, Any] = {
        "schema_version": "1",
        "referral_id": "CP-2026-000123",
        "submitted_at": "2026-11-17T09:15:00+00:00",
        "local_authority": "808",
        "referrer": {
            "organisation_id": "cleveland-police",
            "source": "6",
            "name": "PC Jane Example",
            "role": "Domestic abuse officer",
            "email": "jane.example@cleveland.police.example",
            "phone": "+44 1642 000000",
        },
        "child": {
            "given_name": "Jayden",
            "family_name": "Smith",
            "date_of_birth": "2018-04-02",
            "sex": "M",
            "nhs_number": VALID_NHS,
            "upn": "A12345678901B",
            "address": {
                "line1": "12 Church Street",
                "town": "Stockton-on-Tees",
                "postcode": "TS18 1AB",
            },
            "first_language": "English",
            "interpreter_needed": False,
        },
        "concerns": [{"factor": "3B", "detail": "Officers attended a domestic incident."}],
        "summary": "Police called to the home overnight; the child was present.",
        "risk": {"immediate_risk": False, "dash_risk": "medium", "injury_observed": False},
        "consent": {"status": "not_sought", "reason": "Seeking consent could increase risk."},
    }
    document.update(copy.deepcopy(overrides))
    return document


def notice(**overrides: Any) -> dict[str, Any]:
    """A valid Encompass notice v1 from Cleveland Police about a Stockton child (override any
    top-level field); the incident was the evening before :data:`NOW`."""
    document: dict[str, Any] = {
        "schema_version": "1",
        "notice_id": "CLE-ENC-0001",
        "sent_at": "2026-11-17T06:40:00Z",
        "local_authority": "808",
        "police_reference": "CLE/26/118822",
        "incident_at": "2026-11-16T21:15:00Z",
        "child": {"given_name": "Mia", "family_name": "Hartley", "date_of_birth": "2017-05-09"},
        "school_urn": "149001",
        "child_present": "yes",
        "welfare_check_made": True,
    }
    document.update(overrides)
    return document


def household() -> list[dict[str, Any]]:
    """A child's household as a referral names it: a mother, and a person alleged to pose a
    risk who lives elsewhere."""
    return [
        {
            "relationship": "mother",
            "given_name": "Dana",
            "family_name": "Kowalska",
            "date_of_birth": "1990-05-06",
            "lives_with_child": True,
            "parental_responsibility": "yes",
            "first_language": "Polish",
            "interpreter_needed": True,
            "knows_of_referral": False,
        },
        {
            "relationship": "person-alleged-to-pose-a-risk",
            "given_name": "Lee",
            "family_name": "Roberts",
            "approximate_age": 34,
            "lives_with_child": False,
            "parental_responsibility": "unknown",
            "address": {"line1": "4 Mill Lane", "town": "Thornaby", "postcode": "TS17 6AB"},
        },
    ]


def another_child(n: int) -> dict[str, Any]:
    """Child ``n`` of a few, each matching none of the others (no NHS number, no UPN)."""
    return referral()["child"] | {
        "given_name": f"Child{n}",
        "family_name": f"Family{n}",
        "date_of_birth": f"201{n}-0{n + 1}-1{n}",
        "nhs_number": None,
        "upn": None,
    }


def with_path(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``document`` with the dotted ``path`` set (or removed when value is DELETE)."""
    changed = copy.deepcopy(document)
    *parents, last = path.split(".")
    target: Any = changed
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return changed


DELETE = object()


def encode(document: Any) -> bytes:
    """The message bytes a partner would publish."""
    return json.dumps(document).encode()


def accepted(document: dict[str, Any] | None = None, *, at: datetime = NOW, offset: int = 0) -> Any:
    """An AcceptedReferral as intake would write it for ``document`` (default: ``referral()``)."""
    from schemas.intake import AcceptedReferral, Origin  # noqa: PLC0415
    from schemas.referral import Referral  # noqa: PLC0415

    model = Referral.model_validate_json(encode(document or referral()), context={"now": at})
    org = model.referrer.organisation_id
    origin = Origin(topic="referrals.inbound." + org, partition=0, offset=offset)
    return AcceptedReferral.of(model, org, at, origin)


def screen(
    engine: Any,
    case_id: str,
    *,
    at: datetime,
    actor: str = "duty.manager@808",
    action_id: str | None = None,
    **change: Any,
) -> Any:
    """A person's screening decision on ``case_id`` at ``at``: confirm, or ``change`` it."""
    from schemas.triage import ActionKind, ManagerAction  # noqa: PLC0415
    from services.triage.actions import apply_action  # noqa: PLC0415

    case = engine.cases[case_id]
    action = ManagerAction(
        action_id=action_id or f"screen-{case_id}-{case.version}",
        kind=ActionKind.SCREEN,
        case_id=case_id,
        local_authority=case.local_authority,
        actor=actor,
        submitted_at=at,
        **change,
    )
    return apply_action(engine, action, engine.partition_of(case_id))


def managers_file(
    folder: Any,
    username: str,
    password: str,
    local_authorities: list[str],
    name: str = "",
    *,
    role: str = "duty",
) -> Any:
    """A duty managers file with one manager, written in ``folder``; its path."""
    import yaml  # noqa: PLC0415

    from runtime.web.passwords import hash_password  # noqa: PLC0415

    manager = {
        "username": username,
        "name": name or username.replace(".", " ").title(),
        "password_hash": hash_password(password),
        "local_authorities": local_authorities,
        "role": role,
    }
    path = folder / "managers.yaml"
    path.write_text(yaml.safe_dump({"managers": [manager]}))
    return path
