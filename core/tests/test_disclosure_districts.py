"""Disclosure rows are filed under the district of the records disclosed, and read by that district's officials."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Disclosure
from enrollment.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def students(world):
    return [StudentFactory(district=world.district) for _ in range(2)] + [StudentFactory(district=world.other_district)]


def export(client, fmt="csv"):
    response = client.get("/enrollment/student/", {"export": fmt})
    assert response.status_code == 200
    if fmt == "csv":
        b"".join(response.streaming_content)
    return response


def seen_in_pages(client) -> set[int]:
    response = client.get("/core/disclosure/")
    assert response.status_code == 200
    return {row["obj"].pk for row in response.context["rows"]}


def seen_in_api(api_client) -> set[int]:
    response = api_client.get("/api/core/disclosures/")
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def assert_read_by_its_district_only(world, login, api, disclosure):
    for reader in (world.district_admin, world.coo):
        assert disclosure.pk in seen_in_pages(login(reader))
        assert disclosure.pk in seen_in_api(api(reader))
    assert disclosure.pk not in seen_in_pages(login(world.other_admin))
    assert disclosure.pk not in seen_in_api(api(world.other_admin))


def test_a_page_export_is_filed_under_its_district(world, login, api, students):
    export(login(world.coo), "xlsx")
    disclosure = Disclosure.objects.get()
    assert (disclosure.district_key, disclosure.student_count, disclosure.channel) == (world.district.pk, 2, "export")
    assert_read_by_its_district_only(world, login, api, disclosure)


def test_an_api_list_and_read_are_filed_under_their_district(world, login, api, students):
    c = api(world.coo)
    assert c.get("/api/enrollment/students/").status_code == 200
    listing = Disclosure.objects.get()
    assert (listing.district_key, listing.student_count, listing.channel) == (world.district.pk, 2, "api")
    assert c.get(f"/api/enrollment/students/{students[0].pk}/").status_code == 200
    read = Disclosure.objects.exclude(pk=listing.pk).get()
    assert (read.district_key, read.student_count) == (world.district.pk, 1)
    assert_read_by_its_district_only(world, login, api, listing)


def test_an_export_spanning_districts_writes_one_row_per_district(world, login, api, students):
    export(login(world.state_analyst))
    rows = dict(Disclosure.objects.values_list("district_key", "student_count"))
    assert rows == {world.district.pk: 2, world.other_district.pk: 1}
    ours = Disclosure.objects.get(district_key=world.district.pk)
    theirs = Disclosure.objects.get(district_key=world.other_district.pk)
    assert seen_in_pages(login(world.district_admin)) == {ours.pk}
    assert seen_in_pages(login(world.other_admin)) == {theirs.pk}
    assert seen_in_api(api(world.coo)) == {ours.pk}


def test_an_api_page_spanning_districts_writes_one_row_per_district(world, api, students):
    assert api(world.state_analyst).get("/api/enrollment/students/", {"page_size": 2}).status_code == 200
    # (Only the records on the page are disclosed: the first two by id.)
    page = sorted(students, key=lambda s: s.pk)[:2]
    expected: dict[int, int] = {}
    for student in page:
        expected[student.district_id] = expected.get(student.district_id, 0) + 1
    assert dict(Disclosure.objects.values_list("district_key", "student_count")) == expected


def test_districts_are_counted_in_one_grouped_query(world, login, students):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            export(login(world.state_analyst))
        sql = [q["sql"] for q in ctx.captured_queries]
        return len(sql), sum("GROUP BY" in q for q in sql), sum("core_disclosure" in q for q in sql)

    assert queries()[1:] == (1, 2)
    few = queries()[0]
    StudentFactory.create_batch(20, district=world.district)
    StudentFactory.create_batch(20, district=world.other_district)
    assert queries() == (few, 1, 2)


def test_a_roster_package_spanning_districts_writes_one_row_per_district(world):
    from enrollment.roster.services import roster_export
    from enrollment.tests.factories import EnrollmentFactory

    for school, year, n in ((world.lincoln, world.year, 2), (world.other_school, world.other_year, 1)):
        for _ in range(n):
            EnrollmentFactory(school=school, school_year=year)
    _data, count = roster_export(actor=world.state_analyst, end_year=2027)
    assert count == 3
    rows = dict(Disclosure.objects.values_list("district_key", "student_count"))
    assert rows == {world.district.pk: 2, world.other_district.pk: 1}
    assert set(Disclosure.objects.values_list("channel", flat=True)) == {"download"}
