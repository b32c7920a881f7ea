"""Audit entries about records of a sensitive class are as protected as the records.

A spell in IDEA, 504 or school meals discloses its class by existing, so its
audit entries (label, values, existence) are hidden from anyone who does not
administer the class, executives and administrators included: in the audit
list, detail, search, export, API and the record's own history. A record
whose sensitive class lives in a field has that field's values masked.
"""

import csv
import datetime
import io
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core import audit, bulk, context, services
from core.choices import Role
from core.models import AuditEntry
from core.tests.sample.models import Widget
from district.choices import DepartmentCode
from district.tests.factories import RoleAssignmentFactory, UserFactory
from enrollment.models import ProgramParticipation
from enrollment.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

IDEA_LABEL = "Students with disabilities (IDEA)"
MEAL_LABEL = "School meal eligibility"
START = datetime.date(2026, 9, 1)


def person(world, username, *roles):
    """A user holding each (role, department code or None) in the world's district."""
    user = UserFactory(username=username)
    for role, department in roles:
        RoleAssignmentFactory(
            user=user, role=role, district=world.district, department=world.dept[department] if department else None
        )
    return user


@pytest.fixture
def spells(world):
    """One student with an IDEA, a meal and an English-learner spell, each written through the service."""
    w = world
    enrollment = DepartmentCode.ENROLLMENT
    w.enrollment_manager = person(w, "enrollment_manager", (Role.DEPT_MANAGER, enrollment))
    w.sped_manager = person(w, "sped_manager", (Role.DEPT_MANAGER, enrollment), (Role.STUDENT_SERVICES, None))
    w.meal_manager = person(w, "meal_manager", (Role.DEPT_MANAGER, enrollment), (Role.MEAL_PROGRAM, None))
    # Readers of the audit log who also administer a class.
    w.sped_admin = person(w, "sped_admin", (Role.DISTRICT_ADMIN, None), (Role.STUDENT_SERVICES, None))
    RoleAssignmentFactory(user=w.nutrition_director, role=Role.EXECUTIVE, district=w.district)
    w.student = StudentFactory(district=w.district, legal_last_name="Abdi", legal_first_name="Alexis")

    def spell(actor, program, **extra):
        return services.record_save(
            actor=actor,
            instance=ProgramParticipation(student=w.student, program=program, start_date=START, **extra),
        )

    w.idea = spell(w.sped_manager, "idea")
    w.meals = spell(w.meal_manager, "meals", meal_status="free", meal_source="direct_cert")
    w.el = spell(w.enrollment_manager, "el")
    entry = AuditEntry.objects.get
    w.idea_entry = entry(content_type__model="programparticipation", object_id=str(w.idea.pk))
    w.meal_entry = entry(content_type__model="programparticipation", object_id=str(w.meals.pk))
    w.el_entry = entry(content_type__model="programparticipation", object_id=str(w.el.pk))
    return w


def listed(client, **query) -> set[int]:
    response = client.get("/core/auditentry/", query)
    assert response.status_code == 200
    return {row["obj"].pk for row in response.context["rows"]}


def exported(client) -> str:
    response = client.get("/core/auditentry/", {"export": "csv"})
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def api_listed(api_client, **query) -> set[int]:
    response = api_client.get("/api/core/audit-entries/", query)
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def test_entries_carry_the_class_of_their_record(spells):
    w = spells
    assert (w.idea_entry.data_class, w.meal_entry.data_class, w.el_entry.data_class) == ("disability", "meals", "")
    assert IDEA_LABEL in w.idea_entry.object_repr  # the label is kept whole, for those who may read it


@pytest.mark.parametrize("reader", ["district_admin", "coo"])
def test_administrators_and_executives_do_not_see_idea_or_meal_entries(spells, login, api, reader):
    w = spells
    user = getattr(w, reader)
    c = login(user)
    assert listed(c) >= {w.el_entry.pk}
    assert not listed(c) & {w.idea_entry.pk, w.meal_entry.pk}
    # Searching the object text finds the student's visible entries only.
    assert listed(c, q="Abdi") == {w.el_entry.pk}
    assert listed(c, q="disabilities") == set()
    assert listed(c, content_type=w.idea_entry.content_type_id) == {w.el_entry.pk}
    assert c.get(f"/core/auditentry/{w.idea_entry.pk}/").status_code == 404
    assert c.get(f"/core/auditentry/{w.meal_entry.pk}/").status_code == 404
    text = exported(c)
    assert "English learner" in text and IDEA_LABEL not in text and MEAL_LABEL not in text
    a = api(user)
    assert not api_listed(a) & {w.idea_entry.pk, w.meal_entry.pk}
    assert api_listed(a, q="Abdi") == {w.el_entry.pk}
    assert a.get(f"/api/core/audit-entries/{w.idea_entry.pk}/").status_code == 404


