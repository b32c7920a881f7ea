"""Where each role lands, and navigation grouped by department that never links a page its reader may not open."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from core import workspace
from core.choices import Role
from district.choices import DepartmentCode
from district.tests.factories import RoleAssignmentFactory, UserFactory
from enrollment.models import Student

pytestmark = pytest.mark.django_db


def member(world, username, code, role=Role.DEPT_MANAGER, schools=()):
    user = UserFactory(username=username)
    RoleAssignmentFactory(
        user=user, role=role, district=world.district, department=world.dept[code], schools=list(schools)
    )
    return user


@pytest.fixture
def people(world):
    world.enrollment_manager = member(world, "enrollment_manager", DepartmentCode.ENROLLMENT)
    world.enrollment_staff_lincoln = member(
        world, "enrollment_staff_lincoln", DepartmentCode.ENROLLMENT, Role.DEPT_STAFF, [world.lincoln]
    )
    world.reporting_manager = member(world, "reporting_manager", DepartmentCode.REPORTING)
    return world


# -- landing ------------------------------------------------------------------------------------------


def test_each_role_lands_on_its_own_work(people, login):
    w = people
    expected = {
        "coo": reverse("dashboard:overview"),
        "state_analyst": reverse("dashboard:overview"),
        "principal_lincoln": reverse("dashboard:school", args=[w.lincoln.pk]),
        "principal_washington": reverse("dashboard:school", args=[w.washington.pk]),
        "enrollment_manager": reverse("workspace", args=["enrollment"]),
        "enrollment_staff_lincoln": reverse("workspace", args=["enrollment"]),
        "reporting_manager": reverse("workspace", args=["reporting"]),
    }
    for name, url in expected.items():
        response = login(getattr(w, name)).get("/")
        assert response.status_code == 302, name
        assert response["Location"] == url, name
        assert login(getattr(w, name)).get(url).status_code == 200, name


def test_roles_with_no_workspace_keep_the_start_page(people, login):
    # Administrators, program roles, departments with no workspace yet, and users with no role.
    for user in (people.district_admin, people.nutrition_director, people.transport_manager, people.stranger):
        assert login(user).get("/").status_code == 200, user.username


def test_sign_in_lands_on_the_department_workspace(people, client):
    people.enrollment_manager.set_password("pass-for-tests-1")
    people.enrollment_manager.save()
    response = client.post("/login/", {"username": "enrollment_manager", "password": "pass-for-tests-1"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("workspace", args=["enrollment"])
    assert "Applications to verify" in response.content.decode()


def test_a_manager_of_two_departments_lands_on_the_first_with_a_workspace(people, login):
    user = member(people, "two_hats", DepartmentCode.TRANSPORTATION)
    RoleAssignmentFactory(
        user=user, role=Role.DEPT_MANAGER, district=people.district, department=people.dept[DepartmentCode.REPORTING]
    )
    assert login(user).get("/")["Location"] == reverse("workspace", args=["reporting"])


# -- navigation -----------------------------------------------------------------------------------------


class NavParser(HTMLParser):
    """The site navigation as groups: heading, then (label, href) in order, "Records" marking record tables."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # inside <nav class="site-nav">
        self.groups: list[dict] = []
        self._capture: str | None = None
        self._href = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and "site-nav" in (attrs.get("class") or ""):
            self.depth = 1
            return
        if not self.depth:
            return
        classes = attrs.get("class") or ""
        if tag == "span" and ("nav-heading" in classes or "nav-subheading" in classes):
            self._capture, self._text = ("heading" if "nav-heading" in classes else "sub"), ""
        elif tag == "a":
            self._capture, self._text, self._href = "link", "", attrs["href"]

    def handle_data(self, data):
        if self._capture:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "nav" and self.depth:
            self.depth = 0
        if not self.depth or not self._capture:
            return
        text = " ".join(self._text.split())
        if tag == "span" and self._capture == "heading":
            self.groups.append({"heading": text, "items": [], "records": []})
        elif tag == "span" and self._capture == "sub":
            self.groups[-1]["in_records"] = True
        elif tag == "a" and self.groups:
            key = "records" if self.groups[-1].get("in_records") else "items"
            self.groups[-1][key].append((text, self._href))
        self._capture = None


def nav_of(client, url="/core/user/"):
    """The navigation as shown on a page every signed-in user gets an answer from (a 403 page has it too)."""
    parser = NavParser()
    parser.feed(client.get(url, follow=True).content.decode())
    return parser.groups


def links(groups):
    return [href for g in groups for _label, href in g["items"] + g["records"]]


