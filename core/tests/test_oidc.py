"""Staff sign-in through OpenID Connect, against a real provider the suite starts (core/tests/oidc_provider).

Each test drives the whole authorization-code flow: our /oidc/authenticate/
redirect, the provider's login page and authorization endpoint, the code back
to our callback, and our backend exchanging it over HTTP and checking the ID
token against the key set named by the provider's discovery document. Tests of
forged tokens let the real exchange happen and change its answer on the way
back, as a party between us and the provider would.
"""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages

from core import oidc
from core.choices import Role
from core.models import AuditEntry, ExternalIdentity, User
from district.tests.factories import RoleAssignmentFactory, UserFactory

from .oidc_provider import CLIENT_ID, Provider, new_private_key_pem

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def provider(tmp_path_factory):
    running = Provider(tmp_path_factory.mktemp("oidc-provider"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture
def oidc_settings(settings, provider):
    provider.reset_people()
    settings.OPS_OIDC_ISSUER = provider.issuer
    settings.OPS_OIDC_PROVIDER = "google"
    settings.OPS_OIDC_TENANTS = []
    settings.OPS_OIDC_BUTTON_LABEL = ""
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
    return settings


def sign_in(client, provider, username, *, next_url="/"):
    """Runs the flow as ``username``; returns our callback's response."""
    start = client.get("/oidc/authenticate/", {"next": next_url})
    assert start.status_code == 302, start.content
    assert start["Location"].startswith(provider.issuer + "/authorize/")
    back = urlsplit(provider.authorize(start["Location"], username))
    assert (back.scheme, back.netloc, back.path) == ("http", "testserver", "/oidc/callback/")
    return client.get(f"{back.path}?{back.query}")


def signed_in_user(client):
    pk = client.session.get(SESSION_KEY)
    return User.objects.get(pk=pk) if pk else None


def refusal(client) -> str:
    """The message the sign-in page shows after a refused sign-in."""
    page = client.get("/login/")
    return " ".join(str(m) for m in get_messages(page.wsgi_request)) or page.content.decode()


def refused(client, response) -> str:
    assert response.status_code == 302 and response["Location"] == "/login/", response
    assert signed_in_user(client) is None
    return refusal(client)


@pytest.fixture
def forge(monkeypatch):
    """``forge(change)``: the token endpoint's ID token is replaced by ``change(token)`` on its way to us."""

    def _forge(change):
        real = oidc.OidcBackend.get_token

        def get_token(self, payload):
            answer = real(self, payload)
            return {**answer, "id_token": change(answer["id_token"])}

        monkeypatch.setattr(oidc.OidcBackend, "get_token", get_token)

    return _forge


def provider_kid(provider) -> str:
    return requests.get(f"{provider.issuer}/.well-known/jwks.json", timeout=5).json()["keys"][0]["kid"]


def resign(provider, token, *, key_pem=None, **changes):
    """The token's claims with ``changes``, signed with the provider's key (or ``key_pem``)."""
    claims = {**jwt.decode(token, options={"verify_signature": False}), **changes}
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(
        claims, key_pem or provider.private_key_pem, algorithm="RS256", headers={"kid": provider_kid(provider)}
    )


# --- the sign-in page --------------------------------------------------------


def test_without_an_issuer_the_page_shows_only_the_password_form(client, settings):
    settings.OPS_OIDC_ISSUER = ""
    page = client.get("/login/").content.decode()
    assert 'name="password"' in page
    assert "/oidc/authenticate/" not in page
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/", {"code": "x", "state": "y"}).status_code == 404


def test_with_an_issuer_the_page_offers_the_provider_and_the_password(client, oidc_settings):
    page = client.get("/login/", {"next": "/core/user/"}).content.decode()
    assert "Sign in with Google" in page
    assert 'href="/oidc/authenticate/?next=/core/user/"' in page
    assert 'name="password"' in page
    oidc_settings.OPS_OIDC_BUTTON_LABEL = "Capitol City staff sign-in"
    assert "Capitol City staff sign-in" in client.get("/login/").content.decode()


# --- linking and signing in ---------------------------------------------------


def test_verified_email_links_the_account_and_signs_in(client, oidc_settings, provider, world):
    user = UserFactory(username="ada", email="Ada.Admin@district.example")
    response = sign_in(client, provider, "ada", next_url="/core/user/")
    assert response.status_code == 302 and response["Location"] == "/core/user/"
    assert signed_in_user(client) == user
    identity = ExternalIdentity.objects.get(user=user)
    assert identity.issuer == provider.issuer
    assert identity.email == "ada.admin@district.example"
    assert identity.last_used_at is not None
    entry = AuditEntry.objects.get(content_type__model="externalidentity", object_id=str(identity.pk))
    assert entry.change == "create" and entry.actor == user
    assert entry.changes["subject"] == [None, identity.subject]
    # Roles still come from the assignments here: none were given, none appear.
    assert user.role_assignments.count() == 0


def test_the_discovery_document_and_key_set_are_fetched_once_and_cached(client, oidc_settings, provider, monkeypatch):
    UserFactory(username="ada", email="ada.admin@district.example")
    fetched = []
    real_get = oidc.requests.get

    def counting_get(url, **kwargs):
        fetched.append(url)
        return real_get(url, **kwargs)

    monkeypatch.setattr(oidc.requests, "get", counting_get)
    sign_in(client, provider, "ada")
    assert fetched == [
        f"{provider.issuer}/.well-known/openid-configuration",
        f"{provider.issuer}/.well-known/jwks.json",
    ]
    client.logout()
    sign_in(client, provider, "ada")
    assert len(fetched) == 2
    assert signed_in_user(client).username == "ada"


def test_an_unverified_email_is_refused(client, oidc_settings, provider):
    UserFactory(username="una", email="una.verified@district.example")
    message = refused(client, sign_in(client, provider, "unverified"))
    assert "has not verified the email address una.verified@district.example" in message
    assert not ExternalIdentity.objects.exists()


def test_an_unknown_person_is_refused_and_no_account_is_created(client, oidc_settings, provider):
    UserFactory(username="someone", email="someone@district.example")
    before = User.objects.count()
    message = refused(client, sign_in(client, provider, "newcomer"))
    assert "No staff account here uses new.comer@district.example" in message
    assert User.objects.count() == before
    assert not ExternalIdentity.objects.exists()


def test_a_token_without_an_email_is_refused(client, oidc_settings, provider):
    message = refused(client, sign_in(client, provider, "noemail"))
    assert "shares no email address" in message


def test_an_inactive_account_is_not_linked(client, oidc_settings, provider):
    UserFactory(username="ada", email="ada.admin@district.example", is_active=False)
    assert "No staff account here uses" in refused(client, sign_in(client, provider, "ada"))
    assert not ExternalIdentity.objects.exists()


def test_two_accounts_with_the_email_are_refused(client, oidc_settings, provider):
    UserFactory(username="ada", email="ada.admin@district.example")
    UserFactory(username="ada2", email="ADA.ADMIN@district.example")
    assert "More than one account here uses" in refused(client, sign_in(client, provider, "ada"))
    assert not ExternalIdentity.objects.exists()


def test_after_linking_a_changed_email_still_signs_in_by_subject(client, oidc_settings, provider):
    mover = UserFactory(username="mover", email="mo.ver@district.example")
    sign_in(client, provider, "mover")
    assert signed_in_user(client) == mover
    client.logout()
    # The person's address changes at the provider, and another account here holds the new one.
    provider.set_claims("mover", email="maureen.over@district.example")
    UserFactory(username="maureen", email="maureen.over@district.example")
    sign_in(client, provider, "mover")
    assert signed_in_user(client) == mover
    assert ExternalIdentity.objects.count() == 1


def test_a_linked_account_made_inactive_is_refused(client, oidc_settings, provider):
    ada = UserFactory(username="ada", email="ada.admin@district.example")
    sign_in(client, provider, "ada")
    client.logout()
    User.objects.filter(pk=ada.pk).update(is_active=False)
    assert "This account is not active" in refused(client, sign_in(client, provider, "ada"))


def test_an_account_already_linked_at_the_provider_is_not_linked_again(client, oidc_settings, provider):
    ada = UserFactory(username="ada", email="ada.admin@district.example")
    ExternalIdentity.objects.create(user=ada, issuer=provider.issuer, subject="an-earlier-account")
    assert "already linked to another sign-in" in refused(client, sign_in(client, provider, "ada"))
    assert ExternalIdentity.objects.count() == 1


def test_integration_accounts_never_sign_in(client, oidc_settings, provider, world):
    sis = world.sis_integration
    User.objects.filter(pk=sis.pk).update(email="sis@district.example")
    assert "Integration accounts work only through API tokens" in refused(client, sign_in(client, provider, "sis"))
    assert not ExternalIdentity.objects.exists()
    # Nor does an account linked before it became one.
    User.objects.filter(pk=sis.pk).update(is_integration=False)
    sign_in(client, provider, "sis")
    assert signed_in_user(client) == sis
    client.logout()
    User.objects.filter(pk=sis.pk).update(is_integration=True)
    assert "Integration accounts" in refused(client, sign_in(client, provider, "sis"))


def test_a_password_sign_in_never_reaches_the_provider(client, oidc_settings, provider, monkeypatch):
    UserFactory(username="clerk", email="clerk@district.example")
    monkeypatch.setattr(oidc.requests, "get", lambda *a, **k: pytest.fail("password sign-in called the provider"))
    response = client.post("/login/?code=abc&state=def", {"username": "clerk", "password": "pass-for-tests-1"})
    assert response.status_code == 302
    assert signed_in_user(client).username == "clerk"


# --- token checks -------------------------------------------------------------


def test_a_token_signed_by_another_key_is_refused(client, oidc_settings, provider, forge):
    UserFactory(username="ada", email="ada.admin@district.example")
    other_key = new_private_key_pem()
    forge(lambda token: resign(provider, token, key_pem=other_key))
    assert "could not be trusted" in refused(client, sign_in(client, provider, "ada"))
    assert not ExternalIdentity.objects.exists()


def test_a_tampered_token_is_refused(client, oidc_settings, provider, forge):
    UserFactory(username="ada", email="ada.admin@district.example")

    def tamper(token):
        header, _payload, signature = token.split(".")
        claims = {**jwt.decode(token, options={"verify_signature": False}), "email": "someone.else@district.example"}
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{header}.{payload}.{signature}"

    forge(tamper)
    assert "could not be trusted" in refused(client, sign_in(client, provider, "ada"))


@pytest.mark.parametrize("algorithm", ["HS256", "none"])
def test_a_token_not_signed_with_rs256_is_refused(client, oidc_settings, provider, forge, algorithm):
    UserFactory(username="ada", email="ada.admin@district.example")

    def resign_weakly(token):
        claims = jwt.decode(token, options={"verify_signature": False})
        key = provider.client_secret if algorithm == "HS256" else None
        return jwt.encode(claims, key, algorithm=algorithm)

    forge(resign_weakly)
    assert "could not be trusted" in refused(client, sign_in(client, provider, "ada"))


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "http://127.0.0.1:1/o"},
        {"aud": "another-client"},
        {"aud": [CLIENT_ID, "another-client"]},
        {"azp": "another-client"},
        {"nonce": "a-nonce-from-another-sign-in"},
        {"nonce": None},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        {"iat": None},
    ],
    ids=["issuer", "audience", "second-audience", "authorized-party", "nonce", "no-nonce", "expired", "no-iat"],
)
def test_a_correctly_signed_token_with_wrong_claims_is_refused(client, oidc_settings, provider, forge, changes):
    UserFactory(username="ada", email="ada.admin@district.example")
    forge(lambda token: resign(provider, token, **changes))
    assert "could not be trusted" in refused(client, sign_in(client, provider, "ada"))
    assert not ExternalIdentity.objects.exists()


