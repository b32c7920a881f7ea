"""The student record's own rules, which every door (pages, API, imports) goes through."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from . import factories as f

pytestmark = pytest.mark.django_db


def errors_of(student) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        student.full_clean()
    return caught.value.message_dict


def test_a_valid_student_gets_its_federal_category_derived():
    s = f.StudentFactory.build(district=f.DistrictFactory(), races="wh7, bl7 WH7", hispanic=False)
    s.full_clean()
    assert s.races == "BL7 WH7"
    assert s.race_ethnicity == "MU7"
    s.hispanic = True
    s.full_clean()
    assert s.race_ethnicity == "HI7"


def test_unknown_race_codes_are_named():
    s = f.StudentFactory.build(district=f.DistrictFactory(), races="BL7 XX9 QQ")
    assert errors_of(s) == {"races": ["Unknown race codes: XX9, QQ."]}


def test_a_birth_date_in_the_future_is_refused_and_today_is_not():
    district = f.DistrictFactory()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert errors_of(f.StudentFactory.build(district=district, birth_date=tomorrow)) == {
        "birth_date": ["The birth date is in the future."]
    }
    f.StudentFactory.build(district=district, birth_date=timezone.localdate()).full_clean()


def test_latitude_needs_longitude():
    s = f.StudentFactory.build(district=f.DistrictFactory(), latitude="41.76", longitude=None)
    assert "longitude" in errors_of(s)


def test_student_changes_are_filed_under_the_students_district(world):
    from core import audit
    from core.models import AuditEntry
    from core.services import record_save
    from enrollment.roster import testing

    manager = testing.enrollment_manager(world)
    student = f.StudentFactory.build(district=world.district)
    record_save(actor=manager, instance=student)
    external = record_save(
        actor=manager, instance=f.StudentExternalIdFactory.build(student=student, external_id="SIS-1")
    )
    entries = AuditEntry.objects.filter(object_id__in=[str(student.pk), str(external.pk)])
    assert sorted(entries.values_list("content_type__model", "district_key")) == [
        ("student", world.district.pk),
        ("studentexternalid", world.district.pk),
    ]
    assert set(AuditEntry.objects.restrict(world.district_admin).filter(pk__in=entries)) == set(entries)
    assert not AuditEntry.objects.restrict(world.other_admin).filter(pk__in=entries).exists()
    # A record reached through a to-many relation has no one district.
    assert not audit.has_row_district(type(world.district_admin))


def test_the_district_of_a_record_follows_its_access_path(world):
    from core import audit
    from district.models import District, School
    from enrollment.models import Enrollment, StudentExternalId

    student = f.StudentFactory.build(district=world.district)
    assert audit.district_of(student) == world.district.pk
    assert audit.district_of(StudentExternalId(student=student)) == world.district.pk  # through the student
    assert audit.district_of(Enrollment(school=world.washington)) == world.district.pk  # through the school
    assert audit.district_of(world.other_district) == world.other_district.pk  # a district is its own
    assert audit.district_of(School(name="No district yet")) is None  # an empty relation on the way
    assert audit.district_of(StudentExternalId()) is None
    assert [audit.has_row_district(model) for model in (District, School, Enrollment)] == [True, True, True]
