"""The third security and robustness review's findings (issue 38), each reproduced and refused.

Items 1 and 2's end-to-end halves are in tests/integration/test_processor.py (a refused record
aborts the transaction), tests/unit/test_case_bounds.py (a case always fits one record) and
tests/integration/test_records_refusals.py (PostgreSQL refusing data never stops the records).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pydantic import ValidationError

from domain.validation import (
    AnswerRejected,
    NoticeRejected,
    Rejected,
    validate_acknowledgement,
    validate_answer,
    validate_notice,
    validate_referral,
)
from factories import NOW, encode, notice, referral, with_path
from schemas.triage import ActionKind, ManagerAction

# 2. Control characters are refused in every text field of every contract, the field named.

CONTROLS = ["\u0000", "\u0007", "\u001b", "\u007f", "\u0085"]
CONTROL_SAYS = "contains a control character (U+{:04X})"


@pytest.mark.parametrize("control", CONTROLS)
@pytest.mark.parametrize(
    "path",
    [
        "summary",
        "child.given_name",
        "child.address.line1",
        "referrer.name",
        "concerns.0.detail",
        "consent.reason",
    ],
)
def test_a_referral_with_a_control_character_is_refused_by_field(path: str, control: str) -> None:
    document = with_path(referral(), path, f"Officers{control}attended")
    result = validate_referral(encode(document), now=NOW + timedelta(minutes=20))
    assert isinstance(result, Rejected)
    errors = {e.loc: e.msg for e in result.errors}
    loc = path.replace(".0.", "[0].")  # errors name a list's item as a partner's code would
    assert CONTROL_SAYS.format(ord(control)) in errors[loc]
    assert "Officers" not in json.dumps(errors)  # never repeats what was sent


def test_tab_and_new_line_are_allowed_in_text() -> None:
    document = referral(summary="First line.\nSecond line.\r\n\tIndented.")
    result = validate_referral(encode(document), now=NOW + timedelta(minutes=20))
    assert not isinstance(result, Rejected)


def test_a_notice_an_answer_and_an_acknowledgement_refuse_control_characters() -> None:
    child = {"given_name": "Mia\u0000", "family_name": "Hartley", "date_of_birth": "2017-05-09"}
    result = validate_notice(
        encode(notice(child=child)), organisation_id="cleveland-police", now=NOW
    )
    assert isinstance(result, NoticeRejected)
    assert [(e.loc, CONTROL_SAYS.format(0) in e.msg) for e in result.errors] == [
        ("child.given_name", True)
    ]

    answer = {
        "request_id": "chk-808-00000000000000000000",
        "result": "information",
        "information": "Known to us\u0000",
        "answered_by": {"name": "Sam", "role": "Researcher"},
        "answered_at": NOW.isoformat(),
    }
    refused = validate_answer(encode(answer), now=NOW)
    assert isinstance(refused, AnswerRejected)
    assert [e.loc for e in refused.errors] == ["information"]

    problems = validate_acknowledgement(encode({"acknowledged_by": "Key\u0007Adult"}))
    assert isinstance(problems, list)
    assert [e.loc for e in problems] == ["acknowledged_by"]


def test_a_managers_action_refuses_control_characters() -> None:
    with pytest.raises(ValidationError, match="control character"):
        ManagerAction(
            action_id="a-1",
            kind=ActionKind.CLOSE,
            case_id="case-1",
            local_authority="808",
            actor="duty.manager@808",
            reason="closed\u0000",
            submitted_at=NOW,
        )
