"""List 3 as the census counts referrals (DOMAIN.md, "Inspection and census returns")."""

from __future__ import annotations

from datetime import date

from domain.annex_a import ContactFacts, list_1, list_3

YEAR_2026 = (date(2026, 1, 1), date(2026, 12, 31))


def contact(day: date, **facts: object) -> ContactFacts:
    base: dict[str, object] = {
        "child_id": "child-1",
        "sex": "F",
        "ethnicity": None,
        "date_of_birth": date(2015, 1, 1),
        "contact_date": day,
        "source": "6",
        "decided_outcome": "enquiry-assessment",
        "case_outcome": "enquiry-assessment",
        "allocated_team": None,
        "allocated_worker": None,
        "outcome_before": None,
    }
    return ContactFacts(**(base | facts))  # type: ignore[arg-type]


def test_two_referrals_for_one_child_on_one_day_are_one_row_the_first() -> None:
    morning = contact(date(2026, 3, 2), source="6")
    afternoon = contact(date(2026, 3, 2), source="2A")  # a case closed and opened again
    rows = list_3([morning, afternoon], *YEAR_2026)
    assert [(row[5], row[6]) for row in rows] == [("02/03/2026", "6")]
    assert len(list_1([morning, afternoon], *YEAR_2026)) == 2  # both are contacts


def test_a_contact_on_a_case_already_with_the_team_is_no_referral() -> None:
    linked = contact(date(2026, 3, 9), outcome_before="enquiry-assessment")
    moved = contact(date(2026, 3, 10), outcome_before="early-help")
    assert [row[5] for row in list_3([linked, moved], *YEAR_2026)] == ["10/03/2026"]


def test_the_re_referral_count_is_of_earlier_list_3_rows_in_the_365_days_before() -> None:
    history = [
        contact(date(2025, 3, 1)),  # more than a year before the last: not counted for it
        contact(date(2025, 9, 1)),
        contact(date(2025, 9, 1)),  # the same day: one referral, not two
        contact(date(2025, 10, 1), outcome_before="enquiry-assessment"),  # a link: none
        contact(date(2026, 3, 2)),
    ]
    (row,) = list_3(history, *YEAR_2026)
    assert row[8] == "1"


def test_nfa_only_for_a_case_closed_without_being_allocated() -> None:
    closed = contact(date(2026, 4, 1), case_closed=True, case_outcome="no-further-action")
    allocated_then_closed = contact(
        date(2026, 4, 2), child_id="child-2", case_closed=True, allocated_worker="Ola"
    )
    still_open = contact(date(2026, 4, 3), child_id="child-3")
    rows = list_3([closed, allocated_then_closed, still_open], *YEAR_2026)
    assert [row[7] for row in rows] == ["Yes", "No", "No"]


def test_the_period_includes_its_first_and_last_day() -> None:
    first, last = YEAR_2026
    on_the_days = [contact(first, child_id="child-a"), contact(last, child_id="child-b")]
    assert [row[5] for row in list_1(on_the_days, first, last)] == ["01/01/2026", "31/12/2026"]
    assert [row[5] for row in list_3(on_the_days, first, last)] == ["01/01/2026", "31/12/2026"]


def test_a_sex_the_census_does_not_list_is_neither_and_an_unborn_child_has_no_age() -> None:
    unborn = contact(date(2026, 5, 5), sex="X", date_of_birth=None)
    (row,) = list_1([unborn], *YEAR_2026)
    assert row[:5] == ["child-1", "d) Neither", "NOBT", "", ""]
