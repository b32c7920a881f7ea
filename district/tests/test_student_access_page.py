"""The district's student-access page: department × field groups × which students, for the privacy officer."""

import pytest
from django.urls import reverse

from core import access, policy
from core.choices import FieldGroup
from district.choices import DepartmentCode

pytestmark = pytest.mark.django_db
URL = "/district/student-access/"


def row_of(html, code):
    return html.split(f'id="department-{code}"')[1].split("</tr>")[0]


def cells(row_html):
    return [cell.split(">", 1)[1].strip() for cell in row_html.split("<td")[1:]]


def test_the_url_is_the_published_one():
    assert reverse("district:student_access") == URL


@pytest.mark.parametrize("who", ["district_admin", "coo"])
def test_the_page_lists_each_department_s_groups_and_students(world, login, who):
    response = login(getattr(world, who)).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<main" in html and "<caption>" in html and '<th scope="col">' in html
    for group in FieldGroup:
        assert f'<th scope="col">{group.label}</th>'.replace("'", "&#x27;") in html
    table = {row.department: row for row in policy.student_access_table(DepartmentCode.values)}
    for code in DepartmentCode.values:
        row = row_of(html, code)
        assert str(DepartmentCode(code).label).replace("'", "&#x27;") in row
        held = ["Reads" in cell for cell in cells(row)[: len(FieldGroup)]]
        assert held == [g in table[code].groups for g in FieldGroup.values], code
    assert cells(row_of(html, "transportation"))[: len(FieldGroup)] == [
        "<strong>Reads</strong></td>",
        "No</td>",
        "<strong>Reads</strong></td>",
        "<strong>Reads</strong></td>",
    ]
    communications = cells(row_of(html, "communications"))
    assert ["Reads" in c for c in communications[:4]] == [True, True, False, False]
    for code in ("facilities", "operations"):
        assert all("Reads" not in c for c in cells(row_of(html, code))[:4])
        assert "None" in cells(row_of(html, code))[4]
    athletics = cells(row_of(html, "athletics"))[4]
    assert "Grade 6" in athletics and "Grade 12" in athletics and "Grade 5" not in athletics
    assert "Meal eligibility" in cells(row_of(html, "nutrition"))[5]


def test_the_page_follows_the_declarations_and_the_grades_setting(world, login, settings):
    settings.OPS_ATHLETICS_GRADES = ["09", "10"]
    saved = access.declared(DepartmentCode.FACILITIES)
    access.unregister(DepartmentCode.FACILITIES)
    try:
        html = login(world.coo).get(URL).content.decode()
    finally:
        access.register(saved)
    athletics = cells(row_of(html, "athletics"))[4]
    assert "Grade 9" in athletics and "Grade 10" in athletics and "Grade 6" not in athletics
    assert "No declaration: it serves no student." in row_of(html, "facilities")


def test_anonymous_is_sent_to_sign_in(client, world):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    "who", ["stranger", "transport_staff_lincoln", "transport_manager", "principal_lincoln", "nutrition_director"]
)
def test_unprivileged_users_are_refused(world, login, who):
    response = login(getattr(world, who)).get(URL)
    assert response.status_code == 403
    assert "Identity and school" not in response.content.decode()


def test_integration_accounts_are_refused(world, login):
    assert login(world.sis_integration).get(URL).status_code == 403


@pytest.mark.parametrize("who,linked", [("district_admin", True), ("coo", True), ("transport_manager", False)])
def test_the_navigation_links_the_page_for_its_readers_only(world, login, who, linked):
    html = login(getattr(world, who)).get(reverse("district:school_list")).content.decode()
    assert (f'href="{URL}"' in html) == linked
