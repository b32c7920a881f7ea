"""The bulk path: the same rules as full_clean, the same audit as log_bulk, set-based reads, COPY on PostgreSQL."""

import datetime
import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from core import audit
from core import bulk as core_bulk
from core.models import AuditEntry
from core.testing.contracts import count_queries
from enrollment import models as m
from enrollment.roster import bulk, testing
from enrollment.roster.instances import InstanceMaker
from enrollment.roster.oneroster import read_package
from enrollment.roster.plan import ENROLLMENT_FIELDS, STUDENT_FIELDS, Planner
from enrollment.roster.services import roster_import, roster_preview
from enrollment.roster.validation import RowValidator
from enrollment.tests.factories import EnrollmentFactory, StudentFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def full_clean_errors(instance, fields) -> dict:
    others = [f.name for f in type(instance)._meta.fields if f.name not in fields]
    try:
        instance.full_clean(exclude=others, validate_unique=False, validate_constraints=False)
    except Exception as exc:  # noqa: BLE001 - a ValidationError
        return {("__all__" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
    return {}


STUDENT_CASES = [
    {},
    {"state_id": "12345"},
    {"grade_level": "TK", "sex": "male"},
    {"birth_date": "2016-02-30"},
    {"birth_date": "yesterday", "races": "XX7 BL7"},
    {"legal_first_name": "", "legal_last_name": "x" * 81},
    {"latitude": "41.7", "longitude": None},
    {"latitude": "123", "longitude": "-72"},
    {"races": "wh7, bl7", "hispanic": True},
]


@pytest.mark.parametrize("values", STUDENT_CASES)
def test_student_rules_are_full_cleans(world, values):
    def make():
        base = {
            "district": world.district,
            "legal_first_name": "A",
            "legal_last_name": "B",
            "birth_date": "2016-01-01",
            "sex": "F",
            "grade_level": "04",
        }
        return m.Student(**{**base, **values})

    validator = RowValidator(m.Student, STUDENT_FIELDS)
    fast, slow = make(), make()
    assert validator.errors(fast) == full_clean_errors(slow, STUDENT_FIELDS)
    assert validator.errors(make()) == full_clean_errors(make(), STUDENT_FIELDS)  # remembered answers are the same
    if not validator.errors(fast):
        assert audit.snapshot(fast) == audit.snapshot(slow)  # and so are the cleaned values (races, race_ethnicity)


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"exit_date": "2026-08-01", "exit_code": "T1"},
        {"exit_date": "2026-09-01"},
        {"exit_code": "T1"},
        {"entry_date": "2027-07-01"},
        {"grade_level": "14", "entry_code": "Q9"},
    ],
)
def test_enrollment_rules_are_full_cleans(world, values):
    def make():
        base = {
            "school": world.lincoln,
            "school_year": world.year,
            "grade_level": "04",
            "entry_date": "2026-08-27",
            "entry_code": "E1",
        }
        return m.Enrollment(**{**base, **values})

    assert RowValidator(m.Enrollment, ENROLLMENT_FIELDS).errors(make()) == full_clean_errors(make(), ENROLLMENT_FIELDS)


def test_instances_made_fast_equal_keyword_instances(world, sis_integration):
    values = {
        "legal_first_name": "A",
        "legal_last_name": "B",
        "birth_date": D(2016, 1, 1),
        "sex": "F",
        "grade_level": "04",
    }
    fast = InstanceMaker(m.Student).new(values, {"district": world.district, "created_by": sis_integration})
    slow = m.Student(district=world.district, created_by=sis_integration, **values)
    assert audit.snapshot(fast) == audit.snapshot(slow)
    assert fast._state.adding and fast.district is world.district
    saved = StudentFactory(district=world.district)
    clone = InstanceMaker(m.Student).copy(saved)
    clone.legal_first_name = "Changed"
    assert saved.legal_first_name != "Changed" and not clone._state.adding and clone.pk == saved.pk


