"""What-if triage: run intake's validation and the triage engine over a file, without Kafka.

``frontdoor replay`` prints one JSON line per referral and a summary, so a manager can see
what a new policy would have proposed for last month's referrals. The code is the service's own.

The policy proposes and a person decides (DOMAIN B "Who decides"): each line is the policy's
*proposal* (``"decided": false``), never a decision. To see the policy's proposals as if people
agreed with them (a no-further-action proposal closes its case, so the child's next contact
opens a new one), each proposal is then taken as confirmed by ``what-if: proposal confirmed``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.validation import Accepted, validate_referral
from schemas.intake import AcceptedReferral, Origin
from schemas.partners import PartnerRegistry
from schemas.triage import ActionKind, ManagerAction
from services.triage.actions import apply_action
from services.triage.engine import TriageEngine


@dataclass
class ReplaySummary:
    """Counts over a whole replay."""

    total: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_outcome: Counter[str] = field(default_factory=Counter)
    by_rag: Counter[str] = field(default_factory=Counter)
    by_source: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)
    possible_matches: int = 0
    registry_checks: bool = False
    proposals: int = 0

    def add(self, line: dict[str, Any], source: str | None) -> None:
        """Count one output line."""
        self.total += 1
        self.by_status[line["status"]] += 1
        if line["status"] != "rejected":
            self.by_outcome[line["outcome"]] += 1
            self.by_rag[line["rag"]] += 1
            self.by_source[source or "unknown"] += 1
            self.by_rule.update(line["rules"])
            self.possible_matches += len(line["possible_matches"])
            self.proposals += line.get("decided") is False

    def as_json(self) -> dict[str, Any]:
        """The ``{"summary": ...}`` line."""
        return {
            "summary": {
                "referrals": self.total,
                "status": dict(self.by_status),
                "outcome": dict(self.by_outcome),
                "rag": dict(self.by_rag),
                "source": dict(self.by_source),
                "rules": dict(self.by_rule.most_common()),
                "links": self.by_status["linked"],
                "duplicates": self.by_status["duplicate"],
                "amendments": self.by_status["amended"],
                "rejected": self.by_status["rejected"],
                "possible_matches": self.possible_matches,
                "registry_checks": self.registry_checks,
                "proposals": self.proposals,
                "decided_by_people": 0,  # a replay decides nothing: a person decides
            },
        }


RETIRE_EVERY = timedelta(days=1)
WHAT_IF = "what-if: proposal confirmed"


def _received_at(raw: bytes) -> datetime:
    """When the referral says it was sent: the replay's clock for that referral."""
    try:
        sent = json.loads(raw).get("submitted_at")
        moment = datetime.fromisoformat(sent)
    except (ValueError, TypeError, AttributeError, RecursionError):
        return datetime.now(UTC)
    return moment if moment.tzinfo else datetime.now(UTC)


def _claimed_organisation(raw: bytes) -> str | None:
    """The organisation a referral says sent it: replay's stand-in for intake's topic."""
    try:
        claimed = json.loads(raw).get("referrer", {}).get("organisation_id")
    except (ValueError, TypeError, AttributeError, RecursionError):
        return None
    return claimed if isinstance(claimed, str) else None


def replay_lines(
    engine: TriageEngine,
    lines: Iterable[tuple[int, bytes]],
    path: str,
    summary: ReplaySummary,
    registry: PartnerRegistry | None = None,
    *,
    retire: bool = True,
) -> Iterator[dict[str, Any]]:
    """One output line per input line, in order, counting them into ``summary``.

    With ``registry``, each referral passes intake's partner checks too, as if sent to the
    topic of the organisation it names: registered, and serving that local authority. With
    ``retire``, settled cases are retired once a day of the replay's clock, as triage's clock
    does, so years of referrals replay in bounded memory; no decision changes.
    """
    summary.registry_checks = registry is not None
    retired_at: datetime | None = None
    for number, raw in lines:
        at = _received_at(raw)
        if retire and (retired_at is None or at - retired_at >= RETIRE_EVERY):
            engine.retire(at, limit=len(engine.cases))
            retired_at = at
        org = _claimed_organisation(raw) if registry is not None else None
        verdict = validate_referral(raw, organisation_id=org, registry=registry, now=at)
        if not isinstance(verdict, Accepted):
            line: dict[str, Any] = {
                "referral_id": verdict.referral_id,
                "organisation_id": None,
                "contact_id": None,
                "status": "rejected",
                "case_id": None,
                "outcome": None,
                "level": None,
                "rag": None,
                "rules": [],
                "possible_matches": [],
                "decision_due": None,
                "errors": [error.model_dump() for error in verdict.errors],
            }
            summary.add(line, None)
            yield line
            continue
        referral = verdict.referral
        org = referral.referrer.organisation_id
        accepted = AcceptedReferral.of(
            referral,
            org,
            at,
            Origin(topic=path, partition=0, offset=number),
        )
        effects = engine.on_referral(accepted, partition=0)
        decision = effects.answering(accepted.origin)
        case = engine.cases[decision.case_id or ""]
        proposal = case.proposal
        line = {
            "referral_id": referral.referral_id,
            "organisation_id": org,
            "contact_id": accepted.contact_id,
            "status": decision.kind.value,
            "case_id": case.case_id,
            "outcome": (proposal or case).outcome.value,
            "level": (proposal or case).level.value,
            "rag": (proposal or case).rag.value,
            "rules": (proposal or case).rules,
            "decided": False if proposal is not None else None,
            "possible_matches": [m.case_id for m in case.possible_matches if m.status == "pending"],
            "decision_due": case.decision_due.isoformat(),
            "emergency_duty": case.with_emergency_duty,
            "checks_asked": sorted(org for org, m in effects.check_messages if m.kind == "request"),
        }
        summary.add(line, referral.referrer.source.value)
        if proposal is not None:
            _confirm(engine, case.case_id, at)
        yield line


def _confirm(engine: TriageEngine, case_id: str, at: datetime) -> None:
    """Take the case's proposal as confirmed, so the next contacts meet what it would do."""
    case = engine.cases[case_id]
    action = ManagerAction(
        action_id=f"what-if-{case_id}-{case.version}",
        kind=ActionKind.SCREEN,
        case_id=case_id,
        local_authority=case.local_authority,
        actor=WHAT_IF,
        submitted_at=at,
    )
    apply_action(engine, action, partition=0)
