"""Identity matching: the same child, possibly the same child, or another child."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.names import NameLikeness, name_likeness
from frontdoor.simulator.children import FAMILY_NAMES
from schemas.triage import ChildIdentity, MatchKind
from services.triage.matching import CaseIndex, match_child


def child(**fields) -> ChildIdentity:
    base = {
        "given_name": "Jayden",
        "family_name": "Smith",
        "date_of_birth": date(2018, 4, 2),
        "sex": "M",
        "postcode": "TS18 1AB",
    }
    return ChildIdentity(**(base | fields))


def kind(new: ChildIdentity, known: ChildIdentity) -> MatchKind | None:
    found = match_child(new, known)
    return None if found is None else found.kind


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Jayden", "Jaden"),
        ("Mohammed", "Muhammad"),
        ("Katie", "Katy"),
        ("Mohammed", "Mohamed"),
        ("Jon", "John"),
        ("Finley", "Finlay"),
        ("Reuben", "Ruben"),
        ("JAYDEN", "jayden"),
        ("Zoë", "Zoe"),
        ("Anne-Marie", "Anne Marie"),
    ],
)
def test_spelling_variants_are_the_same_name(first: str, second: str) -> None:
    assert name_likeness(first, second) == NameLikeness.SAME


@pytest.mark.parametrize(
    ("first", "second"), [("Olivia", "Amelia"), ("Noah", "Oscar"), ("Jack", "Harry")]
)
def test_different_names_are_different(first: str, second: str) -> None:
    assert name_likeness(first, second) == NameLikeness.DIFFERENT


def test_sound_alike_spelling_apart_is_only_alike() -> None:
    assert name_likeness("Harry", "Harvey") == NameLikeness.ALIKE


def test_equal_nhs_number_is_the_same_child_whatever_else_differs() -> None:
    known = child(nhs_number="9434765919", given_name="Jay", postcode="TS1 1AA")
    found = match_child(child(nhs_number="9434765919", family_name="Smith-Jones"), known)
    assert found is not None
    assert found.kind == MatchKind.SAME
    # what differs is named (never its value), for the duty manager to see
    assert found.reasons == (
        "same NHS number",
        "given name recorded differently",
        "postcode differs",
    )


def test_equal_nhs_number_links_even_when_sex_is_recorded_differently() -> None:
    known = child(nhs_number="9434765919", sex="M", postcode="TS1 1AA")
    found = match_child(child(nhs_number="9434765919", sex="F", postcode="TS2 2BB"), known)
    assert found is not None
    assert found.kind == MatchKind.SAME
    assert found.reasons == ("same NHS number", "sex recorded differently", "postcode differs")


def test_without_a_shared_identifier_a_different_sex_still_means_another_child() -> None:
    assert kind(child(sex="F"), child(sex="M")) is None


def test_equal_upn_is_the_same_child() -> None:
    assert (
        kind(child(upn="A12345678901B", date_of_birth=date(2018, 4, 3)), child(upn="A12345678901B"))
        == MatchKind.SAME
    )


def test_different_nhs_numbers_are_different_children_even_with_everything_else_equal() -> None:
    assert kind(child(nhs_number="9434765919"), child(nhs_number="4010232137")) is None


def test_different_upns_are_different_children() -> None:
    assert kind(child(upn="A12345678901B"), child(upn="B12345678901C")) is None


def test_name_date_of_birth_and_postcode_without_identifiers_is_the_same_child() -> None:
    found = match_child(child(given_name="Jaden", nhs_number="9434765919"), child())
    assert found is not None
    assert found.kind == MatchKind.SAME
    assert "same postcode" in found.reasons


def test_variant_spellings_of_both_names_still_match() -> None:
    assert (
        kind(child(given_name="Muhammad", family_name="Smyth"), child(given_name="Mohammed"))
        == MatchKind.SAME
    )


def test_twins_are_different_children() -> None:
    assert kind(child(given_name="Olivia", sex="F"), child(given_name="Amelia", sex="F")) is None
    assert kind(child(given_name="Jack"), child(given_name="Oscar")) is None


def test_twins_with_alike_names_are_only_a_possible_match() -> None:
    assert kind(child(given_name="Harry"), child(given_name="Harvey")) == MatchKind.POSSIBLE


def test_boy_and_girl_twins_with_similar_names_are_different() -> None:
    assert kind(child(given_name="Leo", sex="M"), child(given_name="Lea", sex="F")) is None


def test_siblings_with_different_birthdays_are_different() -> None:
    assert kind(child(given_name="Jayden", date_of_birth=date(2016, 9, 1)), child()) is None
    assert kind(child(given_name="Katie", date_of_birth=date(2020, 1, 5), sex="F"), child()) is None


def test_day_and_month_swapped_is_a_possible_match_never_a_link() -> None:
    found = match_child(child(date_of_birth=date(2018, 2, 4)), child())
    assert found is not None
    assert found.kind == MatchKind.POSSIBLE
    assert "day and month of birth swapped" in found.reasons


def test_a_child_who_moved_is_a_possible_match() -> None:
    found = match_child(child(postcode="TS19 7QX"), child())
    assert found is not None
    assert found.kind == MatchKind.POSSIBLE


def test_missing_postcode_is_a_possible_match() -> None:
    assert kind(child(postcode=None), child()) == MatchKind.POSSIBLE


def test_unknown_sex_does_not_block() -> None:
    assert kind(child(sex="U"), child(sex="M")) == MatchKind.SAME


def test_different_family_is_not_a_match() -> None:
    assert kind(child(family_name="Khan"), child()) is None


def test_unborn_same_pregnancy_is_the_same_child() -> None:
    unborn = child(
        given_name=None, date_of_birth=None, expected_date_of_birth=date(2027, 2, 1), sex="U"
    )
    later = unborn.model_copy(update={"expected_date_of_birth": date(2027, 2, 10)})
    assert kind(later, unborn) == MatchKind.SAME


def test_unborn_without_family_names_is_only_possible() -> None:
    unborn = ChildIdentity(expected_date_of_birth=date(2027, 2, 1), postcode="TS18 1AB")
    assert kind(unborn, unborn) == MatchKind.POSSIBLE


def test_unborn_elsewhere_is_not_a_match() -> None:
    unborn = child(
        given_name=None, date_of_birth=None, expected_date_of_birth=date(2027, 2, 1), sex="U"
    )
    assert kind(unborn.model_copy(update={"postcode": "TS1 1AA"}), unborn) is None


def test_baby_born_near_the_due_date_is_a_possible_match_for_the_unborn_case() -> None:
    unborn = child(
        given_name=None, date_of_birth=None, expected_date_of_birth=date(2026, 11, 1), sex="U"
    )
    found = match_child(child(date_of_birth=date(2026, 10, 25), given_name="Ava", sex="F"), unborn)
    assert found is not None
    assert found.kind == MatchKind.POSSIBLE


def test_reasons_never_repeat_names_or_identifiers() -> None:
    found = match_child(
        child(nhs_number="9434765919", given_name="Jaden"), child(nhs_number="9434765919")
    )
    assert found is not None
    text = " ".join(found.reasons)
    for secret in ("Jayden", "Jaden", "Smith", "9434765919", "TS18", "2018"):
        assert secret not in text


def test_index_finds_candidates_by_each_block() -> None:
    index = CaseIndex()
    index.add(
        "by-nhs", child(nhs_number="9434765919", date_of_birth=date(2010, 1, 1), postcode=None)
    )
    index.add("by-dob", child(postcode=None))
    index.add("by-swap", child(date_of_birth=date(2018, 2, 4), postcode=None))
    index.add("by-place", child(date_of_birth=date(2001, 1, 1)))
    index.add(
        "elsewhere", child(date_of_birth=date(2012, 1, 1), postcode="TS1 1AA", family_name="Khan")
    )
    found = index.candidates(child(nhs_number="9434765919"))
    assert found == {"by-nhs", "by-dob", "by-swap", "by-place"}
    index.remove("by-dob")
    assert "by-dob" not in index.candidates(child())
    assert len(index) == 4


def test_index_candidates_are_a_few_of_many_cases() -> None:
    index = CaseIndex()
    day = date(2008, 1, 1)
    for number in range(20_000):
        index.add(
            f"c{number}",
            child(
                date_of_birth=day + timedelta(days=number % 6000),
                family_name=FAMILY_NAMES[number % len(FAMILY_NAMES)],
                postcode=f"TS{number % 90} 1AB",
            ),
        )
    found = index.candidates(child(date_of_birth=date(2010, 6, 1), postcode="TS18 1AB"))
    assert 0 < len(found) < 40  # a handful of blocks, not a scan of 20,000


def test_index_forgets_only_the_case_removed() -> None:
    index = CaseIndex()
    index.add("first", child())
    index.add("twin", child(given_name="Olivia"))  # the same blocks: birthday and place
    index.remove("never-indexed")  # a case closed before it was indexed: nothing to forget
    assert index.candidates(child()) == {"first", "twin"}
    index.remove("first")
    assert index.candidates(child()) == {"twin"}
    assert len(index) == 1
    index.remove("twin")
    assert index.candidates(child()) == set()
    assert len(index) == 0


def test_an_unborn_case_recorded_without_a_family_name_is_found_by_a_named_contact() -> None:
    index = CaseIndex()
    expected = date(2027, 2, 1)
    nameless = child(given_name=None, family_name=None, date_of_birth=None, sex="U")
    index.add("unborn", nameless.model_copy(update={"expected_date_of_birth": expected}))
    named = nameless.model_copy(update={"family_name": "Smith", "expected_date_of_birth": expected})
    assert index.candidates(named) == {"unborn"}
    assert index.candidates(nameless) == {"unborn"}
    assert index.candidates(named.model_copy(update={"postcode": "TS24 7AA"})) == set()
