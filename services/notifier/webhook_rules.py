"""Which webhook endpoints the notifier may call: outside development, only public HTTPS ones.

A partner's webhook receives referral status updates. In production it must use ``https://``,
be signed with a secret of at least 32 bytes, and its host must not resolve to a loopback,
link-local, private or otherwise internal address (so a registry entry cannot aim the notifier
at the council's own network).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

from schemas.partners import Partner

MIN_SECRET_BYTES = 32
Resolver = Callable[[str, int], list[tuple[Any, ...]]]


def _resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    return socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)


def webhook_problem(
    partner: Partner, *, production: bool, resolve: Resolver = _resolve
) -> str | None:
    """Why the notifier must not call this partner's webhook, or None if it may."""
    if partner.webhook is None:
        return "no webhook registered"
    if not production:
        return None
    return _shape_problem(partner) or _address_problem(partner, resolve)


def _shape_problem(partner: Partner) -> str | None:
    if partner.webhook is None or partner.webhook.scheme != "https":
        return "a webhook must use https:// outside development"
    secret = partner.webhook_secret.get_secret_value() if partner.webhook_secret else ""
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return f"a webhook secret must be at least {MIN_SECRET_BYTES} bytes outside development"
    return None


def _address_problem(partner: Partner, resolve: Resolver) -> str | None:
    url = partner.webhook
    assert url is not None  # noqa: S101 - checked by the caller
    try:
        found = resolve(url.host or "", url.port or 443)
    except OSError:
        return "the webhook's host does not resolve"
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global or ip.is_multicast:
            return "the webhook's host resolves to an internal address"
    return None
