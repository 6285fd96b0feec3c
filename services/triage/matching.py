"""Identity matching: whether a new contact is about a child who already has a case.

DOMAIN.md part B: the same child when a valid NHS number or a UPN is equal; otherwise when the
date of birth is equal, the family and given names are similar (spelling variants such as
Jayden/Jaden, Mohammed/Muhammad, Katie/Katy) and the postcode is the same. Twins (same
birthday, surname and address, different given names) and siblings are different children.
Likely-but-uncertain matches are *possible* matches for a duty manager, never linked by
themselves. Every match carries its reasons; none of them repeats a name or identifier.

Names are compared by the shared rule in :mod:`domain.names` (the records search uses it too).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from domain.names import NameLikeness, family_likeness, name_likeness, sound, tokens
from schemas.triage import ChildIdentity, MatchKind

SAME_PREGNANCY_DAYS = 14
PREGNANCY_WINDOW_DAYS = 60
BIRTH_AFTER_DUE_DAYS = 30


@dataclass(frozen=True, slots=True)
class IdentityMatch:
    """A decision that two descriptions may be of the same child, and why."""

    kind: MatchKind
    reasons: tuple[str, ...]


def _swapped(day: date) -> date | None:
    if day.day == day.month or day.day > 12:  # noqa: PLR2004 - months run to 12
        return None
    return date(day.year, day.day, day.month)


def _different_children(new: ChildIdentity, known: ChildIdentity) -> bool:
    """Whether a fact proves two descriptions are of different children.

    Two NHS numbers, two UPNs, or two recorded sexes.
    """
    return bool(
        (new.nhs_number and known.nhs_number and new.nhs_number != known.nhs_number)
        or (new.upn and known.upn and new.upn != known.upn)
        or ("U" not in (new.sex, known.sex) and new.sex != known.sex)
    )


def discrepancies(new: ChildIdentity, known: ChildIdentity) -> tuple[str, ...]:
    """What two descriptions of one child record differently (field names, never values)."""
    found = []
    if "U" not in (new.sex, known.sex) and new.sex != known.sex:
        found.append("sex recorded differently")
    if new.date_of_birth and known.date_of_birth and new.date_of_birth != known.date_of_birth:
        found.append("date of birth recorded differently")
    if family_likeness(new.family_name, known.family_name) < NameLikeness.SAME:
        found.append("family name recorded differently")
    if name_likeness(new.given_name, known.given_name) < NameLikeness.SAME:
        found.append("given name recorded differently")
    if new.postcode and known.postcode and new.postcode != known.postcode:
        found.append("postcode differs")
    return tuple(found)


def _same_identifier(new: ChildIdentity, known: ChildIdentity) -> str | None:
    """The identifier both carry and share: NHS numbers first (two of them decide alone)."""
    if new.nhs_number and known.nhs_number:
        return "same NHS number" if new.nhs_number == known.nhs_number else None
    if new.upn and known.upn:
        return "same UPN" if new.upn == known.upn else None
    return None


def match_child(new: ChildIdentity, known: ChildIdentity) -> IdentityMatch | None:
    """Whether ``new`` describes the child of ``known``: the same, possibly, or not (None).

    An equal valid NHS number (or, without NHS numbers, an equal UPN) identifies the child
    even when another detail differs; what differs is given with the match, for the duty
    manager to see. Two different NHS numbers (or UPNs) are two different children.
    """
    identifier = _same_identifier(new, known)
    if identifier is not None:
        return IdentityMatch(MatchKind.SAME, (identifier, *discrepancies(new, known)))
    if _different_children(new, known):
        return None
    if new.date_of_birth and known.date_of_birth:
        return _match_born(new, known)
    return _match_unborn(new, known)


def _match_born(new: ChildIdentity, known: ChildIdentity) -> IdentityMatch | None:
    family = family_likeness(new.family_name, known.family_name)
    given = name_likeness(new.given_name, known.given_name)
    same_place = bool(new.postcode) and new.postcode == known.postcode
    if new.date_of_birth == known.date_of_birth:
        return _same_birthday(family, given, same_place=same_place)
    swapped = new.date_of_birth is not None and _swapped(new.date_of_birth) == known.date_of_birth
    if swapped and family == given == NameLikeness.SAME:
        place = ("same postcode",) if same_place else ()
        return IdentityMatch(
            MatchKind.POSSIBLE,
            ("day and month of birth swapped", "similar family name", "similar given name", *place),
        )
    return None  # different birthdays: a sibling, or another child


def _same_birthday(
    family: NameLikeness,
    given: NameLikeness,
    *,
    same_place: bool,
) -> IdentityMatch | None:
    names = ("same date of birth", "similar family name", "similar given name")
    if family == given == NameLikeness.SAME:
        if same_place:
            return IdentityMatch(MatchKind.SAME, (*names, "same postcode"))
        return IdentityMatch(MatchKind.POSSIBLE, (*names, "postcode differs or is missing"))
    if same_place and NameLikeness.DIFFERENT not in (family, given):
        return IdentityMatch(
            MatchKind.POSSIBLE,
            ("same date of birth", "same postcode", "names alike but not the same"),
        )
    # Same birthday and address with a different given name: twins, or another child.
    return None


def _match_unborn(new: ChildIdentity, known: ChildIdentity) -> IdentityMatch | None:
    """At least one side is unborn: the same pregnancy, or a baby born since."""
    new_day = new.date_of_birth or new.expected_date_of_birth
    known_day = known.date_of_birth or known.expected_date_of_birth
    named_apart = (
        new.family_name is not None
        and known.family_name is not None
        and family_likeness(new.family_name, known.family_name) < NameLikeness.SAME
    )
    if (
        not new.postcode
        or new.postcode != known.postcode
        or named_apart
        or not new_day
        or not known_day
    ):
        return None
    place = "same postcode"
    if new.expected_date_of_birth and known.expected_date_of_birth:
        gap = abs((new_day - known_day).days)
        named_alike = bool(new.family_name and known.family_name)  # a postcode is a street
        if gap <= SAME_PREGNANCY_DAYS and named_alike:
            return IdentityMatch(
                MatchKind.SAME,
                ("unborn, expected within two weeks", "same family name", place),
            )
        if gap <= PREGNANCY_WINDOW_DAYS:
            return IdentityMatch(MatchKind.POSSIBLE, ("unborn, expected within two months", place))
        return None
    born_after_due = (
        (new_day - known_day).days if known.expected_date_of_birth else (known_day - new_day).days
    )
    if -PREGNANCY_WINDOW_DAYS <= born_after_due <= BIRTH_AFTER_DUE_DAYS:
        return IdentityMatch(
            MatchKind.POSSIBLE, ("born near the expected date of an unborn case", place)
        )
    return None


class CaseIndex:
    """Finds the few cases worth comparing with a new contact, without scanning them all.

    Blocks on NHS number, UPN, date of birth (and its day-month swap), and postcode with the
    family name's sound; one index per local authority.
    """

    def __init__(self) -> None:
        """An empty index."""
        self._keys: dict[str, set[tuple[str, ...]]] = defaultdict(set)
        self._cases: dict[tuple[str, ...], set[str]] = defaultdict(set)

    @staticmethod
    def _block_keys(child: ChildIdentity, *, for_query: bool) -> Iterable[tuple[str, ...]]:
        if child.nhs_number:
            yield ("nhs", child.nhs_number)
        if child.upn:
            yield ("upn", child.upn)
        if child.date_of_birth:
            yield ("dob", child.date_of_birth.isoformat())
            swapped = _swapped(child.date_of_birth)
            if for_query and swapped:
                yield ("dob", swapped.isoformat())
        if child.postcode:
            sounds = {sound(t) for t in tokens(child.family_name or "")} or {""}
            for family_sound in sounds:
                yield ("place", child.postcode, family_sound)
            if for_query and child.family_name is not None:
                yield ("place", child.postcode, "")  # unborn cases recorded without a family name

    def add(self, case_id: str, child: ChildIdentity) -> None:
        """Index one description of the child of ``case_id`` (a case may have several)."""
        for key in self._block_keys(child, for_query=False):
            self._cases[key].add(case_id)
            self._keys[case_id].add(key)

    def remove(self, case_id: str) -> None:
        """Forget a case."""
        for key in self._keys.pop(case_id, set()):
            cases = self._cases[key]
            cases.discard(case_id)
            if not cases:
                del self._cases[key]

    def candidates(self, child: ChildIdentity) -> set[str]:
        """Case ids that share at least one block with ``child``."""
        found: set[str] = set()
        for key in self._block_keys(child, for_query=True):
            found |= self._cases.get(key, set())
        return found

    def __len__(self) -> int:
        """How many cases are indexed."""
        return len(self._keys)
