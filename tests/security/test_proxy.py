"""Behind a reverse proxy: the client's own address and scheme, from as many hops as configured."""

import pytest

from p4p import create_app

CLIENT_A, CLIENT_B = "203.0.113.7", "198.51.100.9"


def _proxied_app(app_config, hops: int):
    return create_app({**app_config, "PROXY_HOPS": hops, "LOGIN_RATE_LIMIT": "2 per minute"})


def _failed_login(client, forwarded_for: str, serial: int):
    return client.post(
        "/login",
        data={"email": f"nobody{serial}@example.org", "password": "not the password"},
        headers={"X-Forwarded-For": forwarded_for},
    )


def test_behind_one_proxy_each_client_has_its_own_login_limit(app_config):
    client = _proxied_app(app_config, hops=1).test_client()
    assert [_failed_login(client, CLIENT_A, n).status_code for n in range(2)] == [200, 200]
    assert _failed_login(client, CLIENT_B, 2).status_code == 200  # another person, same proxy
    assert _failed_login(client, CLIENT_A, 3).status_code == 429


def test_without_a_proxy_a_forged_forwarded_for_does_not_escape_the_limit(app_config):
    client = _proxied_app(app_config, hops=0).test_client()
    assert [_failed_login(client, CLIENT_A, n).status_code for n in range(2)] == [200, 200]
    # The header is the client's own claim here: the limit stays on the connection's address.
    assert _failed_login(client, CLIENT_B, 2).status_code == 429


@pytest.mark.parametrize("hops", [0, 1])
def test_hsts_follows_the_scheme_the_client_used(app_config, hops):
    client = _proxied_app(app_config, hops).test_client()
    forwarded = client.get("/login", headers={"X-Forwarded-Proto": "https"}).headers
    assert ("Strict-Transport-Security" in forwarded) is (hops == 1)
    assert "Strict-Transport-Security" not in client.get("/login").headers
    direct = client.get("/login", base_url="https://localhost").headers
    assert "Strict-Transport-Security" in direct


def test_a_negative_hop_count_is_refused(app_config):
    from p4p.config import ConfigError

    with pytest.raises(ConfigError, match="P4P_PROXY_HOPS"):
        create_app({**app_config, "PROXY_HOPS": -1})