def test_the_resigning_used_by_these_tests_is_accepted_when_nothing_changes(client, oidc_settings, provider, forge):
    ada = UserFactory(username="ada", email="ada.admin@district.example")
    forge(lambda token: resign(provider, token))
    sign_in(client, provider, "ada")
    assert signed_in_user(client) == ada


def test_a_provider_whose_discovery_names_another_issuer_is_not_used(client, oidc_settings, provider):
    oidc_settings.OPS_OIDC_ISSUER = provider.issuer.replace("127.0.0.1", "localhost")
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "cannot be reached" in refusal(client)


def test_a_callback_with_an_unknown_state_is_refused(client, oidc_settings, provider):
    client.get("/oidc/authenticate/")
    assert "did not complete" in refused(client, client.get("/oidc/callback/", {"code": "abc", "state": "forged"}))


def test_the_provider_answering_an_error_is_refused(client, oidc_settings, provider):
    assert "did not complete" in refused(client, client.get("/oidc/callback/", {"error": "access_denied"}))


# --- Microsoft Entra ID: tenants ------------------------------------------------


@pytest.fixture
def entra(oidc_settings):
    oidc_settings.OPS_OIDC_PROVIDER = "entra"
    oidc_settings.OPS_OIDC_TENANTS = ["tenant-district"]
    return oidc_settings


