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
