"""Outside development a webhook is public HTTPS with a real secret; inside, anything goes."""

from __future__ import annotations

import pytest

from schemas.partners import Partner
from services.notifier.webhook_rules import webhook_problem

SECRET = "k" * 32


def partner(url: str | None, secret: str | None = SECRET) -> Partner:
    return Partner(
        id="a-school",
        name="A School",
        source="2A",
        local_authorities=("808",),
        webhook=url,  # type: ignore[arg-type]
        webhook_secret=secret,  # type: ignore[arg-type]
    )


def resolving_to(*addresses: str):
    def resolve(_host: str, port: int) -> list[tuple[object, ...]]:
        return [(2, 1, 6, "", (address, port)) for address in addresses]

    return resolve


def test_a_public_https_endpoint_with_a_long_secret_is_allowed() -> None:
    problem = webhook_problem(
        partner("https://hooks.school.example/frontdoor"),
        production=True,
        resolve=resolving_to("93.184.216.34"),
    )
    assert problem is None


@pytest.mark.parametrize(
    ("url", "secret", "addresses", "says"),
    [
        ("http://hooks.school.example/", SECRET, ("93.184.216.34",), "https://"),
        ("https://hooks.school.example/", "short", ("93.184.216.34",), "at least 32 bytes"),
        ("https://hooks.school.example/", SECRET, ("127.0.0.1",), "internal address"),
        ("https://hooks.school.example/", SECRET, ("10.1.2.3",), "internal address"),
        ("https://hooks.school.example/", SECRET, ("192.168.0.10",), "internal address"),
        ("https://hooks.school.example/", SECRET, ("169.254.169.254",), "internal address"),
        ("https://hooks.school.example/", SECRET, ("::1",), "internal address"),
        ("https://hooks.school.example/", SECRET, ("93.184.216.34", "10.0.0.1"), "internal"),
        # shared (carrier-grade NAT) space and multicast are not private, but not public either
        ("https://hooks.school.example/", SECRET, ("100.64.0.1",), "internal address"),
        ("https://hooks.school.example/", SECRET, ("224.0.0.251",), "internal address"),
        ("https://hooks.school.example/", SECRET, ("ff02::1",), "internal address"),
    ],
)
def test_outside_development_these_are_refused(
    url: str, secret: str, addresses: tuple[str, ...], says: str
) -> None:
    problem = webhook_problem(
        partner(url, secret), production=True, resolve=resolving_to(*addresses)
    )
    assert problem is not None
    assert says in problem


def test_a_host_that_does_not_resolve_is_refused() -> None:
    def nowhere(_host: str, _port: int) -> list[tuple[object, ...]]:
        raise OSError

    assert webhook_problem(partner("https://gone.example/"), production=True, resolve=nowhere) == (
        "the webhook's host does not resolve"
    )


def test_in_development_a_local_test_server_is_fine() -> None:
    assert webhook_problem(partner("http://127.0.0.1:9999/hook", "s"), production=False) is None


async def test_each_attempt_connects_to_the_checked_address_on_the_webhooks_own_port() -> None:
    from services.notifier.webhook_rules import endpoint_for  # noqa: PLC0415

    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[tuple[object, ...]]:
        asked.append((host, port))
        return [(2, 1, 6, "", ("8.8.4.4", port)), (2, 1, 6, "", ("8.8.8.8", port))]

    url = partner("https://hooks.school.example:8443/front-door?x=1", SECRET).webhook
    assert url is not None
    found = await endpoint_for(url, production=True, resolve=resolve)
    assert not isinstance(found, str)
    assert found.url == "https://8.8.4.4:8443/front-door?x=1"  # the first checked address
    assert found.headers == {"Host": "hooks.school.example:8443"}
    assert found.extensions == {"sni_hostname": "hooks.school.example"}
    assert asked == [("hooks.school.example", 8443)]
    internal = await endpoint_for(
        url, production=True, resolve=lambda _h, p: [(2, 1, 6, "", ("10.0.0.9", p))]
    )
    assert internal == "the webhook's host resolves to an internal address"
    nothing = await endpoint_for(url, production=True, resolve=lambda _h, _p: [])
    assert nothing == "the webhook's host does not resolve"
    local = partner("http://127.0.0.1:9/hook", SECRET).webhook
    assert local is not None
    development = await endpoint_for(local, production=False, resolve=resolve)
    assert development == type(found)("http://127.0.0.1:9/hook", {}, {})  # as registered


def test_the_check_asks_about_the_webhooks_own_host_and_port() -> None:
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[tuple[object, ...]]:
        asked.append((host, port))
        return [(2, 1, 6, "", ("8.8.8.8", port))]

    for url in ("https://hooks.school.example/x", "https://hooks.school.example:8443/x"):
        assert webhook_problem(partner(url, SECRET), production=True, resolve=resolve) is None
    assert asked == [("hooks.school.example", 443), ("hooks.school.example", 8443)]


async def test_an_attempt_asks_about_port_443_when_the_url_names_none() -> None:
    from services.notifier.webhook_rules import endpoint_for  # noqa: PLC0415

    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[tuple[object, ...]]:
        asked.append((host, port))
        return [(2, 1, 6, "", ("8.8.8.8", port))]

    url = partner("https://hooks.school.example/x", SECRET).webhook
    assert url is not None
    found = await endpoint_for(url, production=True, resolve=resolve)
    assert asked == [("hooks.school.example", 443)]
    assert not isinstance(found, str)
    assert found.headers == {"Host": "hooks.school.example"}


def test_what_each_refusal_says() -> None:
    no_hook = partner("https://hooks.school.example/", SECRET).model_copy(update={"webhook": None})
    assert webhook_problem(no_hook, production=True) == "no webhook registered"
    plain = partner("http://hooks.school.example/", SECRET)
    assert webhook_problem(plain, production=True) == (
        "a webhook must use https:// outside development"
    )
    unsigned = partner("https://hooks.school.example/", SECRET).model_copy(
        update={"webhook_secret": None}
    )
    assert webhook_problem(unsigned, production=True, resolve=resolving_to("8.8.8.8")) == (
        "a webhook secret must be at least 32 bytes outside development"
    )
