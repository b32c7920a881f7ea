"""API tokens: hashed, scoped, expiring, revocable, managed in the browser."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import ApiToken, AuditEntry

from .factories import make_token

pytestmark = pytest.mark.django_db


def bearer(key):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return c


def test_key_is_stored_only_as_a_hash(world):
    token, key = make_token(world.sis_integration)
    assert key not in {token.key_hash, token.prefix}
    assert ApiToken.objects.filter(key_hash=ApiToken.hash_key(key)).exists()


def test_read_scope_reads_but_cannot_write(world):
    _, key = make_token(world.sis_integration, scopes=["district:read"])
    c = bearer(key)
    assert c.get("/api/district/schools/").status_code == 200
    response = c.post("/api/district/schools/", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert "district:write" in response.json()["detail"]


def test_scope_for_another_app_is_refused(world):
    _, key = make_token(world.sis_integration, scopes=["sample:read"])
    assert bearer(key).get("/api/district/schools/").status_code == 403


def test_token_is_limited_by_its_accounts_role(world):
    # The integration account is an enrollment integration: facilities records are not its business.
    _, key = make_token(world.sis_integration, scopes=["sample:write"])
    assert bearer(key).get("/api/sample/widgets/").status_code == 403


def test_wrong_expired_and_revoked_keys_are_refused(world):
    token, key = make_token(world.sis_integration)
    assert bearer(key + "x").get("/api/district/schools/").status_code == 401
    assert bearer("nonsense").get("/api/district/schools/").status_code == 401
    token.expires_at = timezone.now() - datetime.timedelta(minutes=1)
    token.save()
    assert bearer(key).get("/api/district/schools/").status_code == 401
    token.expires_at = None
    token.revoked_at = timezone.now()
    token.save()
    response = bearer(key).get("/api/district/schools/")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_last_used_is_recorded(world):
    token, key = make_token(world.sis_integration)
    bearer(key).get("/api/district/schools/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_admin_creates_token_in_browser_and_sees_key_once(world, login):
    c = login(world.district_admin)
    response = c.post(
        "/core/apitoken/add/", {"name": "Bus GPS", "user": world.sis_integration.pk, "scopes": ["district:read"]}
    )
    assert response.status_code == 200
    key = response.context["key"]
    token = ApiToken.objects.get(name="Bus GPS")
    assert token.key_hash == ApiToken.hash_key(key)
    assert AuditEntry.objects.filter(object_id=str(token.pk), change="create").exists()
    detail = c.get(f"/core/apitoken/{token.pk}/").content.decode()
    assert key not in detail and token.key_hash not in detail
    assert bearer(key).get("/api/district/schools/").status_code == 200


def test_token_form_refuses_past_expiry_and_no_scopes(world, login):
    c = login(world.district_admin)
    response = c.post(
        "/core/apitoken/add/",
        {
            "name": "Old",
            "user": world.sis_integration.pk,
            "scopes": ["district:read"],
            "expires_at": "2001-01-01T00:00",
        },
    )
    assert response.status_code == 400 and "expires_at" in response.context["form"].errors
    response = c.post("/core/apitoken/add/", {"name": "None", "user": world.sis_integration.pk})
    assert "scopes" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_admin_revokes_token(world, login):
    token, key = make_token(world.sis_integration)
    c = login(world.district_admin)
    assert c.post(f"/core/apitoken/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert bearer(key).get("/api/district/schools/").status_code == 401


def test_only_administrators_revoke(world, login):
    token, _ = make_token(world.sis_integration)
    assert login(world.coo).post(f"/core/apitoken/{token.pk}/revoke/").status_code == 403
    assert login(world.other_admin).post(f"/core/apitoken/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_integration_account_cannot_sign_in_to_pages(world, client):
    world.sis_integration.set_password("pass-for-tests-1")
    world.sis_integration.save()
    response = client.post("/login/", {"username": "sis_integration", "password": "pass-for-tests-1"})
    assert response.status_code == 200
    assert "integration account" in response.content.decode()
    client.force_login(world.sis_integration)
    assert client.get("/district/school/").status_code == 403