def test_nutrition_director_sees_meal_entries_not_idea(spells, login, api):
    w = spells
    c = login(w.nutrition_director)
    assert listed(c, q="Abdi") == {w.meal_entry.pk, w.el_entry.pk}
    assert c.get(f"/core/auditentry/{w.meal_entry.pk}/").status_code == 200
    assert c.get(f"/core/auditentry/{w.idea_entry.pk}/").status_code == 404
    text = exported(c)
    assert MEAL_LABEL in text and IDEA_LABEL not in text
    assert api_listed(api(w.nutrition_director), q="Abdi") == {w.meal_entry.pk, w.el_entry.pk}


def test_student_services_sees_idea_entries(spells, login, api):
    w = spells
    c = login(w.sped_admin)
    assert listed(c, q="Abdi") == {w.idea_entry.pk, w.el_entry.pk}
    page = c.get(f"/core/auditentry/{w.idea_entry.pk}/")
    assert page.status_code == 200 and IDEA_LABEL in page.content.decode()
    assert IDEA_LABEL in exported(c)
    body = api(w.sped_admin).get(f"/api/core/audit-entries/{w.idea_entry.pk}/").json()
    assert body["changes"]["program"] == [None, "idea"]


def test_a_records_history_hides_entries_of_a_class_it_once_had(spells, login):
    w = spells
    w.idea.program = "el"  # (last year's spell, so it does not overlap this year's)
    w.idea.start_date, w.idea.end_date = datetime.date(2025, 9, 1), datetime.date(2026, 6, 30)
    services.record_save(actor=w.sped_manager, instance=w.idea, expected_version=w.idea.version)
    change = AuditEntry.objects.get(object_id=str(w.idea.pk), change="update")
    assert change.data_class == "disability"  # the values say the spell was IDEA
    # The enrollment manager may now see and change the (English learner) spell, but not its IDEA past.
    page = login(w.enrollment_manager).get(f"/enrollment/programparticipation/{w.idea.pk}/")
    assert page.status_code == 200
    assert page.context["history"] == []
    page = login(w.sped_admin).get(f"/enrollment/programparticipation/{w.idea.pk}/")
    assert {e.pk for e, _values in page.context["history"]} == {w.idea_entry.pk, change.pk}


def test_sensitive_field_values_are_masked_in_the_entry_detail(world, login):
    services.record_save(
        actor=world.facilities_manager, instance=Widget(school=world.lincoln, name="Oven", meal_status="FREE9999")
    )
    entry = AuditEntry.objects.get(content_type__model="widget")
    assert entry.data_class == ""  # the record's existence discloses nothing: only the field is protected
    page = login(world.district_admin).get(f"/core/auditentry/{entry.pk}/").content.decode()
    assert "FREE9999" not in page and "•••" in page and "Oven" in page
    RoleAssignmentFactory(user=world.coo, role=Role.MEAL_PROGRAM, district=world.district)
    assert "FREE9999" in login(world.coo).get(f"/core/auditentry/{entry.pk}/").content.decode()


def test_bulk_written_entries_carry_the_class(world):
    student = StudentFactory(district=world.district)
    rows = [(student.pk, "idea", "disability", START), (student.pk, "el", "", START)]
    with context.serving(via="import", rid="bulk-1"):
        context.token_used("SIS nightly (abcd1234…)")
        ids = bulk.insert_rows_audited(
            actor=world.district_admin,
            model=ProgramParticipation,
            columns=["student_id", "program", "data_class", "start_date"],
            rows=rows,
            constants={"meal_status": "", "meal_source": "", "end_date": None},
            describe=lambda row: f"{student} · {row[1]}",
            district_id=world.district.pk,
        )
    entries = {
        e.object_id: e
        for e in AuditEntry.objects.filter(content_type__model="programparticipation", request_id="bulk-1")
    }
    assert [entries[str(pk)].data_class for pk in ids] == ["disability", ""]
    assert {e.token for e in entries.values()} == {"SIS nightly (abcd1234…)"}
    assert not AuditEntry.objects.restrict(world.district_admin).filter(object_id=str(ids[0])).exists()
    assert AuditEntry.objects.restrict(world.district_admin).filter(object_id=str(ids[1])).exists()
    # log_bulk (the instance path) files the class the same way.
    spell = ProgramParticipation.objects.get(pk=ids[0])
    audit.log_bulk(actor=None, rows=[(AuditEntry.Change.UPDATE, spell, {"end_date": None}, {"end_date": "x"})])
    assert AuditEntry.objects.latest("id").data_class == "disability"


