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
