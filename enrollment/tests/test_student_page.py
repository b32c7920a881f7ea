"""The student page: one student whole, to each role what the policy lets it see.

Where today's policy already decides (sensitive classes, schools, roles with
no student rule), the tests name the role's answer; where the field groups
of each department decide, they ask the policy (``restrict()``,
``hidden_fields``, ``can``) and check the page follows it.
"""

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import panels, policy
from core.choices import Action
from core.services import record_save
from district.models import SchoolYear
from district.tests.factories import SchoolYearFactory
from enrollment import models as m
from enrollment.roster import testing
from enrollment.views import ADDRESS_FIELDS, IDENTITY_FIELDS

from . import factories as f

pytestmark = pytest.mark.django_db
LATITUDE, LONGITUDE = "41.765432", "-72.678901"
ENROLLMENT_PANELS = {
    "enrollment-history",
    "enrollment-household",
    "enrollment-programs",
    "enrollment-choice",
    "enrollment-ids",
}


def page_url(student):
    return reverse("enrollment:student_detail", args=[student.pk])


def year(world, end_year):
    found = SchoolYear.objects.filter(district=world.district, end_year=end_year).first()
    return found or SchoolYearFactory(district=world.district, end_year=end_year)


def whole_student(world, n: int):
    """A student at Lincoln now, with ``n`` of everything: past enrollments, guardians, spells, applications, ids."""
    today = timezone.localdate()
    home = f.HouseholdFactory(district=world.district, phone="860-555-0100", street="12 Elm Street")
    student = f.StudentFactory(
        district=world.district,
        household=home,
        races="BL7 WH7",
        race_ethnicity="MU7",
        grade_level="04",
        street="12 Elm Street",
        resident_town="Hartford",
    )
    student.latitude, student.longitude = LATITUDE, LONGITUDE
    student.save()
    f.EnrollmentFactory(
        student=student, school=world.lincoln, school_year=world.year, entry_date=today - datetime.timedelta(days=90)
    )
    past_year = year(world, 2019)
    for i in range(n):  # closed long ago, alternately at Washington and Lincoln
        entry = datetime.date(2010, 9, 1) + datetime.timedelta(days=60 * i)
        f.EnrollmentFactory(
            student=student,
            school=world.washington if i % 2 == 0 else world.lincoln,
            school_year=past_year,
            grade_level="KG",
            entry_date=entry,
            exit_date=entry + datetime.timedelta(days=30),
            exit_code="T1",
        )
        f.GuardianFactory(household=home, phone=f"860-555-{1000 + i}", email=f"guardian{i}@example.org")
        f.ParticipationFactory(student=student, program="el", start_date=entry, end_date=entry)
        f.StudentExternalIdFactory(student=student)
    f.ParticipationFactory(student=student, program="idea", data_class="disability", start_date=today)
    f.MealParticipationFactory(student=student, start_date=today)
    f.StudentFactory(district=world.district, household=home, legal_first_name="Sibling")
    choice_year = year(world, 2028)
    for i in range(n):
        window = f.ApplicationWindowFactory(district=world.district, school_year=choice_year)
        first = f.ChoiceProgramFactory(window=window, school=world.lincoln)
        second = f.ChoiceProgramFactory(window=window, school=world.washington)
        application = f.ApplicationFactory(window=window, student=student)
        m.ApplicationChoice.objects.create(application=application, program=first, rank=1)
        m.ApplicationChoice.objects.create(application=application, program=second, rank=2)
        run = m.LotteryRun.objects.create(
            window=window, kind="final", seed="7", input_hash="0" * 64, ran_at=timezone.now()
        )
        m.Offer.objects.create(run=run, application=application, program=second, rank=2, respond_by=today)
        m.WaitlistEntry.objects.create(run=run, program=first, application=application, position=i + 1, rank=1)
    return student


def links(html, name):
    """The record ids the page links to with ``enrollment:<name>``."""
    prefix = reverse(f"enrollment:{name}", args=[0])[:-2]
    return {int(pk) for pk in re.findall(re.escape(prefix) + r"(\d+)/\"", html)}


def visible_ids(user, model, **lookup):
    return set(model.objects.restrict(user, Action.VIEW).filter(**lookup).values_list("pk", flat=True))