def test_bulk_rows_of_a_classed_model_without_their_class_are_refused(world):
    student = StudentFactory(district=world.district)
    with pytest.raises(ValueError, match="data_class"):
        bulk.insert_rows_audited(
            actor=None,
            model=ProgramParticipation,
            columns=["student_id", "program", "start_date"],
            rows=[(student.pk, "idea", START)],
            constants={"meal_status": "", "meal_source": "", "end_date": None},
            describe=str,
            district_id=world.district.pk,
        )
    assert not ProgramParticipation.objects.exists() and not AuditEntry.objects.exists()


def test_copy_lines_carry_class_and_token_in_their_columns():
    # The COPY path (PostgreSQL: the roster import and the lottery) writes the columns AUDIT_COLUMNS names.
    with context.serving(via="import", rid="copy-1"):
        context.token_used("Feed (beef0001…)")
        line = bulk.AuditLines(None).line("create", 7, 42, "Abdi, Alexis · IDEA", "{}", 3, "disability")
    values = dict(zip(bulk.AUDIT_COLUMNS, line.split("\t"), strict=True))
    assert (values["token"], values["district_key"], values["data_class"], values["source"]) == (
        "Feed (beef0001…)",
        "3",
        "disability",
        "import",
    )
    assert context.token.get() == ""  # reset when the request ends


def test_migration_fills_the_class_of_existing_entries(spells):
    w = spells
    ct = w.idea_entry.content_type

    def old(object_id, changes):
        return AuditEntry.objects.create(
            actor_name="someone",
            change="update",
            content_type=ct,
            object_id=str(object_id),
            object_repr="old",
            changes=changes,
            district_key=w.district.pk,
        )

    created = old(w.idea.pk, {"program": [None, "idea"], "data_class": [None, "disability"]})
    dated = old(w.idea.pk, {"end_date": [None, "2027-06-01"]})  # class known from the record's other entries
    meal = old(w.meals.pk, {"end_date": [None, "2027-06-01"]})  # class known from the live record
    plain = old(w.el.pk, {"end_date": [None, "2027-06-01"]})
    gone = old(999_999, {"end_date": [None, "2027-06-01"]})  # no record and no stored class: nothing to hide
    assert {e.data_class for e in (created, dated, meal, plain, gone)} == {""}
    executor = MigrationExecutor(connection)
    state = executor.loader.project_state()  # every app's models, as when the migration runs on a live database
    migration = executor.loader.get_migration("core", "0007_fill_audit_data_class")
    forwards = migration.operations[0].code
    with connection.cursor() as cursor:
        editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name, execute=cursor.execute)
        forwards(state.apps, editor)
    classes = dict(AuditEntry.objects.filter(object_repr="old").values_list("pk", "data_class"))
    assert classes == {created.pk: "disability", dated.pk: "disability", meal.pk: "meals", plain.pk: "", gone.pk: ""}


def test_export_of_the_audit_log_is_plain_csv_of_visible_entries(spells, login):
    rows = list(csv.reader(io.StringIO(exported(login(spells.coo)).lstrip("\ufeff"))))
    assert "API token" in rows[0]
    assert all(IDEA_LABEL not in " ".join(row) for row in rows)


def test_the_admin_site_lists_only_entries_its_user_may_read(spells, client):
    w = spells
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    listing = client.get("/admin/core/auditentry/")
    assert listing.status_code == 200
    assert {e.pk for e in listing.context["cl"].result_list} == {w.el_entry.pk}
    assert client.get(f"/admin/core/auditentry/{w.idea_entry.pk}/change/").status_code == 302  # "does not exist"
    page = client.get(f"/admin/core/auditentry/{w.el_entry.pk}/change/").content.decode()
    assert "English learner" in page and "field-object_repr" in page
    assert "field-changes" not in page  # values are read on the audit pages, masked there