def test_audit_values_match_the_audit_module(world, sis_integration):
    student = StudentFactory(district=world.district, preferred_name='Al "Tab"\tline\\', latitude=None)
    enrollment = EnrollmentFactory(student=student, school=world.lincoln, school_year=world.year)
    for obj in (student, enrollment):
        spec = bulk.AuditValues(type(obj))
        assert json.loads(spec.changes_json(obj, None)) == audit.diff({}, audit.snapshot(obj))
        before = audit.snapshot(obj)
        obj.grade_level = "05"
        assert json.loads(spec.changes_json(obj, before)) == {"grade_level": ["04", "05"]}
        assert audit.district_of(obj) == world.district.pk


def many_students(n: int) -> bytes:
    parts = testing.files()
    users, roles, demographics = parts["users.csv"][1], parts["roles.csv"][1], parts["demographics.csv"][1]
    for i in range(n):
        users.append(
            {
                "sourcedId": f"x-{i}",
                "givenName": "Kid",
                "familyName": f"K{i}",
                "identifier": f"{5000000000 + i}",
                "userIds": f"{{SIS:X{i}}}",
                "grades": "03",
                "primaryOrgSourcedId": "sch-lin",
            }
        )
        roles.append(
            {
                "sourcedId": f"rx-{i}",
                "userSourcedId": f"x-{i}",
                "roleType": "primary",
                "role": "student",
                "beginDate": "2026-08-27",
                "orgSourcedId": "sch-lin",
            }
        )
        demographics.append({"sourcedId": f"x-{i}", "birthDate": "2018-03-03", "sex": "female", "white": "true"})
    return testing.zip_files(parts)


@pytest.mark.parametrize("existing", [False, True], ids=["new", "re-import"])
def test_reads_are_set_based(world, existing):
    manager = testing.enrollment_manager(world)
    small, large = many_students(3), many_students(30)
    if existing:
        roster_import(actor=manager, batch=read_package(large))
    roster_preview(actor=manager, batch=read_package(small))  # the manager's scope, read once per request
    preview = [
        count_queries(lambda data=data: roster_preview(actor=manager, batch=read_package(data)))
        for data in (small, large)
    ]
    assert preview[0] == preview[1]


def test_a_record_changed_meanwhile_stops_the_import(world, monkeypatch):
    manager = testing.enrollment_manager(world)
    roster_import(actor=manager, batch=read_package(testing.package()))
    parts = testing.files()
    parts["users.csv"][1][0]["middleName"] = "Changed"
    original = Planner.prepare_students

    def meanwhile(self):
        original(self)
        m.Student.objects.update(version=F("version") + 1)  # someone saves the students after they were read

    monkeypatch.setattr(Planner, "prepare_students", meanwhile)
    audits = AuditEntry.objects.count()
    with pytest.raises(Exception, match="changed while the file was being imported"):
        roster_import(actor=manager, batch=read_package(testing.zip_files(parts)))
    assert not m.Student.objects.filter(legal_middle_name="Changed").exists()
    assert AuditEntry.objects.count() == audits


@pytest.mark.postgres
def test_postgresql_writes_with_copy_and_the_audit_log_bulk_would_write(world, monkeypatch):
    assert connection.vendor == "postgresql"

    def no_generic(*args, **kwargs):
        raise AssertionError("the generic path ran on PostgreSQL")

    monkeypatch.setattr(bulk, "import_generic", no_generic)
    copies = []
    send = bulk.CopyPipe.send

    def recording(self, sql, text):
        copies.append(sql.split()[1].strip('"'))
        return send(self, sql, text)

    monkeypatch.setattr(bulk.CopyPipe, "send", recording)
    manager = testing.enrollment_manager(world)
    roster_import(actor=manager, batch=read_package(testing.package()))
    assert set(copies) == {
        "enrollment_student",
        "enrollment_studentexternalid",
        "enrollment_enrollment",
        "core_auditentry",
    }

    for model in (m.Student, m.StudentExternalId, m.Enrollment):
        for obj in model.objects.all():
            entry = AuditEntry.objects.get(content_type__model=model._meta.model_name, object_id=str(obj.pk))
            assert entry.changes == audit.diff({}, audit.snapshot(obj))
            assert (entry.change, entry.actor, entry.object_repr, entry.source) == (
                "create",
                manager,
                str(obj)[:200],
                "import",
            )
            assert entry.district_key == audit.district_of(obj)
            assert obj.created_by == manager and obj.version == 1

    # Changes go through a temporary table with the version checked; the audit holds what changed.
    parts = testing.files()
    parts["users.csv"][1][0]["middleName"] = "Rose"
    parts["roles.csv"][1][0]["endDate"] = "2027-06-11"
    roster_import(actor=manager, batch=read_package(testing.zip_files(parts)))
    ana = m.Student.objects.get(state_id="1234567890")
    spell = m.Enrollment.objects.get(student=ana)
    assert (ana.version, spell.version, spell.exit_date, spell.exit_code) == (2, 2, D(2027, 6, 12), "P1")
    assert AuditEntry.objects.filter(
        change="update", object_id=str(ana.pk), content_type__model="student"
    ).get().changes == {"legal_middle_name": ["Rosa", "Rose"]}