def assert_page_follows_policy(user, student, response):
    """Every part of the page is what the policy says the viewer may see."""
    html = response.content.decode()
    assert response.status_code == 200
    expected = {p.key for p in panels.registered() if p.shown_to(user)}
    assert {p.panel.key for s in response.context["panel_sections"] for p in s.panels} == expected
    for key in expected:
        assert f'id="panel-{key}"' in html
    hidden = policy.hidden_fields(user, m.Student)
    labels = {label for label, _value in response.context["identity"] + response.context["address"]}
    for name in IDENTITY_FIELDS + ADDRESS_FIELDS:
        assert (m.Student._meta.get_field(name).verbose_name in labels) == (name not in hidden)
    if "enrollment-history" in expected:
        assert links(html, "enrollment_detail") == visible_ids(user, m.Enrollment, student=student)
    if "enrollment-programs" in expected:
        assert links(html, "programparticipation_detail") == visible_ids(user, m.ProgramParticipation, student=student)
        for name in ("meal_status", "meal_source"):
            shown = str(m.ProgramParticipation._meta.get_field(name).verbose_name).capitalize()
            assert (f'<th scope="col">{shown}</th>' in html) == (
                name not in policy.hidden_fields(user, m.ProgramParticipation)
            )
    if "enrollment-household" in expected:
        assert links(html, "guardian_detail") == visible_ids(user, m.Guardian, household=student.household)
    if "enrollment-choice" in expected:
        assert links(html, "application_detail") == visible_ids(user, m.Application, student=student)
        assert links(html, "offer_detail") == visible_ids(user, m.Offer, application__student=student)
    # The coordinates are never on the page, whoever reads it.
    assert LATITUDE not in html and LONGITUDE not in html
    assert "latitude" not in html.lower() and "longitude" not in html.lower()


@pytest.fixture
def student(world):
    return whole_student(world, 3)


@pytest.fixture
def manager(world):
    return testing.enrollment_manager(world)


def test_enrollment_staff_see_everything_enrollment_owns(world, login, student, manager):
    response = login(manager).get(page_url(student))
    assert_page_follows_policy(manager, student, response)
    html = response.content.decode()
    shown = {p.panel.key for s in response.context["panel_sections"] for p in s.panels}
    assert shown >= ENROLLMENT_PANELS
    # Now: the school, the grade and the enrollment, by their labels.
    current = html.split('id="current-heading"')[1].split("</section>")[0]
    assert "Lincoln Elementary School" in current and "Grade 4" in current
    assert "First entry into the district" in current
    # History (all 4 enrollments), household and guardians with contacts, programs, choice, ids.
    assert len(links(html, "enrollment_detail")) == 4
    assert "Transfer to another school in the district" in html and "Kindergarten" in html
    assert "860-555-0100" in html and "860-555-1002" in html and "guardian2@example.org" in html
    assert "Sibling" in html
    assert "English learner" in html
    assert "Replaced by a better offer" not in html and "Offered, awaiting answer" in html
    assert len(links(html, "application_detail")) == 3 and len(links(html, "offer_detail")) == 3
    assert len(links(html, "studentexternalid_detail")) == 3
    # Enrollment staff administer no sensitive class: no disability or meal spell, nor its fields.
    assert "Students with disabilities (IDEA)" not in html and "School meal eligibility" not in html
    assert "Direct certification" not in html


def test_enrollment_staff_at_one_school_see_its_history_there(world, login, student):
    staff = testing.enrollment_staff(world, world.lincoln)
    response = login(staff).get(page_url(student))
    assert_page_follows_policy(staff, student, response)
    history = links(response.content.decode(), "enrollment_detail")
    assert history == set(student.enrollments.filter(school=world.lincoln).values_list("pk", flat=True))


def test_transportation_staff_see_identity_and_address_but_no_disability(world, login, student):
    user = world.transport_staff_lincoln
    response = login(user).get(page_url(student))
    assert_page_follows_policy(user, student, response)
    html = response.content.decode()
    assert student.legal_last_name in html and student.state_id in html
    address = html.split('id="address-heading"')[1].split("</section>")[0]
    assert "12 Elm Street" in address and "Hartford" in address
    idea = student.participations.get(program="idea")
    assert reverse("enrollment:programparticipation_detail", args=[idea.pk]) not in html
    assert "Students with disabilities (IDEA)" not in html and "Section 504" not in html


def test_the_nutrition_director_sees_meal_eligibility(world, login, student):
    user = world.nutrition_director
    response = login(user).get(page_url(student))
    assert_page_follows_policy(user, student, response)
    programs = response.content.decode().split('id="panel-enrollment-programs"')[1].split("</section>")[0]
    assert "School meal eligibility" in programs
    assert "Free" in programs and "Direct certification" in programs  # labels, not "free" and "direct_cert"
    assert "Students with disabilities (IDEA)" not in programs  # meals, not disability


def test_an_executive_reads_the_student_without_sensitive_spells(world, login, student):
    response = login(world.coo).get(page_url(student))
    assert_page_follows_policy(world.coo, student, response)
    assert "School meal eligibility" not in response.content.decode()


def test_the_principal_of_another_school_gets_404(world, login, student):
    assert login(world.principal_washington).get(page_url(student)).status_code == 404
    response = login(world.principal_lincoln).get(page_url(student))
    assert_page_follows_policy(world.principal_lincoln, student, response)


