"""Who a request comes from, as the throttles count it."""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

IPV6_NETWORK_BITS = 64  # one home or office gets a whole /64: each of its addresses is one client


def client_key(request: Request) -> str:
    """The client's address as uvicorn decided it, trusting only the configured proxies.

    An IPv6 address counts by its /64, so stepping through one's own network evades nothing.
    """
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6:  # noqa: PLR2004 - IP version
        return str(ipaddress.ip_network(f"{address}/{IPV6_NETWORK_BITS}", strict=False))
    return str(address)