@pytest.mark.postgres
def test_postgresql_rolls_back_rows_sent_before_a_late_problem(world):
    manager = testing.enrollment_manager(world)
    parts = testing.files()
    parts["roles.csv"][1][3]["beginDate"] = "2025-01-01"  # the last role: in no school year
    with pytest.raises(Exception):  # noqa: B017 - RosterRejected
        roster_import(actor=manager, batch=read_package(testing.zip_files(parts)))
    assert not m.Student.objects.exists() and not AuditEntry.objects.exists()
    StudentFactory(district=world.district)  # the connection is still usable


@pytest.mark.postgres
def test_postgresql_new_enrollments_of_enrolled_students_stream_after_the_students(world):
    manager = testing.enrollment_manager(world)
    roster_import(actor=manager, batch=read_package(testing.package()))
    before = AuditEntry.objects.count()
    parts = testing.files()
    parts["roles.csv"][1][:] = [
        {
            "sourcedId": "r-9",
            "userSourcedId": "stu-1",
            "roleType": "secondary",
            "role": "student",
            "beginDate": "2026-09-01",
            "orgSourcedId": "sch-wash",
        }
    ]
    plan = roster_import(actor=manager, batch=read_package(testing.zip_files(parts)))
    assert plan.counts()["enrollments"]["created"] == 1
    ana = m.Student.objects.get(state_id="1234567890")
    assert sorted(ana.enrollments.values_list("school__state_school_id", "is_primary")) == [
        ("6400011", True),
        ("6400012", False),
    ]
    added = ana.enrollments.get(is_primary=False)
    assert list(AuditEntry.objects.order_by("pk").values_list("object_id", "change"))[before:] == [
        (str(added.pk), "create")
    ]


@pytest.mark.postgres
def test_postgresql_ids_are_drawn_as_a_range_or_one_by_one(db):
    with connection.cursor() as cursor:
        ids = list(core_bulk.allocate_ids(cursor, m.Student, 5))
        assert ids == list(range(ids[0], ids[0] + 5))
        cursor.execute("SELECT pg_get_serial_sequence('enrollment_student', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 3")  # as if other writers drew in between
        try:
            spread = sorted(core_bulk.allocate_ids(cursor, m.Student, 4))
        finally:
            cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 1")
        assert spread == [spread[0] + 3 * i for i in range(4)] and spread[0] > ids[-1]
        assert list(core_bulk.allocate_ids(cursor, m.Student, 0)) == []


@pytest.mark.postgres
def test_postgresql_foreign_keys_are_deferred_again_after_an_import(world):
    roster_import(actor=testing.enrollment_manager(world), batch=read_package(testing.package()))
    with pytest.raises(RuntimeError), transaction.atomic(), connection.cursor() as cursor:
        # Deferred: an orphan row is accepted until the constraints are checked.
        cursor.execute(
            "INSERT INTO enrollment_studentexternalid "
            "(created_at, updated_at, version, student_id, district_id, source, external_id) "
            "VALUES (now(), now(), 1, -1, %s, 'sis', 'orphan')",
            [world.district.pk],
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        raise RuntimeError("roll the orphan back")
