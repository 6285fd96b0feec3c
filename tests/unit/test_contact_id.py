"""Contact ids are derived from (organisation, referral id) and nothing else."""

from __future__ import annotations

from schemas.contact import contact_id_for


def test_same_pair_same_id() -> None:
    assert contact_id_for("gp-1", "R-1") == contact_id_for("gp-1", "R-1")


def test_different_organisation_or_reference_different_id() -> None:
    ids = {
        contact_id_for("gp-1", "R-1"),
        contact_id_for("gp-2", "R-1"),
        contact_id_for("gp-1", "R-2"),
    }
    assert len(ids) == 3


def test_separator_cannot_be_forged() -> None:
    assert contact_id_for("gp-1", "2R") != contact_id_for("gp-12", "R")
