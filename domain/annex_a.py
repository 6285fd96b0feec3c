"""Ofsted's Annex A List 1 (contacts) and List 3 (referrals), from the front door's records.

Every accepted contact is a List 1 row. List 3 counts referrals as the Children in Need census
does (DOMAIN.md, "Inspection and census returns"), from a person's screening decision, never
from the policy's proposal (DOMAIN B "Who decides"): a referral is a contact whose screening
decision put its case with the enquiry and assessment team when a person had not already; a
contact linked to a case already with that team is new information on an open episode (List 1
only), as is a contact nobody has screened yet; a child has at most one referral a day (the
first). "Referrals in the last 12 months" counts the child's earlier List 3 rows in the 365
days before this one; "Referral NFA" is Yes when the referral's case was closed without ever
being allocated.

Dates are DD/MM/YYYY, gender a) to d), ethnicity the census code (NOBT when not given), the
child's id the council's stable child id, never the NHS number. Ages are on the day of the
contact.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from schemas.referral import age_on

LIST_1_COLUMNS = (
    "Child unique ID",
    "Gender",
    "Ethnicity",
    "Date of birth",
    "Age of child (years)",
    "Date of contact",
    "Contact source",
)
LIST_3_COLUMNS = (
    "Child unique ID",
    "Gender",
    "Ethnicity",
    "Date of birth",
    "Age of child (years)",
    "Date of referral",
    "Referral source",
    "Referral NFA",
    "Number of referrals in last 12 months",
    "Allocated team",
    "Allocated worker",
)
GENDER = {"M": "a) Male", "F": "b) Female", "U": "c) Not stated/recorded"}
TEAM = {"enquiry-assessment": "Enquiry and assessment", "early-help": "Early help"}
REFERRAL = "enquiry-assessment"
YEAR = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """What the lists need of one contact, read from the records database."""

    child_id: str
    sex: str
    ethnicity: str | None
    date_of_birth: date | None
    contact_date: date  # UK date the contact was received
    source: str
    decided_outcome: str  # where a person's screening decision sent its case ("undecided": none)
    case_outcome: str  # where that case stands now
    allocated_team: str | None
    allocated_worker: str | None
    outcome_before: str | None = None  # where a person had the case before (None: nobody had)
    case_closed: bool = False  # the case is closed now

    @property
    def is_referral(self) -> bool:
        """Whether its own decision opened a case with, or moved a case to, the E&A team."""
        return self.decided_outcome == REFERRAL and self.outcome_before != REFERRAL

    @property
    def ended_without_action(self) -> bool:
        """Referral NFA: its case was closed without ever being allocated."""
        return self.case_closed and self.allocated_team is None and self.allocated_worker is None


def _dmy(day: date | None) -> str:
    return "" if day is None else f"{day:%d/%m/%Y}"


def _child(contact: ContactFacts) -> list[str]:
    age = (
        ""
        if contact.date_of_birth is None
        else str(age_on(contact.date_of_birth, contact.contact_date))
    )
    return [
        contact.child_id,
        GENDER.get(contact.sex, "d) Neither"),
        contact.ethnicity or "NOBT",
        _dmy(contact.date_of_birth),
        age,
    ]


def list_1(contacts: list[ContactFacts], first: date, last: date) -> list[list[str]]:
    """Every contact received from ``first`` to ``last`` (inclusive), oldest first."""
    chosen = sorted(
        (c for c in contacts if first <= c.contact_date <= last),
        key=lambda c: (c.contact_date, c.child_id),
    )
    return [[*_child(c), _dmy(c.contact_date), c.source] for c in chosen]


def list_3(contacts: list[ContactFacts], first: date, last: date) -> list[list[str]]:
    """Every referral made from ``first`` to ``last``, with the child's earlier referrals.

    ``contacts`` should reach back a year before ``first``, so that those can be counted.
    """
    referrals: list[ContactFacts] = []
    seen: set[tuple[str, date]] = set()
    for contact in sorted(
        (c for c in contacts if c.is_referral), key=lambda c: (c.contact_date, c.child_id)
    ):
        if (contact.child_id, contact.contact_date) not in seen:  # the first of the day only
            seen.add((contact.child_id, contact.contact_date))
            referrals.append(contact)
    by_child: dict[str, list[date]] = defaultdict(list)
    for referral in referrals:  # in date order, so each child's dates are sorted
        by_child[referral.child_id].append(referral.contact_date)
    rows = []
    for referral in referrals:
        if not first <= referral.contact_date <= last:
            continue
        dates = by_child[referral.child_id]
        earlier = bisect_left(dates, referral.contact_date) - bisect_left(
            dates, referral.contact_date - YEAR
        )
        rows.append(
            [
                *_child(referral),
                _dmy(referral.contact_date),
                referral.source,
                "Yes" if referral.ended_without_action else "No",
                str(earlier),
                TEAM.get(referral.allocated_team or "", ""),
                referral.allocated_worker or "",
            ]
        )
    return rows
