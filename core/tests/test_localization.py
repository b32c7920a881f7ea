"""Language and time: pages in Spanish by browser or switch; times in the district's zone.

The district of the world keeps Pacific time here while the server's zone
(settings.TIME_ZONE) is Eastern, so a time shown, filtered or exported in the
wrong zone is three hours off.
"""

import csv
import datetime
import io

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from core.middleware import user_time_zone
from core.models import AuditEntry
from district.models import District

pytestmark = pytest.mark.django_db

PACIFIC = "America/Los_Angeles"
UTC = datetime.UTC


def test_department_and_report_names_in_spanish(world, client):
    client.force_login(world.coo)
    departments = client.get("/district/department/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Inscripción y Elección de Escuela" in departments and "Enrollment and School Choice" not in departments
    reports = client.get("/reporting/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Hoja de trabajo de la matrícula del 1 de octubre" in reports
    assert "Los grados que ofrece cada escuela en el año." in reports
    assert "October 1 membership worksheet" not in reports
    assert ">enrollment<" not in reports  # the department by its name, not its code


# Time zones -----------------------------------------------------------------


@pytest.fixture
def pacific(world):
    world.district.time_zone = PACIFIC
    world.district.save(update_fields=["time_zone"])
    return world


def entry(world, when: datetime.datetime, name="School profile changed", district=None) -> AuditEntry:
    district = district or world.district
    return AuditEntry.objects.create(
        timestamp=when,
        actor_name="Dana Admin",
        change=AuditEntry.Change.UPDATE,
        content_type=ContentType.objects.get_for_model(District),
        object_id=str(district.pk),
        object_repr=name,
        district_key=district.pk,
    )


def test_a_new_district_keeps_the_server_zone_and_a_bad_zone_is_refused(world):
    assert settings.TIME_ZONE == "America/New_York"
    assert District.objects.create(name="New", state_lea_id="777").time_zone == settings.TIME_ZONE
    world.district.time_zone = "America/Springfield"
    with pytest.raises(ValidationError) as exc:
        world.district.full_clean()
    assert "time_zone" in exc.value.message_dict


def test_user_time_zone_is_the_districts(pacific):
    assert user_time_zone(pacific.district_admin) == PACIFIC
    assert user_time_zone(pacific.principal_lincoln) == PACIFIC
    assert user_time_zone(pacific.state_analyst) == settings.TIME_ZONE  # the state role spans districts
    assert user_time_zone(pacific.other_admin) == settings.TIME_ZONE  # the other district kept the default
    assert user_time_zone(pacific.stranger) == settings.TIME_ZONE  # no role


def test_district_admin_sets_the_zone_and_a_bad_one_writes_nothing(world, client):
    from core.testing.contracts import form_data_from
    from district.pages import DistrictForm

    client.force_login(world.district_admin)
    url = f"/district/district/{world.district.pk}/edit/"
    form = client.get(url).content.decode()
    assert '<option value="America/Chicago">America/Chicago</option>' in form
    data = {**form_data_from(world.district, DistrictForm.Meta.fields), "version": world.district.version}
    response = client.post(url, {**data, "time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 400 and "time_zone" in response.context["form"].errors
    world.district.refresh_from_db()
    assert world.district.time_zone == settings.TIME_ZONE
    response = client.post(url, {**data, "time_zone": "America/Chicago"})
    assert response.status_code == 302
    world.district.refresh_from_db()
    assert world.district.time_zone == "America/Chicago"
    data = {k: v for k, v in data.items() if k != "time_zone"} | {"version": world.district.version}
    assert client.post(url, {**data, "name": "Capitol City Schools"}).status_code == 302  # a form without the zone
    world.district.refresh_from_db()
    assert (world.district.name, world.district.time_zone) == ("Capitol City Schools", "America/Chicago")
    client.force_login(world.coo)  # reads the district, may not change it
    assert client.post(url, {**data, "time_zone": PACIFIC}).status_code in (403, 404)


def test_a_time_on_a_page_is_in_the_districts_zone_in_the_readers_format(pacific, client):
    entry(pacific, datetime.datetime(2026, 3, 10, 15, 30, tzinfo=UTC))  # 08:30 in Los Angeles, 11:30 in New York
    client.force_login(pacific.district_admin)
    english = client.get("/core/auditentry/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "March 10, 2026, 8:30 a.m." in english and "11:30" not in english
    spanish = client.get("/core/auditentry/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "10 de marzo de 2026 a las 08:30" in spanish
    client.force_login(pacific.other_admin)  # a district on the server's zone
    client.get("/core/auditentry/")  # the zone of one request is not left for the next
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_the_same_instant_reads_differently_in_a_pacific_and_an_eastern_district(pacific, client):
    eastern = pacific.other_district
    eastern.time_zone = "America/New_York"
    eastern.save(update_fields=["time_zone"])
    instant = datetime.datetime(2026, 11, 2, 17, 5, tzinfo=UTC)  # after both switched back to standard time
    entry(pacific, instant, "west")
    entry(pacific, instant, "east", district=eastern)
    client.force_login(pacific.district_admin)
    west = client.get("/core/auditentry/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.force_login(pacific.other_admin)
    east = client.get("/core/auditentry/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nov. 2, 2026, 9:05 a.m." in west and "12:05 p.m." not in west
    assert "Nov. 2, 2026, 12:05 p.m." in east and "9:05 a.m." not in east
    west_csv = client_csv(client, pacific.district_admin)
    east_csv = client_csv(client, pacific.other_admin)
    assert "2026-11-02T09:05:00-08:00" in west_csv and f"({PACIFIC})" in west_csv
    assert "2026-11-02T12:05:00-05:00" in east_csv and "(America/New_York)" in east_csv


def client_csv(client, user) -> str:
    client.force_login(user)
    return b"".join(client.get("/core/auditentry/?export=csv").streaming_content).decode()


def test_a_datetime_filter_bound_is_read_in_the_districts_zone(pacific, client):
    early = entry(pacific, datetime.datetime(2026, 3, 10, 14, 50, tzinfo=UTC), "early")  # 07:50 Pacific
    late = entry(pacific, datetime.datetime(2026, 3, 10, 15, 10, tzinfo=UTC), "late")  # 08:10 Pacific
    client.force_login(pacific.district_admin)
    listed = client.get("/core/auditentry/", {"since": "2026-03-10T08:00"})
    assert [row["obj"].pk for row in listed.context["rows"]] == [late.pk]
    # The same bound in the server's zone (08:00 Eastern, 12:00 UTC) would take both.
    pacific.district.time_zone = settings.TIME_ZONE
    pacific.district.save(update_fields=["time_zone"])
    listed = client.get("/core/auditentry/", {"since": "2026-03-10T08:00"})
    assert {row["obj"].pk for row in listed.context["rows"]} == {early.pk, late.pk}


def test_a_csv_export_writes_times_in_the_districts_zone_and_says_which(pacific, client):
    entry(pacific, datetime.datetime(2026, 3, 10, 15, 30, tzinfo=UTC))
    client.force_login(pacific.district_admin)
    response = client.get("/core/auditentry/?export=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    column = rows[0].index(f"when ({PACIFIC})")
    assert rows[1][column] == "2026-03-10T08:30:00-07:00"
    assert response["Content-Disposition"].endswith('.csv"')


def test_an_xlsx_export_writes_local_times_under_a_heading_naming_the_zone(pacific, client):
    entry(pacific, datetime.datetime(2026, 3, 10, 15, 30, tzinfo=UTC))
    client.force_login(pacific.district_admin)
    response = client.get("/core/auditentry/?export=xlsx", HTTP_ACCEPT_LANGUAGE="es")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    column = rows[0].index(f"cuándo ({PACIFIC})")
    assert rows[1][column] == datetime.datetime(2026, 3, 10, 8, 30)


def test_date_pickers_keep_iso_dates_in_spanish(world, client):
    client.force_login(world.district_admin)
    page = client.get(f"/district/schoolyear/{world.year.pk}/edit/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert f'type="date" name="start_date" value="{world.year.start_date.isoformat()}"' in page


def _import(client, text: str):
    upload = io.BytesIO(text.encode())
    upload.name = "districts.csv"
    return client.post("/district/district/import/", {"file": upload})


def test_a_district_import_reads_the_zone_when_given_and_keeps_it_when_the_column_is_left_out(world, client):
    client.force_login(world.district_admin)
    key = world.district.state_lea_id
    response = _import(client, f"state_lea_id,name,time_zone\n{key},Capitol City Public Schools,America/Chicago\n")
    assert response.status_code == 200 and response.context["plan"].ok
    assert client.post("/district/district/import/", {"token": response.context["token"]}).status_code == 302
    world.district.refresh_from_db()
    assert world.district.time_zone == "America/Chicago"
    response = _import(client, f"state_lea_id,name\n{key},Capitol City Schools\n")  # no zone column: unchanged
    assert client.post("/district/district/import/", {"token": response.context["token"]}).status_code == 302
    world.district.refresh_from_db()
    assert (world.district.name, world.district.time_zone) == ("Capitol City Schools", "America/Chicago")


@pytest.mark.parametrize("cell", ["", "Mars/Olympus_Mons", "america/chicago", "x" * 80])
def test_a_district_import_refuses_a_blank_or_unknown_zone_on_its_line(world, client, cell):
    client.force_login(world.district_admin)
    response = _import(client, f"state_lea_id,name,time_zone\n{world.district.state_lea_id},Capitol City,{cell}\n")
    assert response.status_code == 400
    assert [(p.line, p.column) for p in response.context["plan"].problems] == [(2, "time_zone")]
    world.district.refresh_from_db()
    assert (world.district.name, world.district.time_zone) == ("Capitol City Public Schools", settings.TIME_ZONE)