PERSONAS = (
    "coo",
    "district_admin",
    "enrollment_manager",
    "enrollment_staff_lincoln",
    "reporting_manager",
    "transport_manager",
    "facilities_staff_lincoln",
    "principal_lincoln",
    "nurse_lincoln",
    "state_analyst",
)


@pytest.mark.parametrize("name", PERSONAS)
def test_no_one_sees_a_link_they_may_not_open(people, login, name):
    client = login(getattr(people, name))
    groups = nav_of(client, "/")
    hrefs = links(groups)
    assert hrefs, name
    assert len(hrefs) == len(set(hrefs)), "a page is listed once"
    for href in hrefs:
        assert client.get(href, follow=True).status_code == 200, (name, href)  # a principal's dashboard is their school


def test_a_department_manager_sees_the_workspace_then_workflows_then_records(people, login):
    groups = nav_of(login(people.enrollment_manager))
    headings = [g["heading"] for g in groups]
    assert headings[0] == str(DepartmentCode.ENROLLMENT.label)
    assert headings[-1] == "Administration"
    enrollment = groups[0]
    assert enrollment["items"][0] == ("Workspace", reverse("workspace", args=["enrollment"]))
    assert ("Sync the roster", reverse("enrollment:roster_sync")) in enrollment["items"]
    assert ("Students", reverse("enrollment:student_list")) in enrollment["records"]
    assert all(not re.search(r"/(district|core)/", href) for _l, href in enrollment["records"])
    admin = groups[-1]
    assert ("Schools", reverse("district:school_list")) in admin["items"]  # reference data, no "Records" heading
    assert reverse("core:user_list") not in links(groups)  # accounts are the administrators'
    # Reporting keeps enrollment's runs: the manager reaches that workspace too, but not its calendar's keeping.
    reporting = next(g for g in groups if g["heading"] == str(DepartmentCode.REPORTING.label))
    assert reporting["items"][0] == ("Workspace", reverse("workspace", args=["reporting"]))


def test_groups_follow_the_role(people, login):
    enrollment_heading = str(DepartmentCode.ENROLLMENT.label)
    transport = nav_of(login(people.transport_manager))
    assert reverse("workspace", args=["enrollment"]) not in links(transport)
    # Transportation reads enrollments at its schools (the roster page), but syncs no roster.
    assert ("Sync the roster", reverse("enrollment:roster_sync")) not in [i for g in transport for i in g["items"]]
    assert reverse("core:auditentry_list") not in links(transport)
    coo = nav_of(login(people.coo))
    coo_links = links(coo)
    assert not any(href.startswith("/workspace/") for href in coo_links)  # the COO's home is the dashboard
    assert reverse("dashboard:overview") in coo_links and reverse("core:auditentry_list") in coo_links
    assert enrollment_heading in [g["heading"] for g in coo]
    admin = nav_of(login(people.district_admin))
    assert not any(href.startswith("/workspace/") for href in links(admin))
    assert [g["heading"] for g in admin][-1] == "Administration"
    assert reverse("core:user_list") in links(admin) and reverse("district:roleassignment_list") in links(admin)
    assert nav_of(login(people.stranger)) == []


# -- the registry -------------------------------------------------------------------------------------------


def test_keys_are_checked_and_not_taken_twice():
    with pytest.raises(ValueError):
        workspace.register_department(workspace.Department(code="no spaces", label="x"))
    with pytest.raises(ValueError):
        workspace.register_department(workspace.Department(code="enrollment", label="Another"))
    with pytest.raises(TypeError):  # a queue reads through restrict(): its model needs an access rule
        workspace.register_queue(
            workspace.Queue(key="no-rule", department="enrollment", title="x", model=object, select=None, columns=())
        )


def test_a_queue_reads_only_through_the_policy(people):
    """A queue whose select asks for every row still gets only the viewer's schools' rows."""
    from enrollment.tests.factories import StudentFactory

    StudentFactory(district=people.district)
    StudentFactory(district=people.other_district)
    greedy = workspace.Queue(
        key="every-student",
        department="enrollment",
        title="Every student",
        model=Student,
        select=lambda ctx, rows: rows.order_by("pk"),
        columns=(("Student", str),),
    )
    workspace.register_queue(greedy)
    try:
        space = workspace.build(people.enrollment_manager, "enrollment")
        shown = next(q for q in space.queues if q.queue.key == "every-student")
        assert shown.count == Student.objects.filter(district=people.district).count() == 1
    finally:
        workspace.unregister("every-student")
