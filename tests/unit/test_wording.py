"""Status updates are one plain sentence each, and say nothing about the child."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.wording import sentence, when
from schemas.status import FieldError, Outcome, Status, StatusEvent

AT = datetime(2026, 11, 17, 9, 30, tzinfo=UTC)
DUE = datetime(2026, 11, 17, 14, 0, tzinfo=UTC)


def event(status: Status, outcome: Outcome | None = None, **fields) -> StatusEvent:
    return StatusEvent(
        contact_id="c-1",
        referral_id="R-1",
        organisation_id="gp-1",
        status=status,
        outcome=outcome,
        occurred_at=AT,
        **fields,
    )


def test_times_are_in_uk_time_and_plain() -> None:
    assert when(DUE) == "14:00 on Tuesday 17 November"
    assert when(datetime(2026, 7, 1, 9, 0, tzinfo=UTC)) == "10:00 on Wednesday 1 July"  # BST


@pytest.mark.parametrize(
    ("status", "outcome", "fields", "expected"),
    [
        (
            Status.RECEIVED,
            None,
            {"decision_due": datetime(2026, 11, 18, 9, 30, tzinfo=UTC)},
            # third review, item 13: triage may shorten it (red), so only "at the latest"
            (
                "Received — a decision is due by 09:30 on Wednesday 18 November at the latest, "
                "sooner if urgent."
            ),
        ),
        (
            Status.TRIAGED,
            Outcome.EARLY_HELP,
            {"decision_due": DUE},
            "Passed to the early help team — a decision is due by 14:00 on Tuesday 17 November.",
        ),
        (
            Status.LINKED,
            Outcome.ENQUIRY_ASSESSMENT,
            {},
            "Passed to the enquiry and assessment team.",
        ),
        (
            Status.TRIAGED,
            Outcome.NO_FURTHER_ACTION,
            {},
            "No further action by children's social care: advice and signposting instead.",
        ),
        (
            Status.OUTCOME_CHANGED,
            Outcome.ENQUIRY_ASSESSMENT,
            {"decision_due": DUE},
            (
                "Update — now passed to the enquiry and assessment team — "
                "a decision is due by 14:00 on Tuesday 17 November."
            ),
        ),
        (Status.ALLOCATED, Outcome.EARLY_HELP, {}, "Allocated to a worker in the early help team."),
        (Status.CLOSED, Outcome.EARLY_HELP, {}, "Closed by children's social care."),
        (Status.DUPLICATE, None, {}, "Already received — this copy changes nothing."),
        (
            Status.REJECTED,
            None,
            {"errors": [FieldError(loc="a", msg="b"), FieldError(loc="c", msg="d")]},
            "Not accepted — 2 problems need correcting before it is sent again (see errors).",
        ),
    ],
)
def test_one_sentence_per_status(status, outcome, fields, expected) -> None:
    assert sentence(event(status, outcome, **fields), public=False) == expected


def test_overdue_says_it_is_still_being_looked_at() -> None:
    assert sentence(event(Status.OVERDUE), public=False).startswith("Still being looked at")


def test_members_of_the_public_are_not_told_where_it_went() -> None:
    text = sentence(
        event(Status.TRIAGED, Outcome.ENQUIRY_ASSESSMENT, decision_due=DUE), public=True
    )
    assert "enquiry" not in text
    assert "team" not in text


def test_dates_are_written_for_people_one_way() -> None:
    from datetime import date  # noqa: PLC0415

    from domain.wording import long_date  # noqa: PLC0415

    assert long_date(date(2021, 2, 11)) == "11 February 2021"
    assert long_date("2021-02-11") == "11 February 2021"  # as a form keeps it
    assert long_date("") == ""
    assert long_date("31/02") == "31/02"  # not a date: shown as typed, beside its error
