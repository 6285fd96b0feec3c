"""Contact ids: one per (organisation, referral id), the same however often it is sent."""

from __future__ import annotations

import hashlib
import uuid

# A fixed namespace, so every deployment derives the same id from the same pair.
CONTACT_NAMESPACE = uuid.UUID("6f1c2d0e-5b7a-4c61-9a57-0d7e2a8f4b10")


def uuid5_hex(namespace: uuid.UUID, name: str) -> str:
    """``uuid.uuid5(namespace, name).hex``, without building UUID objects (a hot path)."""
    digest = bytearray(hashlib.sha1(namespace.bytes + name.encode()).digest()[:16])  # noqa: S324
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return digest.hex()


def contact_id_for(organisation_id: str, referral_id: str) -> str:
    """The contact id of a referral: deterministic, so resubmissions map to the same contact."""
    return "c-" + uuid5_hex(CONTACT_NAMESPACE, f"{organisation_id}\x1f{referral_id}")[:20]
