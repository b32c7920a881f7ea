"""API tokens act for integration accounts only, and the audit log names the token as well as its account."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from core import context, services
from core.choices import Role
from core.models import ApiToken, AuditEntry
from district.choices import DepartmentCode
from district.tests.factories import RoleAssignmentFactory, UserFactory

from .factories import make_token

pytestmark = pytest.mark.django_db


def bearer(key):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return c


@pytest.fixture
def other_integration(world):
    """An integration account of the other district."""
    user = UserFactory(username="other_feed", is_integration=True)
    RoleAssignmentFactory(
        user=user,
        role=Role.INTEGRATION,
        district=world.other_district,
        department=world.other_dept[DepartmentCode.ENROLLMENT],
    )
    return user


def test_token_form_offers_only_integration_accounts_in_scope(world, login, other_integration):
    unassigned = UserFactory(username="new_feed", is_integration=True)  # no role yet: a token could not act
    form = login(world.district_admin).get("/core/apitoken/add/").context["form"]
    assert set(form.fields["user"].queryset) == {world.sis_integration}
    assert not {world.nutrition_director, world.coo, other_integration, unassigned} & set(form.fields["user"].queryset)


def test_token_form_refuses_a_persons_account_with_a_field_error(world, login):
    response = login(world.district_admin).post(
        "/core/apitoken/add/",
        {"name": "Act as director", "user": world.nutrition_director.pk, "scopes": ["enrollment:read"]},
    )
    assert response.status_code == 400
    assert "user" in response.context["form"].errors
    assert not ApiToken.objects.exists() and not AuditEntry.objects.exists()


def test_the_service_refuses_a_token_for_a_persons_account(world):
    token = ApiToken(user=world.nutrition_director, name="Act as director", scopes=["enrollment:read"])
    token.set_new_key()
    with pytest.raises(ValidationError) as exc:
        services.record_save(actor=world.district_admin, instance=token)
    assert list(exc.value.message_dict) == ["user"]
    assert not ApiToken.objects.exists() and not AuditEntry.objects.exists()


def test_an_account_with_live_tokens_stays_an_integration_account(world, login):
    token, _key = make_token(world.sis_integration)
    c = login(world.district_admin)
    data = {"username": "sis_integration", "preferred_language": "en", "is_active": "on", "version": 1}
    response = c.post(f"/core/user/{world.sis_integration.pk}/edit/", data)
    assert response.status_code == 400 and "is_integration" in response.context["form"].errors
    world.sis_integration.refresh_from_db()
    assert world.sis_integration.is_integration
    # Once its tokens are revoked it may become a person's account.
    token.revoked_at = timezone.now()
    token.save()
    assert c.post(f"/core/user/{world.sis_integration.pk}/edit/", data).status_code == 302
    world.sis_integration.refresh_from_db()
    assert not world.sis_integration.is_integration


def test_authentication_refuses_a_token_whose_account_is_not_an_integration(world):
    _token, key = make_token(world.sis_integration, scopes=["enrollment:read"])
    assert bearer(key).get("/api/enrollment/students/").status_code == 200
    type(world.sis_integration).objects.filter(pk=world.sis_integration.pk).update(is_integration=False)
    response = bearer(key).get("/api/enrollment/students/")
    assert response.status_code == 401 and "integration" in response.json()["detail"]


def test_a_change_made_with_a_token_names_the_token(world, login, api):
    token, key = make_token(world.sis_integration, name="SIS nightly", scopes=["enrollment:write"])
    response = bearer(key).post("/api/enrollment/households/", {"district": world.district.pk, "name": "Abdi"})
    assert response.status_code == 201, response.content
    entry = AuditEntry.objects.get(content_type__model="household", object_id=str(response.json()["id"]))
    assert (entry.actor, entry.token, entry.source) == (world.sis_integration, f"SIS nightly ({token.prefix}…)", "api")
    assert context.token.get() == ""  # nothing left over for the next request on this thread
    # A change made by a person afterwards names no token.
    manager = UserFactory(username="enrollment_manager")
    RoleAssignmentFactory(
        user=manager, role=Role.DEPT_MANAGER, district=world.district, department=world.dept[DepartmentCode.ENROLLMENT]
    )
    other = api(manager).post("/api/enrollment/households/", {"district": world.district.pk, "name": "B"})
    assert AuditEntry.objects.get(object_id=str(other.json()["id"]), content_type__model="household").token == ""
    # The audit pages and API show the token.
    c = login(world.district_admin)
    assert f"SIS nightly ({token.prefix}…)" in c.get("/core/auditentry/").content.decode()
    assert f"SIS nightly ({token.prefix}…)" in c.get(f"/core/auditentry/{entry.pk}/").content.decode()
    body = api(world.district_admin).get(f"/api/core/audit-entries/{entry.pk}/").json()
    assert body["token"] == f"SIS nightly ({token.prefix}…)"
