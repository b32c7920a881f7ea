"""Bulk school import: all rows or none, every bad row reported."""

import csv
import io

import pytest

from core.models import AuditEntry
from district.models import School

pytestmark = pytest.mark.django_db

HEADER = [
    "district",
    "name",
    "state_school_id",
    "nces_id",
    "school_type",
    "zip_code",
    "latitude",
    "longitude",
    "is_active",
]


def school_rows(n=1000):
    rows = []
    for i in range(n):
        rows.append(
            {
                "district": "640",
                "name": f"School {i:04d}",
                "state_school_id": f"65{i:05d}",
                "nces_id": f"0900001{i:05d}",
                "school_type": "magnet" if i % 5 == 0 else "neighborhood",
                "zip_code": "06103",
                "latitude": "41.76",
                "longitude": "-72.68",
                "is_active": "yes",
            }
        )
    return rows


def to_csv(rows, header=HEADER) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


def upload(client, data: bytes, name="schools.csv"):
    return client.post("/district/school/import/", {"file": io.BytesIO(data) and _named(data, name)})


def _named(data, name):
    f = io.BytesIO(data)
    f.name = name
    return f


def break_seven(rows):
    rows[3]["state_school_id"] = rows[2]["state_school_id"]  # duplicate id in the file
    rows[10]["district"] = "999"  # unknown district
    rows[120]["school_type"] = "castle"  # not a choice
    rows[250]["zip_code"] = "6103"  # malformed ZIP
    rows[400]["latitude"] = "123"  # out of range
    rows[640]["name"] = ""  # required
    rows[999]["nces_id"] = "1234567890123"  # wrong length
    return {5, 12, 122, 252, 402, 642, 1001}


def test_thousand_rows_with_seven_bad_write_nothing_and_report_exactly_those(world, login):
    c = login(world.district_admin)
    rows = school_rows()
    bad_lines = break_seven(rows)
    before = School.objects.count()
    response = upload(c, to_csv(rows))
    assert response.status_code == 400
    problems = response.context["plan"].problems
    assert {p.line for p in problems} == bad_lines
    assert all(p.column for p in problems)
    assert School.objects.count() == before
    assert not AuditEntry.objects.exists()


def test_corrected_file_imports_all_rows_with_audit(world, login):
    c = login(world.district_admin)
    data = to_csv(school_rows())
    preview = upload(c, data)
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert plan.ok and plan.new_count == 1000
    assert School.objects.count() == 3  # nothing written by the preview
    token = preview.context["token"]
    done = c.post("/district/school/import/", {"token": token})
    assert done.status_code == 302
    assert School.objects.filter(district=world.district).count() == 1002
    assert AuditEntry.objects.filter(change="create", source="web").count() == 1000
    again = upload(c, data)  # the same file again: 1000 updates, nothing new
    assert again.context["plan"].update_count == 1000


def test_missing_and_unknown_columns_are_reported(world, login):
    c = login(world.district_admin)
    data = to_csv(school_rows(3), header=["name", "colour"])
    response = upload(c, data)
    columns = {p.column for p in response.context["plan"].problems}
    assert {"colour", "district", "state_school_id"} <= columns
    assert School.objects.count() == 3


def test_another_districts_school_cannot_be_updated_or_named(world, login):
    c = login(world.district_admin)
    rows = school_rows(2)
    rows[0]["district"] = "641"  # the other district: not one the admin may use
    rows[1]["state_school_id"] = world.other_school.state_school_id
    response = upload(c, to_csv(rows))
    assert response.status_code == 400
    lines = {p.line for p in response.context["plan"].problems}
    assert lines == {2, 3}
    world.other_school.refresh_from_db()
    assert world.other_school.name == "River Elementary School"


def test_xlsx_import(world, login):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in school_rows(3):
        ws.append([row[h] for h in HEADER])
    buf = io.BytesIO()
    wb.save(buf)
    response = upload(login(world.district_admin), buf.getvalue(), "schools.xlsx")
    assert response.context["plan"].ok and response.context["plan"].new_count == 3


def test_wrong_file_type_and_garbage(world, login):
    c = login(world.district_admin)
    assert upload(c, b"hello", "schools.txt").status_code == 400
    response = upload(c, b"\xff\xfe\x00garbage", "schools.csv")
    assert response.status_code == 400
    assert response.context["plan"].problems[0].line == 1


def test_expired_preview_writes_nothing(world, login):
    c = login(world.district_admin)
    response = c.post("/district/school/import/", {"token": "nope"}, follow=True)
    assert "expired" in response.content.decode()
    assert School.objects.count() == 3


def test_import_needs_write_permission(world, login):
    response = upload(login(world.coo), to_csv(school_rows(1)))
    assert response.status_code == 403