def test_roles_with_no_student_rule_are_refused(world, login, student):
    for user in (world.district_admin, world.other_admin, world.stranger):
        response = login(user).get(page_url(student))
        assert response.status_code == 403
        assert student.legal_last_name not in response.content.decode()


def test_a_facilities_manager_is_refused_as_the_policy_says(world, login, student):
    user = world.facilities_manager
    response = login(user).get(page_url(student))
    if not policy.can(user, m.Student, Action.VIEW):
        assert response.status_code == 403
    elif not m.Student.objects.restrict(user).filter(pk=student.pk).exists():
        assert response.status_code == 404
    else:
        assert_page_follows_policy(user, student, response)
    if response.status_code != 200:
        assert student.legal_last_name not in response.content.decode()


def test_codes_are_shown_by_their_labels(world, login, student, manager):
    student.races, student.grade_level = "BL7 WH7 AS7", "05"
    record_save(actor=manager, instance=student)  # the page's history holds the change
    student.races, student.grade_level = "BL7 WH7", "04"
    record_save(actor=manager, instance=student)
    response = login(manager).get(page_url(student))
    html = response.content.decode()
    history = html.split('id="history-heading"')[1]
    assert "Asian, Black or African American, White" in history and "Grade 5" in history
    assert "<strong>Races</strong>" in history and "<strong>Grade level</strong>" in history
    assert "BL7" not in html and "WH7" not in html and "MU7" not in html
    assert "Black or African American, White" in html  # the races
    assert "Two or more races" in html  # the federal race/ethnicity
    assert ">04<" not in html and ">KG<" not in html and ">E1<" not in html and ">T1<" not in html
    assert "Grade 4" in html and "Kindergarten" in html


def test_the_coordinates_stay_off_the_page_and_its_history(world, login, student, manager):
    student.latitude, student.longitude = "41.700001", "-72.600001"
    record_save(actor=manager, instance=student)  # an audit entry with the coordinates' change
    response = login(manager).get(page_url(student))
    assert response.context["history"]  # the history is shown...
    html = response.content.decode()
    for value in (LATITUDE, LONGITUDE, "41.700001", "-72.600001"):  # ...without the coordinates
        assert value not in html
    assert "latitude" not in html.lower()
    # Nor in the generic detail fields a record page is given.
    assert not {"latitude", "longitude"} & {str(label) for label, _value in response.context["fields"]}


def test_the_page_costs_the_same_queries_for_3_and_30_of_everything(world, login, manager):
    small, large = whole_student(world, 3), whole_student(world, 30)
    c = login(manager)
    c.get(page_url(small))  # (the first request of a session costs more)

    def cost(student):
        policy.forget_scope(manager)
        with CaptureQueriesContext(connection) as queries:
            response = c.get(page_url(student))
        assert response.status_code == 200
        return len(queries.captured_queries)

    assert len(links(c.get(page_url(large)).content.decode(), "guardian_detail")) == 30
    assert cost(small) == cost(large)


def test_lists_and_exports_show_labels(world, login, student, manager):
    c = login(manager)
    listed = c.get("/enrollment/enrollment/").content.decode()
    assert "Grade 4" in listed and ">04<" not in listed
    export = b"".join(c.get("/enrollment/student/?export=csv").streaming_content).decode().lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(export)))
    row = next(r for r in rows if r["state student id (SASID)"] == student.state_id)
    assert row["races"] == "Black or African American, White"
    assert row["race/ethnicity (federal)"] == "Two or more races"
    assert row["grade level"] == "Grade 4"
    assert "BL7" not in export
    enrollments = b"".join(c.get("/enrollment/enrollment/?export=csv").streaming_content).decode()
    assert (
        "First entry into the district" in enrollments and "Transfer to another school in the district" in enrollments
    )


def test_the_generic_detail_page_shows_labels(world, login, student, manager):
    enrollment = student.enrollments.filter(exit_code="T1").first()
    html = login(manager).get(reverse("enrollment:enrollment_detail", args=[enrollment.pk])).content.decode()
    assert "Kindergarten" in html and "Transfer to another school in the district" in html
    assert ">T1<" not in html and ">KG<" not in html


def test_the_page_is_accessible_markup_without_inline_script_or_style(world, login, student, manager):
    html = login(manager).get(page_url(student)).content.decode()
    main = html.split('<main id="main"')[1].split("</main>")[0]
    assert "<script" not in main and "style=" not in html and " on" + "click=" not in html
    assert main.count("<h1") == 1
    assert main.count("<table") == main.count("<caption")
    assert '<th scope="col">' in main and '<th scope="row">' in main
    assert "<th>" not in main  # every header cell says what it heads
    # Each section is a region named by its heading.
    for labelled in re.findall(r'<section[^>]*aria-labelledby="([^"]+)"', main):
        assert f'id="{labelled}"' in main
