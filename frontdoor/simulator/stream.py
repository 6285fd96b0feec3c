"""A realistic stream of referrals from simulated partners.

New contacts, repeats about the same child from other agencies, resubmissions, amendments,
and a few malformed messages.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from domain.wording import PUBLIC_SOURCES
from frontdoor.simulator.children import Child, make_child, sibling_of
from schemas.partners import Partner, PartnerRegistry

# What each kind of agency tends to worry about (CIN factor codes).
CONCERNS_BY_SOURCE: dict[str, tuple[str, ...]] = {
    "6": ("3B", "3C", "3A", "10A", "11A", "24A", "13A", "18C"),
    "2A": ("16A", "17A", "4A", "10A", "15A", "14A", "7A", "21"),
    "2B": ("17A", "16A", "7A", "15A", "21", "14A"),
    "3A": ("4B", "1B", "2B", "6B", "4A", "15A"),
    "3B": ("16A", "4B", "3B", "1B", "21"),
    "3E": ("18C", "15A", "1A", "2A", "19C"),
    "4": ("16A", "20", "2B", "3B"),
}
# What agencies also tell the front door that is below the threshold for statutory social care:
# most contacts at a real front door (the inspection letter's first area for development).
LOW_LEVEL_CONCERNS: tuple[str, ...] = ("14A", "21", "4A", "7A", "20", "1C", "2C", "4C", "6A")
SIBLING_SHARE = 0.15  # new children who are a brother or sister of a child referred before
# The share of new contacts drawn from each agency's serious concerns: with repeat contacts
# escalating (L3-REPEAT), about a third of contacts go to enquiry and assessment.
SERIOUS_SHARE = 0.3
SPELLINGS = {
    "Jayden": "Jaden",
    "Mohammed": "Muhammad",
    "Katie": "Katy",
    "Finley": "Finlay",
    "Reuben": "Ruben",
    "Aisha": "Ayesha",
    "Harry": "Harrison",
    "Evie": "Eve",
}
SUMMARIES = (
    "Concerns raised following contact with the family this week.",
    "Child disclosed worries at home; referrer has spoken to the designated lead.",
    "Attendance has dropped and the child appears withdrawn and hungry.",
    "Officers attended an incident at the home address overnight.",
    "Parent presented in crisis at the surgery; children at home.",
    "Injury seen on arrival; explanation inconsistent with presentation.",
)


@dataclass(frozen=True, slots=True)
class Publication:
    """One message a simulated partner publishes to its inbound topic."""

    organisation_id: str
    kind: str  # new, repeat, resubmission, amendment, invalid
    value: bytes


class ReferralStream:
    """Generates publications; the same seed gives the same stream."""

    def __init__(
        self, registry: PartnerRegistry, seed: int = 7, serious_share: float = SERIOUS_SHARE
    ) -> None:
        """Simulate the agencies of ``registry`` (members of the public use the public form).

        ``serious_share``: how many new contacts raise an agency's serious concerns (the rest
        raise low-level ones, as most contacts do); 1.0 for a stream of serious ones only.
        """
        self.rng = random.Random(seed)
        self.serious_share = serious_share
        self.partners = [p for p in registry.partners if p.source not in PUBLIC_SOURCES]
        self.children: list[Child] = []
        self.sent: list[tuple[Partner, dict[str, object]]] = []
        self.counter = 0

    def __iter__(self) -> Iterator[Publication]:
        """Publications without end."""
        while True:
            yield self.next()

    def next(self) -> Publication:
        """The next publication, drawn from a realistic mix."""
        roll = self.rng.random()
        if roll < 0.03 and self.sent:
            partner, referral = self.rng.choice(self.sent)
            return Publication(partner.id, "resubmission", _encode(referral))
        if roll < 0.06 and self.sent:
            partner, referral = self.rng.choice(self.sent)
            amended = {**referral, "summary": str(referral["summary"]) + " Update: seen again."}
            return Publication(partner.id, "amendment", _encode(amended))
        if roll < 0.09:
            return self._invalid()
        partner = self.rng.choice(self.partners)
        la = self.rng.choice(partner.local_authorities)
        known = [c for c in self.children if c.local_authority == la]
        if known and self.rng.random() < 0.3:
            child, kind = self._as_another_agency_records(self.rng.choice(known)), "repeat"
        else:
            today = datetime.now(UTC).date()
            child = (  # a brother or sister of a child already referred, referred apart
                sibling_of(self.rng, self.rng.choice(known), today)
                if known and self.rng.random() < SIBLING_SHARE
                else make_child(self.rng, la, today)
            )
            kind = "new"
            self.children.append(child)
            self.children = self.children[-2000:]
        referral = self._referral(partner, child)
        self.sent.append((partner, referral))
        self.sent = self.sent[-2000:]
        return Publication(partner.id, kind, _encode(referral))

    def _referral(self, partner: Partner, child: Child) -> dict[str, object]:
        self.counter += 1
        serious = self.rng.random() < self.serious_share
        factors = (
            CONCERNS_BY_SOURCE.get(partner.source, ("16A", "20")) if serious else LOW_LEVEL_CONCERNS
        )
        chosen = self.rng.sample(
            factors, k=self.rng.choice((1, 1, 1, 2, 3) if serious else (1, 1, 2))
        )
        domestic = any(f.startswith("3") for f in chosen)
        risk: dict[str, object] = {
            "immediate_risk": serious and self.rng.random() < 0.04,
            "injury_observed": "18C" in chosen and self.rng.random() < 0.6,
        }
        if domestic and partner.source == "6":
            risk["dash_risk"] = self.rng.choice(("standard", "standard", "medium", "high"))
        referral: dict[str, object] = {
            "schema_version": "1",
            "referral_id": f"{partner.id[:8].upper()}-{self.counter:07d}",
            "submitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "local_authority": child.local_authority,
            "referrer": {
                "organisation_id": partner.id,
                "source": partner.source,
                "name": "Duty Officer",
                "role": "Designated safeguarding lead",
                "email": f"safeguarding@{partner.id}.example.org",
            },
            "child": child.as_referral_child(),
            "concerns": [{"factor": f, "detail": "Observed by the referrer."} for f in chosen],
            "summary": self.rng.choice(SUMMARIES),
            "risk": risk,
            "consent": self._consent(),
        }
        if child.household:  # a third of referrals name nobody of the household
            referral["household"] = list(child.household)
        return referral

    def _as_another_agency_records(self, child: Child) -> Child:
        """Agencies record the same child differently: spellings, swapped dates, no NHS number."""
        roll = self.rng.random()
        if roll < 0.08 and child.given_name in SPELLINGS:
            return replace(child, given_name=SPELLINGS[child.given_name], nhs_number=None, upn=None)
        if roll < 0.12 and child.date_of_birth and child.date_of_birth.day <= 12:
            born = child.date_of_birth
            swapped = born.replace(month=born.day, day=born.month)
            return replace(child, date_of_birth=swapped, nhs_number=None, upn=None)
        if roll < 0.25:
            return replace(child, nhs_number=None, upn=None)
        return child

    def _consent(self) -> dict[str, str]:
        status = self.rng.choice(("given", "given", "given", "refused", "not_sought"))
        if status == "not_sought":
            return {"status": status, "reason": "Seeking consent could place the child at risk."}
        return {"status": status}

    def _invalid(self) -> Publication:
        partner = self.rng.choice(self.partners)
        broken = self.rng.choice(("not-json", "no-child", "bad-nhs", "wrong-org"))
        if broken == "not-json":
            return Publication(partner.id, "invalid", b"{this is not json")
        child = make_child(self.rng, partner.local_authorities[0], datetime.now(UTC).date())
        referral = self._referral(partner, child)
        if broken == "no-child":
            del referral["child"]
        elif broken == "bad-nhs":
            referral["child"] = {**child.as_referral_child(), "nhs_number": "1234567890"}
        else:
            referral["referrer"] = {**referral["referrer"], "organisation_id": "someone-else"}  # type: ignore[dict-item]
        return Publication(partner.id, "invalid", _encode(referral))


def _encode(referral: dict[str, object]) -> bytes:
    return json.dumps(referral, separators=(",", ":")).encode()
