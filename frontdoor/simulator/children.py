"""Made-up children, families and identifiers with valid formats (nothing here is real)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from schemas.identifiers import nhs_check_digit
from schemas.local_authorities import LOCAL_AUTHORITIES

GIVEN_NAMES = (
    "Jayden",
    "Olivia",
    "Mohammed",
    "Amelia",
    "Noah",
    "Isla",
    "Leo",
    "Ava",
    "Oscar",
    "Freya",
    "Katie",
    "Harry",
    "Lily",
    "George",
    "Sophia",
    "Jack",
    "Grace",
    "Alfie",
    "Ella",
    "Charlie",
    "Aisha",
    "Kacper",
    "Zara",
    "Tyler",
    "Maya",
    "Reuben",
    "Evie",
    "Ibrahim",
    "Poppy",
    "Finley",
)
FAMILY_NAMES = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Wilson",
    "Khan",
    "Walker",
    "Robinson",
    "Wright",
    "Thompson",
    "Hughes",
    "Ali",
    "Hussain",
    "Kowalski",
    "Clarke",
    "Harrison",
    "Scott",
    "Turner",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Cooper",
    "Patel",
    "Begum",
    "Atkinson",
    "Bell",
    "Dixon",
)
TOWNS = {
    "805": ("Hartlepool", "TS24", "TS25", "TS26"),
    "806": ("Middlesbrough", "TS1", "TS3", "TS5"),
    "807": ("Redcar", "TS10", "TS11", "TS6"),
    "808": ("Stockton-on-Tees", "TS18", "TS19", "TS20"),
}
STREETS = (
    "Church Street",
    "Station Road",
    "Victoria Road",
    "Park Avenue",
    "Mill Lane",
    "York Road",
)


def make_nhs_number(rng: random.Random) -> str:
    """A 10-digit NHS number whose check digit is valid."""
    while True:
        nine = "".join(str(rng.randint(0, 9)) for _ in range(9))
        check = nhs_check_digit(nine)
        if check is not None and nine[0] != "0":
            return nine + str(check)


def make_upn(rng: random.Random) -> str:
    """A UPN in the DfE's format: a letter, 11 digits, then a digit or letter."""
    return (
        rng.choice("ABCDEFGHJKLMNPQRTUVWXYZ")
        + "".join(str(rng.randint(0, 9)) for _ in range(11))
        + rng.choice("0123456789ABCDEFGHJKLMNPQRTUVWXYZ")
    )


@dataclass(frozen=True, slots=True)
class Child:
    """A made-up child the simulated partners may all worry about."""

    given_name: str
    family_name: str
    date_of_birth: date | None
    expected_date_of_birth: date | None
    sex: str
    nhs_number: str | None
    upn: str | None
    local_authority: str
    line1: str
    town: str
    postcode: str
    household: tuple[dict[str, object], ...] = ()  # the referral's ``household``, as sent

    def as_referral_child(self) -> dict[str, object]:
        """The ``child`` object of a referral about this child."""
        child: dict[str, object] = {"sex": self.sex}
        if self.date_of_birth is not None:
            child |= {
                "given_name": self.given_name,
                "family_name": self.family_name,
                "date_of_birth": self.date_of_birth.isoformat(),
            }
        else:
            child |= {
                "family_name": self.family_name,
                "expected_date_of_birth": self.expected_date_of_birth.isoformat()
                if self.expected_date_of_birth
                else None,
            }
        if self.nhs_number:
            child["nhs_number"] = self.nhs_number
        if self.upn:
            child["upn"] = self.upn
        child["address"] = {"line1": self.line1, "town": self.town, "postcode": self.postcode}
        return child


def make_child(rng: random.Random, local_authority: str, today: date) -> Child:
    """A child of 0-17 (sometimes unborn) living in the given LA."""
    # LAs beyond the demo's four (scale-out benchmarks) get their name and made-up districts.
    town, *districts = TOWNS.get(
        local_authority,
        (LOCAL_AUTHORITIES.get(local_authority, "Town"), "NE1", "NE4", "NE6"),
    )
    postcode = f"{rng.choice(districts)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    postcode += rng.choice("ABDEFGHJLNPQRSTUWXYZ")
    unborn = rng.random() < 0.04
    born = None if unborn else today - timedelta(days=rng.randint(20, 17 * 365))
    age_years = 0 if born is None else (today - born).days // 365
    family_name = rng.choice(FAMILY_NAMES)
    return Child(
        given_name=rng.choice(GIVEN_NAMES),
        family_name=family_name,
        date_of_birth=born,
        expected_date_of_birth=today + timedelta(days=rng.randint(20, 200)) if unborn else None,
        sex=rng.choice("FMFMU") if not unborn else "U",
        nhs_number=None if unborn or rng.random() < 0.25 else make_nhs_number(rng),
        upn=make_upn(rng) if age_years >= 4 and rng.random() < 0.6 else None,
        local_authority=local_authority,
        line1=f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
        town=town,
        postcode=postcode,
        household=make_household(rng, family_name, today),
    )


ADULT_NAMES = ("Dana", "Sarah", "Michelle", "Agnieszka", "Fatima", "Lee", "Darren", "Craig")
Person = dict[str, object]  # one member of the household, as a referral's ``household`` has it


def adult(rng: random.Random, relationship: str, family_name: str, today: date) -> Person:
    """A made-up adult of the household, as a referrer would describe them."""
    person: Person = {
        "relationship": relationship,
        "given_name": rng.choice(ADULT_NAMES),
        "family_name": family_name,
    }
    if rng.random() < 0.6:
        person["date_of_birth"] = (today - timedelta(days=rng.randint(19, 55) * 365)).isoformat()
    else:
        person["approximate_age"] = rng.randint(19, 55)
    return person


def make_household(rng: random.Random, family_name: str, today: date) -> tuple[Person, ...]:
    """A child's household as referrers know it (a third of referrals name nobody).

    Often a mother, sometimes a father, now and then a person alleged to pose a risk.
    """
    if rng.random() < 0.33:
        return ()
    mother = adult(rng, "mother", family_name, today) | {
        "lives_with_child": True,
        "parental_responsibility": "yes",
    }
    people = [mother]
    if rng.random() < 0.45:
        people.append(
            adult(rng, "father", family_name, today)
            | {"lives_with_child": rng.random() < 0.5, "parental_responsibility": "yes"}
        )
    if rng.random() < 0.1:
        people.append(
            adult(rng, "person-alleged-to-pose-a-risk", rng.choice(FAMILY_NAMES), today)
            | {"lives_with_child": False, "parental_responsibility": "no"}
        )
    return tuple(people)


def sibling_of(rng: random.Random, child: Child, today: date) -> Child:
    """A brother or sister of ``child``: the same family, home and household, referred apart."""
    born = today - timedelta(days=rng.randint(20, 17 * 365))
    brother_or_sister: Person = {
        "relationship": "sibling",
        "given_name": child.given_name,
        "family_name": child.family_name,
    }
    if child.date_of_birth is not None:
        brother_or_sister["date_of_birth"] = child.date_of_birth.isoformat()
    return Child(
        given_name=rng.choice([n for n in GIVEN_NAMES if n != child.given_name]),
        family_name=child.family_name,
        date_of_birth=born,
        expected_date_of_birth=None,
        sex=rng.choice("FM"),
        nhs_number=make_nhs_number(rng) if rng.random() < 0.75 else None,
        upn=None,
        local_authority=child.local_authority,
        line1=child.line1,
        town=child.town,
        postcode=child.postcode,
        household=(*child.household, brother_or_sister),
    )