def test_entra_links_a_member_of_an_allowed_tenant(client, entra, provider):
    erin = UserFactory(username="erin", email="erin.entra@district.example")
    page = client.get("/login/").content.decode()
    assert "Sign in with Microsoft" in page
    sign_in(client, provider, "entra_member")
    assert signed_in_user(client) == erin
    assert ExternalIdentity.objects.get().email == "erin.entra@district.example"


def test_entra_refuses_another_tenant_even_with_a_verified_email(client, entra, provider):
    UserFactory(username="olly", email="olly.out@district.example")
    assert "directory is not one this portal accepts" in refused(client, sign_in(client, provider, "entra_outsider"))
    assert not ExternalIdentity.objects.exists()


def test_entra_refuses_a_linked_person_whose_tenant_is_no_longer_allowed(client, entra, provider):
    UserFactory(username="erin", email="erin.entra@district.example")
    sign_in(client, provider, "entra_member")
    client.logout()
    entra.OPS_OIDC_TENANTS = ["tenant-other"]
    assert "directory is not one this portal accepts" in refused(client, sign_in(client, provider, "entra_member"))


def test_entra_multi_tenant_issuer_template_is_filled_with_the_token_tenant(settings):
    template = "https://login.microsoftonline.com/{tenantid}/v2.0"
    assert oidc.expected_issuer(template, {"tid": "9188040d"}) == "https://login.microsoftonline.com/9188040d/v2.0"
    assert oidc.expected_issuer("https://accounts.google.com", {"tid": "x"}) == "https://accounts.google.com"
    with pytest.raises(oidc.SignInRefused):
        oidc.expected_issuer(template, {})
    settings.OPS_OIDC_PROVIDER = "entra"
    assert oidc._issuer_matches("https://login.microsoftonline.com/organizations/v2.0", template)
    settings.OPS_OIDC_PROVIDER = "google"
    assert not oidc._issuer_matches("https://login.microsoftonline.com/organizations/v2.0", template)


