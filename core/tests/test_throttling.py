"""Limits on guessing: sign-in lockout by account and address, token failures and API rates.

The test settings raise every limit so the rest of the suite is never
throttled; each test here sets the limit it proves low.
"""

import datetime
import logging

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from .factories import make_token

pytestmark = pytest.mark.django_db

PASSWORD = "pass-for-tests-1"


@pytest.fixture
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
    settings.OPS_TOKEN_FAILURE_RATE = "3/minute"
    settings.OPS_API_RATE = "5/minute"
    return settings


def sign_in(client, username, password, address="203.0.113.7", **extra):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def test_wrong_passwords_lock_the_account_from_that_address_even_for_the_right_one(world, client, limits, caplog):
    for _ in range(3):
        response = sign_in(client, "coo", "wrong")
    assert response.status_code == 429
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="core.security"):
        response = sign_in(client, "coo", PASSWORD)
    assert response.status_code == 429
    assert response.wsgi_request.user.is_anonymous
    html = response.content.decode()
    assert "Too many failed sign-in attempts" in html and "15 minutes" in html
    assert 'name="username"' in html  # the sign-in page itself, with the message on it
    assert any("locked out" in r.getMessage() and "coo" in r.getMessage() for r in caplog.records)
    from axes.models import AccessAttempt

    # The lockout is kept in the database for administrators (django-axes' attempts).
    attempt = AccessAttempt.objects.get(username="coo")
    assert attempt.ip_address == "203.0.113.7" and attempt.failures_since_start >= 3


def test_lockout_is_per_account_and_address(world, client, limits):
    for _ in range(3):
        sign_in(client, "coo", "wrong")
    # The same account from another address, and another account from the same address, still sign in.
    assert sign_in(client, "coo", PASSWORD, address="198.51.100.20").status_code == 302
    client.logout()
    assert sign_in(client, "district_admin", PASSWORD).status_code == 302


def test_failures_below_the_limit_do_not_lock_and_success_resets_them(world, client, limits):
    sign_in(client, "coo", "wrong")
    sign_in(client, "coo", "wrong")
    assert sign_in(client, "coo", PASSWORD).status_code == 302
    client.logout()
    sign_in(client, "coo", "wrong")
    sign_in(client, "coo", "wrong")
    assert sign_in(client, "coo", PASSWORD).status_code == 302


def test_lockout_ends_after_the_cool_off(world, client, limits):
    for _ in range(3):
        sign_in(client, "coo", "wrong")
    assert sign_in(client, "coo", PASSWORD).status_code == 429
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16))
    assert sign_in(client, "coo", PASSWORD).status_code == 302


def test_lockout_message_in_spanish(world, client, limits):
    client.cookies["django_language"] = "es"
    for _ in range(3):
        sign_in(client, "coo", "wrong")
    response = sign_in(client, "coo", PASSWORD)
    assert response.status_code == 429
    assert '<html lang="es">' in response.content.decode()


def test_forwarded_address_is_ignored_unless_the_proxy_is_trusted(world, client, limits):
    # An attacker rotating X-Forwarded-For from one address is still one address.
    for n in range(3):
        sign_in(client, "coo", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert sign_in(client, "coo", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


def test_client_address_comes_from_a_trusted_proxy_only(settings):
    from core.net import client_ip

    rf = RequestFactory()
    spoofed = rf.get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="192.0.2.1")
    settings.OPS_TRUSTED_PROXIES = []
    assert client_ip(spoofed) == "203.0.113.7"
    settings.OPS_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(spoofed) == "203.0.113.7"  # the caller is not the proxy
    proxied = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.4, 10.0.0.9")
    # The right-most address the trusted proxies did not add; what the client wrote to the left is ignored.
    assert client_ip(proxied) == "198.51.100.4"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="not-an-address")) == "10.0.0.5"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.5")) == "10.0.0.5"
    settings.OPS_TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="2001:db8::1")) == "2001:db8::1"


def test_trusted_proxy_forwards_distinct_clients(world, client, limits):
    limits.OPS_TRUSTED_PROXIES = ["10.0.0.1"]
    for _ in range(3):
        sign_in(client, "coo", "wrong", address="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.50")
    assert sign_in(client, "coo", PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.50").status_code == 429
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.get().ip_address == "192.0.2.50"
    assert sign_in(client, "coo", PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.51").status_code == 302


def bearer(key, address="203.0.113.7"):
    c = APIClient(REMOTE_ADDR=address)
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return c


def test_invalid_tokens_are_throttled_per_address_before_the_key_is_checked(
    world, limits, caplog, django_assert_num_queries
):
    token, key = make_token(world.sis_integration)
    with caplog.at_level(logging.WARNING, logger="core.security"):
        for n in range(3):
            assert bearer(f"{token.prefix}.wrong{n}").get("/api/district/schools/").status_code == 401
    assert sum("Invalid API token" in r.getMessage() for r in caplog.records) == 3
    # The fourth attempt is refused without a query, even with the right key.
    with django_assert_num_queries(0):
        response = bearer(key).get("/api/district/schools/")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    # Another address is not affected, and malformed headers count too.
    assert bearer(key, address="198.51.100.20").get("/api/district/schools/").status_code == 200
    for _ in range(3):
        assert bearer("nonsense", address="198.51.100.21").get("/api/district/schools/").status_code == 401
    assert bearer(key, address="198.51.100.21").get("/api/district/schools/").status_code == 429


def test_blank_authorization_header_is_not_a_server_error(world, limits):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION="   ")
    assert c.get("/api/district/schools/").status_code in (401, 403)


def test_api_is_throttled_per_token(world, limits, caplog):
    _, key = make_token(world.sis_integration)
    _, other_key = make_token(world.sis_integration, name="Bus GPS")
    for _ in range(5):
        assert bearer(key).get("/api/district/schools/").status_code == 200
    with caplog.at_level(logging.WARNING, logger="core.security"):
        response = bearer(key).get("/api/district/schools/")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert any("rate limit" in r.getMessage() for r in caplog.records)
    # Another token of the same account, from the same address, has its own allowance.
    assert bearer(other_key).get("/api/district/schools/").status_code == 200


def test_api_is_throttled_per_signed_in_user(world, client, limits):
    client.force_login(world.coo)
    for _ in range(5):
        assert client.get("/api/district/schools/").status_code == 200
    assert client.get("/api/district/schools/").status_code == 429
    client.force_login(world.district_admin)
    assert client.get("/api/district/schools/").status_code == 200


def test_failed_sign_ins_are_logged_with_the_account_quoted(world, client, limits, caplog):
    with caplog.at_level(logging.WARNING):
        sign_in(client, "coo\nforged line", "wrong")
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("axes")]
    assert messages and all("\n" not in m for m in messages)
    assert any("'coo\\nforged line'" in m and "'203.0.113.7'" in m for m in messages)
