"""The topic registry names every topic, under a deployment's prefix."""

from __future__ import annotations

import re

import pytest

from schemas.topics import CORE_TOPICS, Cleanup, Topics


def test_names_carry_the_prefix() -> None:
    topics = Topics("test1.")
    assert topics.accepted == "test1.referrals.accepted"
    assert topics.inbound("cleveland-police") == "test1.referrals.inbound.cleveland-police"
    assert topics.status("cleveland-police") == "test1.status.cleveland-police"


def test_inbound_pattern_matches_partner_topics_only() -> None:
    topics = Topics("p.")
    pattern = re.compile(topics.inbound_pattern)
    assert pattern.match("p.referrals.inbound.some-school")
    assert not pattern.match("referrals.inbound.some-school")  # another deployment's
    assert not pattern.match("p.referrals.accepted")
    assert not pattern.match("p.referrals.inbound.")


def test_organisation_of_inbound() -> None:
    topics = Topics()
    assert topics.organisation_of_inbound("referrals.inbound.gp-7") == "gp-7"
    assert topics.organisation_of_inbound("referrals.accepted") is None
    assert topics.organisation_of_inbound("referrals.inbound.Bad_Org") is None


@pytest.mark.parametrize("org", ["", "A", "UPPER", "has space", "under_score", "x" * 70, "-lead"])
def test_bad_organisation_ids_name_no_topic(org: str) -> None:
    with pytest.raises(ValueError, match="organisation id"):
        Topics().inbound(org)


def test_case_state_is_compacted_and_audit_is_kept_forever() -> None:
    specs = {spec.name: spec for spec in CORE_TOPICS}
    assert specs["triage.cases"].cleanup is Cleanup.COMPACT
    assert specs["triage.decisions"].retention_ms == -1
    assert specs["triage.decisions"].configs()["cleanup.policy"] == "delete"


def test_specs_for_adds_two_topics_per_partner() -> None:
    named = dict(Topics("x.").specs_for(["a-school", "b-school"]))
    assert len(named) == len(CORE_TOPICS) + 4
    assert "x.status.b-school" in named


def test_rejected_bytes_are_kept_90_days_and_their_audit_record_forever() -> None:
    specs = {spec.name: spec for spec in CORE_TOPICS}
    assert specs["referrals.invalid"].configs()["retention.ms"] == str(90 * 24 * 60 * 60 * 1000)
    assert specs["referrals.rejections"].configs()["retention.ms"] == "-1"