# --- administration -------------------------------------------------------------


def test_the_link_shows_on_the_user_page_and_an_administrator_can_unlink_it(client, oidc_settings, provider, world):
    ada = UserFactory(username="ada", email="ada.admin@district.example")
    RoleAssignmentFactory(user=ada, district=world.district)
    sign_in(client, provider, "ada")
    identity = ExternalIdentity.objects.get(user=ada)
    client.force_login(world.district_admin)
    page = client.get(f"/core/user/{ada.pk}/").content.decode()
    assert provider.issuer in page and identity.subject in page
    assert client.post(f"/core/user/{ada.pk}/unlink/", {"identity": "x"}).status_code == 404
    # Another district's administrator does not reach the account.
    client.force_login(world.other_admin)
    assert client.post(f"/core/user/{ada.pk}/unlink/", {"identity": identity.pk}).status_code == 404
    client.force_login(world.district_admin)
    response = client.post(f"/core/user/{ada.pk}/unlink/", {"identity": identity.pk})
    assert response.status_code == 302
    assert not ExternalIdentity.objects.exists()
    assert AuditEntry.objects.filter(
        content_type__model="externalidentity", object_id=str(identity.pk), change="delete"
    ).exists()


def test_a_district_wide_role_signed_in_by_the_provider_still_gives_a_one_time_code(
    client, oidc_settings, provider, world
):
    oidc_settings.OPS_REQUIRE_TOTP = True
    ada = UserFactory(username="ada", email="ada.admin@district.example")
    RoleAssignmentFactory(user=ada, district=world.district, role=Role.DISTRICT_ADMIN)
    response = sign_in(client, provider, "ada", next_url="/core/user/")
    assert response["Location"] == "/core/user/"
    assert signed_in_user(client) == ada
    assert client.get("/core/user/")["Location"] == "/account/two-factor/?next=%2Fcore%2Fuser%2F"
