"""Audit and disclosure logs: immutable, outliving the records, written by every door."""

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import connection

from core import services
from core.models import AuditEntry, Disclosure
from district.models import School
from district.tests.factories import SchoolFactory

from .factories import make_audit, make_disclosure

pytestmark = pytest.mark.django_db


def test_log_rows_cannot_be_edited_or_deleted(world):
    entry, disclosure = make_audit(world.district.pk), make_disclosure(world.district.pk)
    for row in (entry, disclosure):
        row.object_repr = "changed"
        with pytest.raises(PermissionDenied):
            row.save()
        with pytest.raises(PermissionDenied):
            row.delete()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionDenied):
        Disclosure.objects.update(what="x")


@pytest.mark.postgres
def test_database_refuses_log_changes_on_postgresql(world):
    from django.db import DatabaseError, transaction

    entry = make_audit(world.district.pk)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET object_repr = 'x' WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])


def test_audit_survives_deleting_the_record(world, login):
    school = SchoolFactory(district=world.district)
    c = login(world.district_admin)
    assert c.post(f"/district/school/{school.pk}/delete/").status_code == 302
    assert not School.objects.filter(pk=school.pk).exists()
    entry = AuditEntry.objects.get(object_id=str(school.pk), change="delete")
    assert entry.changes["name"][0] == school.name
    assert entry.request_id


def test_delete_of_a_record_still_in_use_is_refused(world, login):
    response = login(world.district_admin).post(f"/district/district/{world.district.pk}/delete/")
    assert response.status_code == 400
    assert "schools" in " ".join(response.context["errors"])
    assert School.objects.filter(pk=world.lincoln.pk).exists()
    assert not AuditEntry.objects.exists()


def test_admin_site_changes_are_audited(world, rf):
    request = rf.post("/admin/")
    request.user = world.district_admin
    model_admin = admin.site._registry[School]
    world.washington.name = "Washington STEM Middle School"
    model_admin.save_model(request, world.washington, form=None, change=True)
    entry = AuditEntry.objects.get(object_id=str(world.washington.pk))
    assert entry.changes["name"] == ["Washington Middle School", "Washington STEM Middle School"]


def test_service_writes_are_audited_with_request_id_from_header(world, client):
    client.force_login(world.district_admin)
    data = {
        "district": world.district.pk,
        "name": "Renamed",
        "state_school_id": world.lincoln.state_school_id,
        "school_type": "neighborhood",
        "version": 1,
    }
    response = client.post(f"/district/school/{world.lincoln.pk}/edit/", data, HTTP_X_REQUEST_ID="req-123")
    assert response.status_code == 302
    assert response["X-Request-ID"] == "req-123"
    assert AuditEntry.objects.get(object_id=str(world.lincoln.pk)).request_id == "req-123"


def test_record_save_refuses_scope_escape(world):
    world.lincoln.district = world.other_district
    with pytest.raises(PermissionDenied):
        services.record_save(actor=world.district_admin, instance=world.lincoln)
    world.lincoln.refresh_from_db()
    assert world.lincoln.district == world.district
    assert not AuditEntry.objects.exists()
