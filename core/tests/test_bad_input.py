"""Bad input answers 400 or 404 with a reason, never a server error: ids in paths, id filters,
oversized CSV cells, deeply nested JSON."""

import io

import pytest

from core.models import AuditEntry
from core.spreadsheets import MAX_CELL
from core.tests.sample.models import Widget

from .factories import WidgetFactory

pytestmark = pytest.mark.django_db
HUGE = "99999999999999999999"  # beyond 64 bits


def upload(client, url, data: bytes, name="widgets.csv"):
    f = io.BytesIO(data)
    f.name = name
    return client.post(url, {"file": f})


# -- ids in API paths ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["abc", "-1", "%C3%A9", HUGE, "1e3", "%00"])
def test_api_detail_with_a_non_id_is_a_404_that_says_why(world, api, bad):
    widget = WidgetFactory(school=world.lincoln)
    c = api(world.facilities_manager)
    assert c.get(f"/api/sample/widgets/{widget.pk}/").status_code == 200
    for method in ("get", "patch", "delete"):
        response = getattr(c, method)(f"/api/sample/widgets/{bad}/", {}, format="json")
        assert response.status_code == 404, (method, response.content)
        assert "whole numbers" in response.json()["detail"]
    assert Widget.objects.filter(pk=widget.pk).exists()


def test_read_only_api_detail_with_a_non_id_is_a_404(world, api):
    response = api(world.district_admin).get("/api/core/audit-entries/abc/")
    assert response.status_code == 404 and "whole numbers" in response.json()["detail"]


def test_page_urls_take_only_ids(world, login):
    c = login(world.facilities_manager)
    for path in (
        "/sample/widget/abc/",
        f"/sample/widget/{HUGE}/",
        f"/sample/widget/{HUGE}/edit/",
        "/sample/widget/-1/",
    ):
        assert c.get(path).status_code == 404, path


def test_page_and_sort_parameters_take_anything(world, login):
    WidgetFactory(school=world.lincoln)
    c = login(world.facilities_manager)
    for params in ({"page": "abc"}, {"page": HUGE}, {"page": "-1"}, {"sort": ""}, {"sort": "-"}, {"sort": "\x00"}):
        response = c.get("/sample/widget/", params)
        assert response.status_code == 200 and len(response.context["rows"]) == 1, params


# -- id filters ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [HUGE, f"-{HUGE}", "1.5", "abc", "1e400"])
def test_id_filters_beyond_64_bits_are_invalid_filters(world, api, login, value):
    WidgetFactory(school=world.lincoln)
    api_response = api(world.facilities_manager).get("/api/sample/widgets/", {"school": value})
    assert api_response.status_code == 400, api_response.content
    assert "school" in api_response.json()
    page = login(world.facilities_manager).get("/sample/widget/", {"school": value})
    assert page.status_code == 200 and page.context["rows"] == []


def test_number_filter_on_a_relation_is_bounded(world, api, login):
    """``?student=`` filters by a related record's id as a number: out of range is a 400, not a database error."""
    from enrollment.tests.factories import EnrollmentFactory

    EnrollmentFactory(school=world.lincoln, school_year=world.year)
    for value in (f"-{HUGE}", HUGE, "2.5"):
        response = api(world.coo).get("/api/enrollment/enrollments/", {"student": value})
        assert response.status_code == 400, (value, response.content)
        assert "student" in response.json()
        page = login(world.coo).get("/enrollment/enrollment/", {"student": value})
        assert page.status_code == 200 and page.context["rows"] == []


def test_a_multiple_choice_id_filter_is_bounded(world, rf):
    import django_filters

    from core.filtersets import RestrictedFilterSet

    class WidgetsAtSchools(RestrictedFilterSet):
        schools = django_filters.ModelMultipleChoiceFilter(
            field_name="school", queryset=Widget._meta.get_field("school").related_model.objects.all()
        )

        class Meta:
            model = Widget
            fields = ["schools"]

    request = rf.get("/")
    request.user = world.facilities_manager
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    data.setlist("schools", [str(world.lincoln.pk), HUGE])
    fs = WidgetsAtSchools(data, queryset=Widget.objects.all(), request=request)
    assert not fs.is_valid() and "schools" in fs.errors
    data.setlist("schools", [str(world.lincoln.pk)])
    assert WidgetsAtSchools(data, queryset=Widget.objects.all(), request=request).is_valid()


# -- deeply nested JSON ----------------------------------------------------------------------------------


