"""Triage's working set stays bounded: settled cases retire, and no decision changes for it.

DESIGN.md section 8: a case closed longer ago than the look-back window leaves the working set
(a tombstone on ``triage.cases``, its final state on ``triage.archive``); DOMAIN.md's case
lifecycle: a contact about a child whose case is closed opens a new case.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta

import pytest

from domain.policies import PolicyBook
from domain.policy import load_policy
from factories import NOW, accepted, referral
from frontdoor.replay import ReplaySummary, replay_lines
from frontdoor.simulator.stream import ReferralStream
from runtime.partners import load_registry
from schemas.status import Status
from schemas.topics import Topics
from schemas.triage import ActionKind, Case, CaseState, DecisionKind, ManagerAction
from services.triage.actions import apply_action
from services.triage.engine import RETIRE_MARGIN, Effects, TriageEngine
from services.triage.handler import TriageHandler

_offsets = itertools.count()
WINDOW = timedelta(days=load_policy().repeat_window_days)
TOPICS = Topics("t.")


def engine() -> TriageEngine:
    return TriageEngine(PolicyBook.single(load_policy()))


def send(engine: TriageEngine, document: dict, at: datetime, offset: int | None = None) -> Effects:
    document = document | {"submitted_at": (at - timedelta(minutes=5)).isoformat()}
    offset = next(_offsets) if offset is None else offset
    return engine.on_referral(accepted(document, at=at, offset=offset), partition=2)


def act(engine: TriageEngine, case_id: str, kind: ActionKind, at: datetime, **fields) -> Effects:
    action = ManagerAction(
        action_id=f"a-{next(_offsets)}",
        kind=kind,
        case_id=case_id,
        local_authority=fields.pop("local_authority", "808"),
        actor="cms:episode-ended",
        submitted_at=at,
        reason=fields.pop("reason", "the child's episode of need has ended"),
        **fields,
    )
    return apply_action(engine, action, 2)


def closed_case(engine: TriageEngine, at: datetime = NOW) -> Case:
    """A police contact, allocated, then closed by the case-management system an hour later."""
    case = send(engine, referral(), at).cases[-1][0]
    act(engine, case.case_id, ActionKind.ALLOCATE, at + timedelta(minutes=30), worker="Sam")
    fx = act(engine, case.case_id, ActionKind.CLOSE, at + timedelta(hours=1))
    closed = fx.cases[-1][0]
    assert closed.state is CaseState.CLOSED
    assert [d.kind for d in fx.decisions] == [DecisionKind.CLOSED]
    return closed


def test_a_case_closed_longer_ago_than_the_window_retires_with_a_tombstone_and_its_archive() -> (
    None
):
    triage = engine()
    closed = closed_case(triage)
    settles = closed.updated_at + WINDOW

    assert triage.retire(settles + RETIRE_MARGIN - timedelta(minutes=1)).retired == []
    assert closed.case_id in triage.cases

    now = settles + RETIRE_MARGIN + timedelta(minutes=1)
    fx = triage.retire(now)
    ((final, partition),) = fx.retired
    assert (final.case_id, partition, final.retired_at) == (closed.case_id, 2, now)
    assert final.version == closed.version + 1
    assert final.contacts == closed.contacts
    assert closed.case_id not in triage.cases
    assert triage.cases.contact_case == {}
    assert len(triage.cases.indexes["808"]) == 0

    records = TriageHandler(TOPICS, triage).records(fx)
    tombstone, archived = records
    assert (tombstone.topic, tombstone.key, tombstone.value, tombstone.partition) == (
        "t.triage.cases",
        closed.case_id.encode(),
        None,
        2,
    )
    assert (archived.topic, archived.key) == ("t.triage.archive", closed.case_id.encode())
    assert Case.model_validate_json(archived.value or b"") == final


def test_live_cases_never_retire_however_old() -> None:
    triage = engine()
    open_one = send(triage, referral(), NOW).cases[-1][0]
    allocated = send(triage, referral(referral_id="CP-2", child=_other_child()), NOW).cases[-1][0]
    act(triage, allocated.case_id, ActionKind.ALLOCATE, NOW + timedelta(hours=1), worker="Sam")

    assert triage.retire(NOW + 10 * WINDOW).retired == []
    assert {open_one.case_id, allocated.case_id} <= set(triage.cases)


def kept_and_retired(days_after: int) -> tuple[TriageEngine, TriageEngine, Case, datetime]:
    """Two engines with the same closed case, ``days_after`` it could retire: one retired it."""
    kept, retiring = engine(), engine()
    old = closed_case(kept)
    closed_case(retiring)
    later = NOW + WINDOW + RETIRE_MARGIN + timedelta(days=days_after)
    assert len(retiring.retire(later).retired) == 1
    return kept, retiring, old, later


def test_a_contact_after_retirement_opens_a_new_case_deciding_as_if_nothing_retired() -> None:
    kept, retiring, old, later = kept_and_retired(days_after=30)

    a, b = (send(e, referral(referral_id="CP-2027-1"), later, offset=900) for e in (kept, retiring))

    assert a == b
    new = a.cases[-1][0]
    assert new.case_id != old.case_id
    assert [d.kind for d in a.decisions] == [DecisionKind.TRIAGED]
    assert [s.status for s in a.statuses] == [Status.TRIAGED]
    assert "L3-REPEAT" not in new.rules  # the old contact is outside the window


def test_a_late_amendment_of_a_settled_contact_opens_a_case_of_its_own() -> None:
    kept, retiring, old, later = kept_and_retired(days_after=1)
    amended = referral(summary="Amended a year and more later.")

    a, b = (send(e, amended, later, offset=901) for e in (kept, retiring))

    assert a == b
    assert [d.kind for d in a.decisions] == [DecisionKind.TRIAGED]
    assert a.cases[-1][0].case_id != old.case_id


def test_an_action_on_a_settled_case_is_refused_whether_or_not_it_has_retired() -> None:
    kept, retiring, old, later = kept_and_retired(days_after=1)

    a, b = (act(e, old.case_id, ActionKind.OVERRIDE, later, level=3) for e in (kept, retiring))

    assert [d.kind for d in a.decisions] == [DecisionKind.ACTION_REFUSED]
    assert "look-back window" in a.decisions[0].reason
    assert [d.kind for d in b.decisions] == [DecisionKind.ACTION_REFUSED]
    assert a.cases == b.cases == []


def test_a_case_closed_within_the_window_is_still_held_and_read() -> None:
    triage = engine()
    old = closed_case(triage)
    within = NOW + WINDOW - timedelta(days=2)
    assert triage.retire(within).retired == []

    new = send(triage, referral(referral_id="CP-2027-2"), within).cases[-1][0]

    assert new.case_id != old.case_id  # closed: a new case opens
    assert new.child_id == old.child_id  # and the earlier one tells it who the child is
    assert len(triage.cases) == 2


def _other_child() -> dict:
    return {
        "given_name": "Amelia",
        "family_name": "Jones",
        "date_of_birth": "2015-01-09",
        "sex": "F",
    }


def sent_at(number: int) -> datetime:
    """When the ``number``th of 4,000 publications over four years was sent."""
    return datetime.fromisoformat("2026-12-01T09:00:00+00:00") + timedelta(hours=number * 8.76)


@pytest.fixture(scope="module")
def four_years() -> list[tuple[int, bytes]]:
    """4,000 publications of the simulated partners, spread over four years."""
    stream = ReferralStream(load_registry(), seed=15)
    lines = []
    for number in range(1, 4001):
        publication = stream.next()
        if publication.kind == "invalid":
            lines.append((number, publication.value))
            continue
        document = json.loads(publication.value)
        document["submitted_at"] = sent_at(number).isoformat()
        lines.append((number, json.dumps(document).encode()))
    return lines


def close_episodes_older_than_two_months(engine: TriageEngine, at: datetime) -> None:
    """What the council's case-management system does as episodes end."""
    for case_id in sorted(engine.cases.briefs):
        brief = engine.cases.briefs[case_id]
        if brief.state is not CaseState.CLOSED and brief.settled_at < at - timedelta(days=60):
            fx = act(engine, case_id, ActionKind.CLOSE, at, local_authority=brief.local_authority)
            assert [d.kind for d in fx.decisions] == [DecisionKind.CLOSED]


def history(engine: TriageEngine, lines: list[tuple[int, bytes]], *, retire: bool) -> list[dict]:
    out = []
    replayed = replay_lines(engine, lines, "history", ReplaySummary(), retire=retire)
    for line, (number, _) in zip(replayed, lines, strict=True):
        out.append(line)
        if number % 25 == 0:  # the replay is lazy: the engine stands at this line now
            close_episodes_older_than_two_months(engine, sent_at(number))
    return out


def test_replaying_four_years_with_and_without_retirement_decides_the_same(four_years) -> None:
    kept, retiring = engine(), engine()

    without = history(kept, four_years, retire=False)
    with_ = history(retiring, four_years, retire=True)

    assert with_ == without
    statuses = {line["status"] for line in without}
    assert {"triaged", "linked", "duplicate", "amended", "rejected"} <= statuses
    # retirement did happen, and kept the working set at a fraction of every case ever
    assert len(retiring.cases) < len(kept.cases) / 3
