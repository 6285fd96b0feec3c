"""Every match carries its reasons (DOMAIN.md B), exactly: the duty manager reads them beside a
possible match, and the decision records them. One row per path through the matching rules,
with the exact kind and reasons (or no match); written so that `make mutate` kills a change to
any reason or boundary of services/triage/matching.py."""

from __future__ import annotations

from datetime import date

import pytest

from schemas.triage import ChildIdentity, MatchKind
from services.triage.matching import IdentityMatch, match_child

NHS, OTHER_NHS = "9434765919", "9434765870"
UPN, OTHER_UPN = "A123456789012", "B123456789012"
BORN = date(2018, 4, 2)
NAMES = ("same date of birth", "similar family name", "similar given name")


def child(**fields: object) -> ChildIdentity:
    base: dict[str, object] = {
        "given_name": "Jayden",
        "family_name": "Smith",
        "date_of_birth": BORN,
        "sex": "M",
        "postcode": "TS18 1AB",
    }
    return ChildIdentity.model_validate(base | fields)


def unborn(expected: date) -> ChildIdentity:
    return child(given_name=None, date_of_birth=None, expected_date_of_birth=expected, sex="U")


SAME, POSSIBLE = MatchKind.SAME, MatchKind.POSSIBLE
BY_NAMES = (SAME, (*NAMES, "same postcode"))
CASES = [
    # an identifier decides, and what else differs is said (field names, never values)
    ("same NHS", child(nhs_number=NHS), child(nhs_number=NHS), (SAME, ("same NHS number",))),
    (
        "same NHS, all else recorded differently",
        child(nhs_number=NHS),
        child(
            nhs_number=NHS,
            sex="F",
            date_of_birth=date(2018, 5, 2),
            family_name="Robinson",
            given_name="Olivia",
            postcode="TS24 7AA",
        ),
        (
            SAME,
            (
                "same NHS number",
                "sex recorded differently",
                "date of birth recorded differently",
                "family name recorded differently",
                "given name recorded differently",
                "postcode differs",
            ),
        ),
    ),
    ("same UPN", child(upn=UPN), child(upn=UPN), (SAME, ("same UPN",))),
    (
        "same UPN, NHS on one side",
        child(upn=UPN, nhs_number=NHS),
        child(upn=UPN),
        (SAME, ("same UPN",)),
    ),
    ("two NHS numbers", child(nhs_number=NHS), child(nhs_number=OTHER_NHS), None),
    (
        "two NHS numbers, same UPN",
        child(nhs_number=NHS, upn=UPN),
        child(nhs_number=OTHER_NHS, upn=UPN),
        None,
    ),
    ("two UPNs", child(upn=UPN), child(upn=OTHER_UPN), None),
    ("two sexes", child(), child(sex="F"), None),
    ("sex unknown on one side", child(sex="U"), child(), (SAME, (*NAMES, "same postcode"))),
    ("names and birthday, same postcode", child(), child(), (SAME, (*NAMES, "same postcode"))),
    (
        "names and birthday, elsewhere",
        child(),
        child(postcode="TS24 7AA"),
        (POSSIBLE, (*NAMES, "postcode differs or is missing")),
    ),
    (
        "names and birthday, no postcode",
        child(postcode=None),
        child(postcode=None),
        (POSSIBLE, (*NAMES, "postcode differs or is missing")),
    ),
    (
        "birthday and postcode, names alike but not the same",
        child(given_name="Jay"),
        child(given_name="Jayden"),
        (POSSIBLE, ("same date of birth", "same postcode", "names alike but not the same")),
    ),
    ("twins: another given name", child(given_name="Olivia"), child(), None),
    (
        "day and month swapped, same postcode",
        child(date_of_birth=date(2018, 2, 4)),
        child(),
        (
            POSSIBLE,
            (
                "day and month of birth swapped",
                "similar family name",
                "similar given name",
                "same postcode",
            ),
        ),
    ),
    (
        "day and month swapped, elsewhere",
        child(date_of_birth=date(2018, 2, 4)),
        child(postcode="TS24 7AA"),
        (
            POSSIBLE,
            ("day and month of birth swapped", "similar family name", "similar given name"),
        ),
    ),
    (
        "12 December cannot be swapped with itself",
        child(date_of_birth=date(2018, 12, 12)),
        child(date_of_birth=date(2018, 12, 12), given_name="Olivia"),
        None,
    ),
    ("a day past 12 has no swap", child(date_of_birth=date(2018, 4, 13)), child(), None),
    (
        "12 April swapped is 4 December",
        child(date_of_birth=date(2018, 4, 12)),
        child(date_of_birth=date(2018, 12, 4)),
        (
            POSSIBLE,
            (
                "day and month of birth swapped",
                "similar family name",
                "similar given name",
                "same postcode",
            ),
        ),
    ),
    ("another birthday: a sibling", child(date_of_birth=date(2016, 4, 2)), child(), None),
    (
        "two unborn, due within two weeks",
        unborn(date(2026, 6, 1)),
        unborn(date(2026, 6, 14)),
        (SAME, ("unborn, expected within two weeks", "same family name", "same postcode")),
    ),
    (
        "two unborn, due within two months",
        unborn(date(2026, 6, 1)),
        unborn(date(2026, 7, 20)),
        (POSSIBLE, ("unborn, expected within two months", "same postcode")),
    ),
    ("two unborn, months apart", unborn(date(2026, 6, 1)), unborn(date(2026, 9, 1)), None),
    (
        "born near an unborn case's date",
        child(date_of_birth=date(2026, 6, 10), given_name="Noah"),
        unborn(date(2026, 6, 1)),
        (POSSIBLE, ("born near the expected date of an unborn case", "same postcode")),
    ),
    (
        "an unborn case after a birth recorded",
        unborn(date(2026, 6, 1)),
        child(date_of_birth=date(2026, 6, 10), given_name="Noah"),
        (POSSIBLE, ("born near the expected date of an unborn case", "same postcode")),
    ),
    ("born long after", child(date_of_birth=date(2026, 8, 1)), unborn(date(2026, 6, 1)), None),
    # each boundary of the unborn rules, on both sides of it (DOMAIN.md B's days, inclusive)
    (
        "two unborn, due exactly 14 days apart",
        unborn(date(2026, 6, 1)),
        unborn(date(2026, 6, 15)),
        (SAME, ("unborn, expected within two weeks", "same family name", "same postcode")),
    ),
    (
        "two unborn, due 15 days apart",
        unborn(date(2026, 6, 16)),
        unborn(date(2026, 6, 1)),
        (POSSIBLE, ("unborn, expected within two months", "same postcode")),
    ),
    (
        "two unborn, due exactly 60 days apart",
        unborn(date(2026, 6, 1)),
        unborn(date(2026, 7, 31)),
        (POSSIBLE, ("unborn, expected within two months", "same postcode")),
    ),
    ("two unborn, due 61 days apart", unborn(date(2026, 6, 1)), unborn(date(2026, 8, 1)), None),
    (
        "two unborn, one without a family name",
        unborn(date(2026, 6, 1)),
        unborn(date(2026, 6, 1)).model_copy(update={"family_name": None}),
        (POSSIBLE, ("unborn, expected within two months", "same postcode")),
    ),
    (
        "born exactly 30 days after the due date",
        child(date_of_birth=date(2026, 7, 1), given_name="Noah"),
        unborn(date(2026, 6, 1)),
        (POSSIBLE, ("born near the expected date of an unborn case", "same postcode")),
    ),
    (
        "born 31 days after the due date",
        child(date_of_birth=date(2026, 7, 2), given_name="Noah"),
        unborn(date(2026, 6, 1)),
        None,
    ),
    (
        "an unborn case 30 days before a birth recorded",
        unborn(date(2026, 6, 1)),
        child(date_of_birth=date(2026, 7, 1), given_name="Noah"),
        (POSSIBLE, ("born near the expected date of an unborn case", "same postcode")),
    ),
    (
        "an unborn case 31 days before a birth recorded",
        unborn(date(2026, 6, 1)),
        child(date_of_birth=date(2026, 7, 2), given_name="Noah"),
        None,
    ),
    (
        "born exactly 60 days early",
        child(date_of_birth=date(2026, 4, 2), given_name="Noah"),
        unborn(date(2026, 6, 1)),
        (POSSIBLE, ("born near the expected date of an unborn case", "same postcode")),
    ),
    (
        "born 61 days early",
        child(date_of_birth=date(2026, 4, 1), given_name="Noah"),
        unborn(date(2026, 6, 1)),
        None,
    ),
    (
        "an unborn case due 61 days after a birth recorded",
        unborn(date(2026, 6, 1)),
        child(date_of_birth=date(2026, 4, 1), given_name="Noah"),
        None,
    ),
    (
        "unborn, the new contact without a postcode",
        unborn(date(2026, 6, 1)).model_copy(update={"postcode": None}),
        unborn(date(2026, 6, 1)),
        None,
    ),
    (
        "no date at all (a public referral's guessed age) beside an unborn case",
        child(date_of_birth=None),
        unborn(date(2026, 6, 1)),
        None,
    ),
    (
        "an unborn case beside one with no date at all",
        unborn(date(2026, 6, 1)),
        child(date_of_birth=None),
        None,
    ),
    # an identifier on one side only proves nothing either way: the names decide
    ("UPN on one side only", child(upn=UPN), child(), BY_NAMES),
    ("UPN on the other side only", child(), child(upn=UPN), BY_NAMES),
    ("NHS on one side only", child(nhs_number=NHS), child(), BY_NAMES),
    ("NHS on the other side only", child(), child(nhs_number=NHS), BY_NAMES),
    ("sex unknown on the other side", child(), child(sex="U"), BY_NAMES),
    ("sex unknown on both sides", child(sex="U"), child(sex="U"), BY_NAMES),
    (
        "same UPN, sex unknown on one side: not a discrepancy",
        child(upn=UPN, sex="U"),
        child(upn=UPN, sex="F"),
        (SAME, ("same UPN",)),
    ),
    (
        "unborn elsewhere",
        unborn(date(2026, 6, 1)),
        unborn(date(2026, 6, 2)).model_copy(update={"postcode": "TS24 7AA"}),
        None,
    ),
    (
        "unborn, another family",
        unborn(date(2026, 6, 1)),
        unborn(date(2026, 6, 2)).model_copy(update={"family_name": "Robinson"}),
        None,
    ),
]


@pytest.mark.parametrize(
    ("new", "known", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_each_rule_gives_its_kind_and_its_reasons_exactly(
    new: ChildIdentity, known: ChildIdentity, expected: tuple[MatchKind, tuple[str, ...]] | None
) -> None:
    found = match_child(new, known)
    assert found == (None if expected is None else IdentityMatch(*expected))
