"""The second factor: a time-based one-time code for district-wide roles (OPS_REQUIRE_TOTP)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import twofactor
from core.models import AuditEntry, User

from .factories import make_token

pytestmark = pytest.mark.django_db

PASSWORD = "pass-for-tests-1"  # district.tests.factories.UserFactory's


def totp_code(secret: str, *, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 30 s, six digits) from the base32 secret a person would type into an app."""
    key = base64.b32decode(secret.replace(" ", ""))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def wrong_code(secret: str) -> str:
    right = {totp_code(secret, at=time.time() + step * 30) for step in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


@pytest.fixture
def required(settings):
    settings.OPS_REQUIRE_TOTP = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # throttling has a test of its own
    return settings


def password_sign_in(client, user, next_url="/"):
    response = client.post(f"/login/?next={next_url}", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and client.session.get(SESSION_KEY) == str(user.pk)
    return response


def secret_on(page) -> str:
    return re.search(r'<code class="totp-secret">([A-Z2-7 ]+)</code>', page.content.decode()).group(1)


def enrol(client, next_url="/") -> str:
    page = client.get("/account/two-factor/enrol/", {"next": next_url})
    assert page.status_code == 200
    secret = secret_on(page)
    response = client.post("/account/two-factor/enrol/", {"code": totp_code(secret), "next": next_url})
    assert response.status_code == 302 and response["Location"] == next_url
    return secret


# --- who needs it ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "needs"),
    [
        ("district_admin", True),
        ("coo", True),
        ("state_analyst", True),
        ("transport_manager", False),
        ("transport_staff_lincoln", False),
        ("principal_lincoln", False),
        ("nutrition_director", False),
        ("nurse_lincoln", False),
        ("stranger", False),
        ("sis_integration", False),
    ],
)
def test_required_for_district_wide_roles_only_when_the_setting_is_on(world, settings, persona, needs):
    user = getattr(world, persona)
    settings.OPS_REQUIRE_TOTP = True
    assert twofactor.required_for(user) is needs
    settings.OPS_REQUIRE_TOTP = False
    assert twofactor.required_for(User.objects.get(pk=user.pk)) is False


def test_required_for_a_superuser(world, settings):
    settings.OPS_REQUIRE_TOTP = True
    assert twofactor.required_for(User.objects.create_superuser("root", "root@example.org", PASSWORD))


def test_a_district_wide_role_without_the_setting_goes_straight_in(client, world, settings):
    settings.OPS_REQUIRE_TOTP = False
    password_sign_in(client, world.district_admin)
    assert client.get("/").status_code == 200


def test_other_roles_go_straight_in_with_the_setting_on(client, world, required):
    password_sign_in(client, world.transport_manager)
    assert client.get("/").status_code == 200
    assert client.get("/account/two-factor/enrol/")["Location"] == "/"
    assert not TOTPDevice.objects.exists()


# --- enrolment and verification -------------------------------------------------


def test_enrol_shows_the_secret_and_the_address_then_a_right_code_confirms(client, world, required):
    admin = world.district_admin
    password_sign_in(client, admin, next_url="/core/user/")
    # Every page sends the administrator to give a code, which sends them to enrol first.
    response = client.get("/core/user/")
    assert response["Location"] == "/account/two-factor/?next=%2Fcore%2Fuser%2F"
    response = client.get(response["Location"])
    assert response["Location"] == "/account/two-factor/enrol/?next=%2Fcore%2Fuser%2F"
    page = client.get(response["Location"])
    html = page.content.decode()
    secret = secret_on(page)
    device = TOTPDevice.objects.get(user=admin)
    assert not device.confirmed
    assert base64.b32encode(device.bin_key).decode() == secret.replace(" ", "")
    assert f"otpauth://totp/District%20Ops%20Portal%3A{admin.username}?secret={secret.replace(' ', '')}" in html
    assert "<svg" in html and 'role="img"' in html
    assert '<label for="id_code">' in html

    wrong = client.post("/account/two-factor/enrol/", {"code": wrong_code(secret), "next": "/core/user/"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/core/user/").status_code == 302

    right = client.post("/account/two-factor/enrol/", {"code": totp_code(secret), "next": "/core/user/"})
    assert right.status_code == 302 and right["Location"] == "/core/user/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/core/user/").status_code == 200
    entry = AuditEntry.objects.get(content_type__model="totpdevice", object_id=str(device.pk))
    assert entry.actor == admin and entry.change == "create"
    assert device.key not in str(entry.changes) and secret.replace(" ", "") not in str(entry.changes)


def test_next_sign_in_asks_for_a_code_and_refuses_a_wrong_one(client, world, required):
    coo = world.coo
    password_sign_in(client, coo)
    secret = enrol(client)
    client.post("/logout/")

    password_sign_in(client, coo, next_url="/core/auditentry/")
    response = client.get("/core/auditentry/")
    assert response["Location"] == "/account/two-factor/?next=%2Fcore%2Fauditentry%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200 and '<label for="id_code">' in page.content.decode()
    assert "totp-secret" not in page.content.decode()  # the secret is shown only while enrolling
    assert client.get("/account/two-factor/enrol/")["Location"].startswith("/account/two-factor/?")

    for bad, message in ((wrong_code(secret), "That code is not right"), ("12ab56", "Enter the 6 digits"), ("", "")):
        refused = client.post("/account/two-factor/", {"code": bad, "next": "/core/auditentry/"})
        assert refused.status_code == 400
        assert message in refused.content.decode()
        assert client.get("/core/auditentry/").status_code == 302

    code = totp_code(secret, at=time.time() + 30)  # the enrolment used the current step's code
    response = client.post("/account/two-factor/", {"code": code, "next": "/core/auditentry/"})
    assert response.status_code == 302 and response["Location"] == "/core/auditentry/"
    assert client.get("/core/auditentry/").status_code == 200
    # A code is good once.
    client.post("/logout/")
    password_sign_in(client, coo)
    assert client.post("/account/two-factor/", {"code": code}).status_code == 400


def test_repeated_wrong_codes_are_throttled(client, world, required):
    required.OTP_TOTP_THROTTLE_FACTOR = 600
    password_sign_in(client, world.state_analyst)
    page = client.get("/account/two-factor/enrol/")
    secret = secret_on(page)
    client.post("/account/two-factor/enrol/", {"code": wrong_code(secret)})
    response = client.post("/account/two-factor/enrol/", {"code": totp_code(secret)})
    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()
    assert not TOTPDevice.objects.get(user=world.state_analyst).confirmed


def test_a_next_address_elsewhere_is_not_followed(client, world, required):
    password_sign_in(client, world.district_admin)
    page = client.get("/account/two-factor/enrol/", {"next": "https://elsewhere.example/"})
    response = client.post(
        "/account/two-factor/enrol/", {"code": totp_code(secret_on(page)), "next": "https://elsewhere.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


# --- what the unverified session reaches -------------------------------------------


def test_until_verified_pages_redirect_and_session_api_calls_are_refused(client, world, required):
    password_sign_in(client, world.district_admin)
    for path in ("/", "/core/user/", "/district/school/", "/password/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/account/two-factor/?next="), path
    response = client.get("/api/district/schools/")
    assert response.status_code == 403
    assert "one-time code" in response.json()["detail"]
    # Signing out and changing language still work.
    assert client.post("/i18n/setlang/", {"language": "es", "next": "/"}).status_code == 302
    assert client.post("/logout/").status_code == 302
    assert SESSION_KEY not in client.session


def test_api_bearer_tokens_are_unaffected(client, world, required):
    _, key = make_token(world.sis_integration, scopes=["district:read"])
    assert client.get("/api/district/schools/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    # Even from a browser whose session has not given its code yet: the token speaks.
    password_sign_in(client, world.district_admin)
    assert client.get("/api/district/schools/").status_code == 403
    assert client.get("/api/district/schools/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert client.get("/api/district/schools/", HTTP_AUTHORIZATION="Bearer wrong.key").status_code == 401


# --- administration ---------------------------------------------------------------


def test_an_administrator_resets_a_lost_app(client, world, settings):
    settings.OPS_REQUIRE_TOTP = False
    coo = world.coo
    device = TOTPDevice.objects.create(user=coo, name="Authenticator app", confirmed=True)
    client.force_login(world.district_admin)
    page = client.get(f"/core/user/{coo.pk}/").content.decode()
    assert "Authenticator app: set up" in page and "Reset the authenticator app" in page
    client.force_login(world.other_admin)
    assert client.post(f"/core/user/{coo.pk}/reset_second_factor/").status_code == 404
    client.force_login(world.transport_manager)
    assert client.post(f"/core/user/{coo.pk}/reset_second_factor/").status_code == 403
    assert TOTPDevice.objects.filter(user=coo).exists()
    client.force_login(world.district_admin)
    assert client.post(f"/core/user/{coo.pk}/reset_second_factor/").status_code == 302
    assert not TOTPDevice.objects.filter(user=coo).exists()
    entry = AuditEntry.objects.get(content_type__model="totpdevice", object_id=str(device.pk))
    assert entry.change == "delete" and entry.actor == world.district_admin