def test_deeply_nested_json_is_a_400(world, api):
    body = "[" * 5000 + "]" * 5000
    response = api(world.facilities_manager).post("/api/sample/widgets/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    assert not Widget.objects.exists()


# -- CSV cells beyond the csv module's field limit, and other unreadable rows ---------------------------


def test_an_oversized_cell_is_reported_on_its_row_and_nothing_is_written(world, login):
    """A cell over the csv module's default field limit (131,072 characters) is its row's problem."""
    assert MAX_CELL == 131_072
    long = "x" * (MAX_CELL + 1)
    rows = ["name,school,count", "Boiler,6400011,1", f'"{long}\n{long}",6400011,2', "Pump,6400011,x", "Fan,6400011,3"]
    response = upload(login(world.facilities_manager), "/sample/widget/import/", "\n".join(rows).encode())
    assert response.status_code == 400
    problems = {(p.line, p.column, p.message) for p in response.context["plan"].problems}
    assert (3, "name", "This cell is longer than 131,072 characters.") in problems
    assert {p[0] for p in problems} == {3, 4}  # the rows after it are read as usual
    assert not Widget.objects.exists() and not AuditEntry.objects.exists()


def test_an_oversized_header_cell_is_reported_on_line_one(world, login):
    data = f"name,{'x' * (MAX_CELL + 1)}\nBoiler,1\n".encode()
    response = upload(login(world.facilities_manager), "/sample/widget/import/", data)
    assert response.status_code == 400
    assert [p.line for p in response.context["plan"].problems] == [1]


def test_null_characters_and_bare_carriage_returns(world, login):
    data = b"name,school,count\nBoi\x00ler,6400011,1\nPump\rFan,6400011,2\n"
    response = upload(login(world.facilities_manager), "/sample/widget/import/", data)
    assert response.status_code == 400
    problems = {(p.line, p.column, p.message) for p in response.context["plan"].problems}
    assert (2, "name", "Null characters are not allowed.") in problems
    assert not Widget.objects.exists()


# -- the sweeps: every list, detail and edit page, and every GET operation of the API ----------------------

PREFERRED = ["district_admin", "coo", "enrollment_manager", "reporting_manager", "nutrition_director"]


@pytest.fixture
def demo_users(db):
    """A small demo district (records of every app) and its logins, the broadest first."""
    from django.core.management import call_command

    from core.models import User

    call_command("seed_demo", districts=1, schools=2, students=40, seed=7, stdout=io.StringIO())
    users = {u.username: u for u in User.objects.filter(is_integration=False, role_assignments__isnull=False)}
    return [users[n] for n in PREFERRED if n in users] + [u for n, u in sorted(users.items()) if n not in PREFERRED]


def test_odd_ids_and_filter_values_never_answer_a_server_error_on_pages(demo_users):
    from django.test import Client

    from core.testing import badinput

    def client_for(user):
        client = Client()
        client.force_login(user)
        return client

    endpoints = badinput.page_endpoints()
    assert len(endpoints) >= 60
    assert badinput.sweep(endpoints, demo_users, client_for) > len(endpoints) * 2


def test_odd_ids_and_parameter_values_never_answer_a_server_error_in_the_api(demo_users):
    from rest_framework.test import APIClient

    from core.testing import badinput

    def client_for(user):
        c = APIClient()
        c.force_authenticate(user)
        return c

    endpoints = badinput.api_endpoints()
    assert len(endpoints) >= 70
    assert badinput.sweep(endpoints, demo_users, client_for) > len(endpoints) * 2


# -- forms, query parameters and the API's last resort ----------------------------------------------------


def test_page_form_with_related_ids_beyond_64_bits_is_a_field_error(world, login):
    data = {
        "user": world.stranger.pk,
        "role": "dept_staff",
        "district": world.district.pk,
        "department": world.dept["transportation"].pk,
        "schools": [str(world.lincoln.pk), HUGE],
        "is_active": "on",
    }
    c = login(world.district_admin)
    response = c.post("/district/roleassignment/add/", data)
    assert response.status_code == 400 and "schools" in response.context["form"].errors
    response = c.post("/district/roleassignment/add/", {**data, "schools": [str(world.lincoln.pk)], "user": HUGE})
    assert response.status_code == 400 and "user" in response.context["form"].errors


def test_date_and_time_filters_beyond_the_calendar_are_invalid_filters(world, api, login):
    for value in ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"):
        response = api(world.district_admin).get("/api/core/audit-entries/", {"since": value})
        assert response.status_code == 400 and "since" in response.json(), response.content
        page = login(world.district_admin).get("/core/auditentry/", {"since": value})
        assert page.status_code == 200 and page.context["rows"] == []


def test_id_query_parameters_are_bounded(world, api):
    response = api(world.coo).get("/api/dashboard/values/", {"school": HUGE})
    assert response.status_code == 400 and "school" in response.json()


def test_a_value_out_of_range_that_nothing_caught_is_a_400(rf):
    from django.db import DataError

    from core.api.exceptions import exception_handler

    class Cause(Exception):
        pgcode = "22003"

    try:
        raise DataError("bigint out of range") from Cause()
    except DataError as exc:
        data_error = exc
    context = {"request": rf.get("/api/x/"), "view": None}
    for exc in (OverflowError("Python int too large to convert to SQLite INTEGER"), data_error):
        response = exception_handler(exc, context)
        assert response.status_code == 400 and "out of range" in response.data["detail"]
    assert exception_handler(DataError("value too long"), context) is None  # anything else stays a server error
