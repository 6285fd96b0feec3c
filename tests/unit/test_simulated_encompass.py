"""The demo's simulated police: every notice is a valid Encompass notice v1 from a police force,
the mix is as stated, and each kind goes where its name says once the relay meets the demo's
school roll."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from domain.school_roll import parse_roll
from domain.validation import validate_notice
from fakes import book
from frontdoor.simulator.encompass import (
    NAMED,
    NO_SCHOOL,
    NOT_REGISTERED,
    ON_ROLL,
    EncompassSimulation,
)
from runtime.partners import load_registry
from schemas.encompass import AcceptedNotice, EncompassNotice, FoundBy, Routing, notice_ref_for
from schemas.intake import Origin
from services.triage.encompass import EncompassRelay

WHERE = {
    NAMED: (Routing.SCHOOL, FoundBy.NOTICE),
    ON_ROLL: (Routing.SCHOOL, FoundBy.ROLL),
    NO_SCHOOL: (Routing.NO_SCHOOL, FoundBy.NONE),
    NOT_REGISTERED: (Routing.NOT_REGISTERED, FoundBy.NOTICE),
}


def test_every_simulated_notice_is_valid_and_goes_where_its_kind_says() -> None:
    registry = load_registry()
    simulation = EncompassSimulation(registry, seed=7)
    roll = parse_roll(simulation.roll_csv())
    relay = EncompassRelay(book(), lambda: registry, lambda: roll)
    now = datetime.now(UTC)
    kinds: Counter[str] = Counter()
    for number in range(300):
        force, kind, value = simulation.next()
        verdict = validate_notice(value, organisation_id=force, registry=registry, now=now)
        assert isinstance(verdict, EncompassNotice), verdict
        accepted = AcceptedNotice(
            notice_ref=notice_ref_for(force, verdict.notice_id, verdict.local_authority),
            organisation_id=force,
            received_at=now,
            origin=Origin(topic="t", partition=0, offset=number),
            notice=verdict,
        )
        ((state, _),) = relay.on_notice(accepted, 0).notices
        assert (state.routing, state.found_by) == WHERE[kind], kind
        kinds[kind] += 1
    assert set(kinds) == set(WHERE)
    assert 0.3 < kinds[NAMED] / 300 < 0.5  # 40 % name the school
    assert kinds[NOT_REGISTERED] < kinds[NO_SCHOOL] < kinds[ON_ROLL]
