"""Which URLs may receive events: https to public addresses; http and loopback/private only to
hosts the operator allows; link-local and metadata addresses never."""

import pytest

from khata.webhook.urls import UnsafeUrl, check_url


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # the metadata service, over http
        "https://169.254.169.254/hooks",  # link-local, even over https
        "https://169.254.1.1/hooks",
        "https://[fe80::1]/hooks",
        "https://[::ffff:169.254.169.254]/hooks",  # link-local behind an IPv4-mapped address
        "https://[fd00:ec2::254]/hooks",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://100.100.100.200/hooks",
    ],
)
async def test_link_local_and_metadata_are_refused_even_when_allowed(url: str) -> None:
    allow = {"169.254.169.254", "169.254.1.1", "fe80::1", "metadata.google.internal"}
    with pytest.raises(UnsafeUrl):
        await check_url(url, allow, must_resolve=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hooks",  # http to a host not allowed
        "https://127.0.0.1/hooks",  # loopback, not allowed
        "https://10.1.2.3/hooks",  # private
        "https://192.168.0.10/hooks",
        "https://[::1]/hooks",
        "https://0.0.0.0/hooks",
        "ftp://example.com/hooks",
        "https:///no-host",
        "https://user:pass@example.com/hooks",
        "not a url",
        "https://" + "a" * 70 + ".example.com/hooks",  # a label longer than DNS allows
        "https://a..b/hooks",
        "https://example.com:99999/hooks",
    ],
)
async def test_http_loopback_and_private_need_the_operators_allowance(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        await check_url(url, frozenset(), must_resolve=False)


async def test_allowed_hosts_may_use_http_and_private_addresses() -> None:
    allow = {"127.0.0.1", "10.1.2.3"}
    await check_url("http://127.0.0.1:9000/hooks", allow, must_resolve=True)
    await check_url("https://10.1.2.3/hooks", allow, must_resolve=True)


async def test_https_to_a_public_address_passes() -> None:
    await check_url("https://8.8.8.8/hooks", frozenset(), must_resolve=True)


async def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    # localhost resolves to loopback: refused unless allowed by name.
    with pytest.raises(UnsafeUrl):
        await check_url("https://localhost/hooks", frozenset(), must_resolve=True)
    await check_url("http://localhost:9000/hooks", {"localhost"}, must_resolve=True)


async def test_a_name_that_does_not_resolve_is_refused_only_at_send_time() -> None:
    url = "https://no-such-host.invalid/hooks"
    await check_url(url, frozenset(), must_resolve=False)
    with pytest.raises(UnsafeUrl, match="does not resolve"):
        await check_url(url, frozenset(), must_resolve=True)
