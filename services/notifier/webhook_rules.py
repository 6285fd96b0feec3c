"""Which webhook endpoints the notifier may call: outside development, only public HTTPS ones.

A partner's webhook receives referral status updates. In production it must use ``https://``,
be signed with a secret of at least 32 bytes, and its host must not resolve to a loopback,
link-local, private or otherwise internal address (so a registry entry cannot aim the notifier
at the council's own network).

The address is checked again at every delivery attempt, and the request goes to the very
address that was checked (TLS still verifies the name, sent as SNI and Host): a name that
resolved to a public address when first seen cannot be re-pointed at 127.0.0.1 afterwards
(DNS rebinding). A name that does not resolve is a failed attempt, retried like any other.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import AnyHttpUrl

from schemas.partners import Partner

MIN_SECRET_BYTES = 32
Resolver = Callable[[str, int], list[tuple[Any, ...]]]


def resolve_host(host: str, port: int) -> list[tuple[Any, ...]]:
    """The addresses ``host`` resolves to now (TCP)."""
    return socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)


def webhook_problem(
    partner: Partner, *, production: bool, resolve: Resolver = resolve_host
) -> str | None:
    """Why the notifier must not call this partner's webhook, or None if it may."""
    if partner.webhook is None:
        return "no webhook registered"
    if not production:
        return None
    return webhook_shape_problem(partner) or _address_problem(partner.webhook, resolve)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where one delivery attempt connects: the checked address, with the name for TLS."""

    url: str
    headers: dict[str, str]
    extensions: dict[str, str]


async def endpoint_for(
    url: AnyHttpUrl, *, production: bool, resolve: Resolver = resolve_host
) -> Endpoint | str:
    """Resolve and check ``url``'s host now; the endpoint to call, or why not."""
    if not production:
        return Endpoint(str(url), {}, {})
    try:
        found = await asyncio.to_thread(resolve, url.host or "", url.port or 443)
    except OSError:
        return "the webhook's host does not resolve"
    problem = _internal(found)
    if problem is not None:
        return problem
    checked = str(ipaddress.ip_address(found[0][-1][0]))
    name = url.host or ""
    host_header = name if url.port in {None, 443} else f"{name}:{url.port}"
    return Endpoint(
        str(httpx.URL(str(url)).copy_with(host=checked)),
        {"Host": host_header},
        {"sni_hostname": name},
    )


def webhook_shape_problem(partner: Partner) -> str | None:
    """What is wrong with a webhook's URL and secret in production, without resolving it."""
    if partner.webhook is None or partner.webhook.scheme != "https":
        return "a webhook must use https:// outside development"
    secret = partner.webhook_secret.get_secret_value() if partner.webhook_secret else ""
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return f"a webhook secret must be at least {MIN_SECRET_BYTES} bytes outside development"
    return None


def _address_problem(url: AnyHttpUrl | None, resolve: Resolver) -> str | None:
    assert url is not None  # noqa: S101 - checked by the caller
    try:
        found = resolve(url.host or "", url.port or 443)
    except OSError:
        return "the webhook's host does not resolve"
    return _internal(found)


def _internal(found: list[tuple[Any, ...]]) -> str | None:
    if not found:
        return "the webhook's host does not resolve"
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global or ip.is_multicast:
            return "the webhook's host resolves to an internal address"
    return None
