"""Contact ids: one per (organisation, referral id), the same however often it is sent."""

from __future__ import annotations

import uuid

# A fixed namespace, so every deployment derives the same id from the same pair.
CONTACT_NAMESPACE = uuid.UUID("6f1c2d0e-5b7a-4c61-9a57-0d7e2a8f4b10")


def contact_id_for(organisation_id: str, referral_id: str) -> str:
    """The contact id of a referral: deterministic, so resubmissions map to the same contact."""
    return "c-" + uuid.uuid5(CONTACT_NAMESPACE, f"{organisation_id}\x1f{referral_id}").hex[:20]
