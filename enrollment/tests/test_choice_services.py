"""School-choice services: applications, priorities, the lottery run, offers and waitlists."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from core import audit
from core.models import AuditEntry
from enrollment import choice
from enrollment import models as m
from enrollment.lottery import Applicant, Program, run_lottery
from enrollment.tasks import offers_expire_task

from . import factories as f
from .test_choice_fixtures import applied_outside, choice_world, close_window, offer_of, student, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def cw(world):
    return choice_world(world)


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# -- applications --------------------------------------------------------------------------------


def test_submit_stores_ranked_choices_and_audits(cw):
    application = submit(cw, ["WAS-06", "LIN-06"])
    ranked = list(application.choices.order_by("rank").values_list("program__code", "rank"))
    assert ranked == [("WAS-06", 1), ("LIN-06", 2)]
    entry = AuditEntry.objects.get(object_id=str(application.pk), change="create")
    assert entry.changes["choices"] == [None, ["WAS-06", "LIN-06"]]
    assert entry.actor == cw.manager


def test_submit_with_program_objects(cw):
    application = choice.application_submit(
        actor=cw.manager, window=cw.window, student=student(cw), programs=[cw.lin, cw.wash]
    )
    assert application.choices.count() == 2


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (["LIN-06", "WAS-06", "LIN-06"], "named twice"),
        (["WAS-07"], "closed to applications"),
        (["NOPE-01"], "No program with code"),
        ([], "Rank at least one program"),
    ],
)
def test_submit_refuses_bad_choices_and_writes_nothing(cw, codes, message):
    before = (m.Application.objects.count(), m.ApplicationChoice.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as excinfo:
        submit(cw, codes)
    assert message in " ".join(errors_of(excinfo)["program_codes"])
    assert (m.Application.objects.count(), m.ApplicationChoice.objects.count(), AuditEntry.objects.count()) == before


def test_submit_refuses_more_than_twelve(cw):
    for k in range(11):
        f.ChoiceProgramFactory(window=cw.window, school=cw.world.lincoln, code=f"X{k:02d}")
    codes = ["LIN-06", "WAS-06", *[f"X{k:02d}" for k in range(11)]]
    with pytest.raises(ValidationError) as excinfo:
        submit(cw, codes)
    assert "At most 12" in " ".join(errors_of(excinfo)["program_codes"])
    assert not m.Application.objects.exists()
    assert submit(cw, codes[:12]).choices.count() == 12


def test_submit_refuses_a_program_of_another_window(cw):
    with pytest.raises(ValidationError) as excinfo:
        choice.application_submit(
            actor=cw.manager, window=cw.window, student=student(cw), programs=[cw.lin, cw.other_program]
        )
    assert "another application window" in " ".join(errors_of(excinfo)["programs"])


def test_submit_refuses_past_deadline_and_before_opening(cw):
    close_window(cw)
    with pytest.raises(ValidationError) as excinfo:
        submit(cw, ["LIN-06"])
    assert "deadline" in " ".join(errors_of(excinfo)["submitted_at"])
    m.ApplicationWindow.objects.filter(pk=cw.window.pk).update(opens_at=timezone.now() + datetime.timedelta(days=1))
    cw.window.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        submit(cw, ["LIN-06"])
    assert "opens on" in " ".join(errors_of(excinfo)["submitted_at"])
    assert not m.Application.objects.exists()


def test_submit_refuses_a_future_submission_time(cw):
    with pytest.raises(ValidationError) as excinfo:
        submit(cw, ["LIN-06"], submitted_at=timezone.now() + datetime.timedelta(days=1))
    assert "submitted_at" in errors_of(excinfo)


def test_a_student_has_one_application_per_window_and_may_resubmit_after_withdrawing(cw):
    kid = student(cw)
    first = submit(cw, ["LIN-06"], who=kid)
    with pytest.raises(ValidationError) as excinfo:
        submit(cw, ["WAS-06"], who=kid)
    assert "student" in errors_of(excinfo)
    choice.application_withdraw(actor=cw.manager, application=first)
    again = submit(cw, ["WAS-06"], who=kid)
    assert again.pk == first.pk and again.status == "submitted"
    assert list(again.choices.values_list("program__code", flat=True)) == ["WAS-06"]


def test_update_and_withdraw_only_before_the_deadline(cw):
    application = submit(cw, ["LIN-06"])
    updated = choice.application_update(actor=cw.manager, application=application, program_codes=["WAS-06", "LIN-06"])
    assert updated.version == 2
    assert list(updated.choices.order_by("rank").values_list("program__code", flat=True)) == ["WAS-06", "LIN-06"]
    change = AuditEntry.objects.get(object_id=str(application.pk), change="update")
    assert change.changes["choices"] == [["LIN-06"], ["WAS-06", "LIN-06"]]
    with pytest.raises(ValidationError) as excinfo:
        choice.application_update(actor=cw.manager, application=application, program_codes=["LIN-06", "LIN-06"])
    assert "named twice" in " ".join(errors_of(excinfo)["program_codes"])
    close_window(cw)
    with pytest.raises(ValidationError):
        choice.application_update(actor=cw.manager, application=application, program_codes=["LIN-06"])
    with pytest.raises(ValidationError) as excinfo:
        choice.application_withdraw(actor=cw.manager, application=application)
    assert "window" in errors_of(excinfo)
    application.refresh_from_db()
    assert application.status == "submitted" and application.choices.count() == 2


def test_submit_outside_scope_is_refused(cw):
    world = cw.world
    for user in (world.stranger, world.coo, world.other_admin):
        with pytest.raises(PermissionDenied):
            choice.application_submit(actor=user, window=cw.window, student=student(cw), program_codes=["LIN-06"])
    outsider = f.StudentFactory(district=world.other_district)
    with pytest.raises(PermissionDenied):
        choice.application_submit(actor=cw.manager, window=cw.window, student=outsider, program_codes=["LIN-06"])
    assert not m.Application.objects.exists()


# -- priorities ----------------------------------------------------------------------------------


def test_priorities_computed_from_household_and_residence(cw):
    world = cw.world
    household = f.HouseholdFactory(district=world.district)
    sibling = f.StudentFactory(district=world.district, household=household)
    f.EnrollmentFactory(student=sibling, school=world.lincoln, school_year=world.year)  # open: still there in 2027
    left = f.StudentFactory(district=world.district, household=household)
    f.EnrollmentFactory(
        student=left,
        school=world.washington,
        school_year=world.year,
        exit_date=datetime.date(2027, 6, 11),
        exit_code="P1",
    )
    applicant = submit(cw, ["LIN-06", "WAS-06"], who=f.StudentFactory(district=world.district, household=household))
    outsider = applied_outside(cw, ["LIN-06"], world.other_district)
    counts = choice.applicant_priorities_compute(actor=cw.manager, window=cw.window)
    held = set(m.ApplicantPriority.objects.values_list("application_id", "program__code", "kind"))
    assert held == {
        (applicant.pk, "LIN-06", "sibling"),  # sibling enrolled at Lincoln on 2027-08-27
        (applicant.pk, "LIN-06", "resident"),
        (applicant.pk, "WAS-06", "resident"),  # the Washington sibling left before then: no sibling priority
    }
    assert outsider.pk not in {a for a, _p, _k in held}
    assert counts == {"created": 3, "removed": 0}
    assert AuditEntry.objects.filter(content_type__model="applicantpriority", change="create").count() == 3
    assert choice.applicant_priorities_compute(actor=cw.manager, window=cw.window) == {"created": 0, "removed": 0}


def test_recompute_removes_what_data_no_longer_grant_but_keeps_overrides(cw):
    applicant = submit(cw, ["LIN-06", "WAS-06"])
    choice.applicant_priorities_compute(actor=cw.manager, window=cw.window)
    choice.applicant_priority_override(
        actor=cw.manager,
        application=applicant,
        program=cw.wash,
        kind="resident",
        granted=False,
        reason="Family moved out of the district in March",
    )
    m.Student.objects.filter(pk=applicant.student_id).update(district=cw.world.other_district)
    assert choice.applicant_priorities_compute(actor=cw.manager, window=cw.window) == {"created": 0, "removed": 1}
    left = m.ApplicantPriority.objects.get()
    assert (left.program, left.kind, left.is_override, left.granted) == (cw.wash, "resident", True, False)


def test_override_needs_a_reason_and_a_ranked_program(cw):
    applicant = submit(cw, ["LIN-06"])
    with pytest.raises(ValidationError) as excinfo:
        choice.applicant_priority_override(
            actor=cw.manager, application=applicant, program=cw.lin, kind="staff_child", granted=True, reason="  "
        )
    assert "reason" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        choice.applicant_priority_override(
            actor=cw.manager, application=applicant, program=cw.wash, kind="zone", granted=True, reason="Zone map"
        )
    assert "program" in errors_of(excinfo)
    row = choice.applicant_priority_override(
        actor=cw.manager,
        application=applicant,
        program=cw.lin,
        kind="staff_child",
        granted=True,
        reason="Parent teaches at Lincoln",
    )
    assert row.is_override and row.reason == "Parent teaches at Lincoln"
    entry = AuditEntry.objects.get(object_id=str(row.pk), content_type__model="applicantpriority")
    assert entry.changes["reason"] == [None, "Parent teaches at Lincoln"]
    with pytest.raises(PermissionDenied):
        choice.applicant_priority_override(
            actor=cw.world.coo, application=applicant, program=cw.lin, kind="zone", granted=True, reason="x"
        )


# -- the lottery run -----------------------------------------------------------------------------


def grant(cw, application, program, *kinds):
    for kind in kinds:
        choice.applicant_priority_override(
            actor=cw.manager, application=application, program=program, kind=kind, granted=True, reason="test"
        )


@pytest.fixture
def cascade(cw):
    """A holds Lincoln; B holds Washington and waits for Lincoln; C waits for Washington.

    Lincoln and Washington have one seat each; staff-set priorities decide the order.
    """
    m.ChoiceProgram.objects.filter(pk__in=[cw.lin.pk, cw.wash.pk]).update(seats=1)
    cw.a = submit(cw, ["LIN-06"])
    cw.b = submit(cw, ["LIN-06", "WAS-06"])
    cw.c = submit(cw, ["WAS-06"])
    grant(cw, cw.a, cw.lin, "sibling")
    grant(cw, cw.b, cw.lin, "staff_child")
    grant(cw, cw.b, cw.wash, "sibling")
    grant(cw, cw.c, cw.wash, "staff_child")
    close_window(cw)
    cw.run = choice.lottery_run(actor=cw.manager, window=cw.window, kind="final", seed=7)
    return cw


def test_dry_run_writes_only_its_summary(cw):
    for _ in range(3):
        submit(cw, ["LIN-06", "WAS-06"])
    audit_before = AuditEntry.objects.count()
    run = choice.lottery_run(actor=cw.manager, window=cw.window, kind="dry", seed="spring-2027")
    assert run.kind == "dry" and run.seed == "spring-2027" and len(run.input_hash) == 64
    assert not m.Offer.objects.exists() and not m.WaitlistEntry.objects.exists()
    assert AuditEntry.objects.count() == audit_before + 1
    s = run.summary
    assert (s["applicants"], s["matched"], s["unmatched"], s["seats"], s["seats_left"]) == (3, 3, 0, 9, 6)
    assert s["seed"] == "spring-2027" and s["input_hash"] == run.input_hash
    assert {p["code"] for p in s["programs"]} == {"LIN-06", "WAS-06", "WAS-07"}
    again = choice.lottery_run(actor=cw.manager, window=cw.window, kind="dry", seed="spring-2027")
    assert again.input_hash == run.input_hash
    assert again.summary["programs"] == s["programs"]


def test_run_is_reproducible_from_the_published_seed_and_inputs(cw):
    applications = [submit(cw, ["LIN-06", "WAS-06"]) for _ in range(6)]
    close_window(cw)
    run = choice.lottery_run(actor=cw.manager, window=cw.window, kind="final", seed=20270301)
    placed = {o.application_id: o.program.code for o in m.Offer.objects.select_related("program")}
    # Anyone holding the inputs re-runs the pure lottery with the published seed.
    applicants = [Applicant(a.pk, ("LIN-06", "WAS-06")) for a in applications]
    programs = [Program("LIN-06", (), 2), Program("WAS-06", (), 2), Program("WAS-07", (), 5)]
    result = run_lottery(applicants, programs, seed=int(run.seed))
    assert result.input_hash == run.input_hash
    assert {aid: x.program for aid, x in result.assignments.items() if x} == placed


def test_final_run_refused_while_open_and_only_once(cw):
    submit(cw, ["LIN-06"])
    with pytest.raises(ValidationError) as excinfo:
        choice.lottery_run(actor=cw.manager, window=cw.window, kind="final")
    assert "deadline" in " ".join(errors_of(excinfo)["kind"])
    close_window(cw)
    choice.lottery_run(actor=cw.manager, window=cw.window, kind="final")
    with pytest.raises(ValidationError) as excinfo:
        choice.lottery_run(actor=cw.manager, window=cw.window, kind="final")
    assert "already has its final run" in " ".join(errors_of(excinfo)["kind"])
    assert m.LotteryRun.objects.filter(kind="final").count() == 1
    assert choice.lottery_run(actor=cw.manager, window=cw.window, kind="dry").kind == "dry"


def test_one_final_run_is_also_a_database_constraint(cw):
    submit(cw, ["LIN-06"])
    close_window(cw)
    run = choice.lottery_run(actor=cw.manager, window=cw.window, kind="final")
    with pytest.raises(IntegrityError), transaction.atomic():
        m.LotteryRun.objects.create(
            window=cw.window, kind="final", seed="1", input_hash=run.input_hash, ran_at=timezone.now()
        )


def test_run_refuses_bad_input_and_outsiders(cw):
    submit(cw, ["LIN-06"])
    with pytest.raises(ValidationError) as excinfo:
        choice.lottery_run(actor=cw.manager, window=cw.window, kind="sometime")
    assert "kind" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        choice.lottery_run(actor=cw.manager, window=cw.window, tie_breaking="coin")
    assert "tie_breaking" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        choice.lottery_run(actor=cw.manager, window=cw.window, seed="x" * 65)
    assert "seed" in errors_of(excinfo)
    for user in (cw.world.coo, cw.world.stranger, cw.world.other_admin):
        with pytest.raises(PermissionDenied):
            choice.lottery_run(actor=user, window=cw.window)
    assert not m.LotteryRun.objects.exists()


def test_set_asides_beyond_the_seats_are_refused(cw):
    submit(cw, ["LIN-06"])
    f.SeatCategoryFactory(program=cw.lin, name="Siblings", seats=3, eligibility="sibling")
    with pytest.raises(ValidationError) as excinfo:
        choice.lottery_run(actor=cw.manager, window=cw.window)
    assert "sets aside 3 seats" in " ".join(errors_of(excinfo)["window"])


def test_final_run_writes_offers_and_ranked_waitlists(cascade):
    cw = cascade
    offers = {o.application_id: o for o in m.Offer.objects.select_related("program")}
    assert {k: o.program.code for k, o in offers.items()} == {cw.a.pk: "LIN-06", cw.b.pk: "WAS-06"}
    assert offers[cw.b.pk].rank == 2 and offers[cw.b.pk].status == "pending"
    assert offers[cw.a.pk].respond_by == timezone.localdate() + datetime.timedelta(days=14)
    lines = list(
        m.WaitlistEntry.objects.order_by("program__code", "position").values_list(
            "program__code", "position", "application_id", "rank"
        )
    )
    assert lines == [("LIN-06", 1, cw.b.pk, 1), ("WAS-06", 1, cw.c.pk, 1)]
    assert AuditEntry.objects.filter(content_type__model="offer", change="create").count() == 2
    assert AuditEntry.objects.filter(content_type__model="waitlistentry", change="create").count() == 2
    entry = AuditEntry.objects.get(content_type__model="offer", object_id=str(offers[cw.a.pk].pk))
    assert entry.changes["status"] == [None, "pending"] and entry.actor == cw.manager
    assert entry.object_repr == str(offers[cw.a.pk]) and entry.district_key == cw.world.district.pk
    s = cascade.run.summary
    assert (s["offers"], s["waitlist_entries"], s["matched"], s["unmatched"]) == (2, 2, 2, 1)


def test_seat_categories_take_their_priority_holders_first(cw):
    f.SeatCategoryFactory(program=cw.lin, name="Residents", seats=1, fill_order=1, eligibility="resident")
    resident = submit(cw, ["LIN-06"])
    others = [applied_outside(cw, ["LIN-06"], cw.world.other_district) for _ in range(4)]
    for other in others:
        grant(cw, other, cw.lin, "sibling")  # priority points do not open the resident seat to them
    choice.applicant_priorities_compute(actor=cw.manager, window=cw.window)
    run = choice.lottery_run(actor=cw.manager, window=cw.window, seed=3)
    lin = next(p for p in run.summary["programs"] if p["code"] == "LIN-06")
    assert lin["categories"] == [
        {"name": "Residents", "seats": 1, "filled": 1, "seats_left": 0},
        {"name": "open", "seats": 1, "filled": 1, "seats_left": 0},
    ]
    close_window(cw)
    choice.lottery_run(actor=cw.manager, window=cw.window, kind="final", seed=3)
    assert m.Offer.objects.get(application=resident).seat_category == "Residents"


@override_settings(OPS_SMALL_CELL=3)
def test_summary_by_student_group_suppresses_small_groups(cw):
    world = cw.world
    for _ in range(4):
        submit(cw, ["LIN-06"], who=f.StudentFactory(district=world.district, sex="F", race_ethnicity="BL7"))
    for _ in range(3):
        kid = f.StudentFactory(district=world.district, sex="M", race_ethnicity="WH7")
        f.ParticipationFactory(student=kid, program="el", start_date=datetime.date(2025, 9, 1))
        submit(cw, ["LIN-06"], who=kid)
    lone = f.StudentFactory(district=world.district, sex="X", race_ethnicity="AS7")
    f.MealParticipationFactory(student=lone, start_date=datetime.date(2025, 9, 1))
    submit(cw, ["LIN-06"], who=lone)
    run = choice.lottery_run(actor=cw.manager, window=cw.window, seed=1)
    groups = {g["dimension"]: {row["value"]: row for row in g["groups"]} for g in run.summary["groups"]}
    female = groups["sex"]["F"]
    assert female["applicants"] == 4 and female["matched"] + female["unmatched"] == 4 and not female["suppressed"]
    assert groups["sex"]["X"] == {"value": "X", "suppressed": True}
    # One group under the threshold would be worked out from the total: the next smallest goes too.
    assert groups["sex"]["M"] == {"value": "M", "suppressed": True}
    assert groups["english_learner"]["yes"]["applicants"] == 3 and not groups["english_learner"]["yes"]["suppressed"]
    assert groups["meal_eligible"]["yes"] == {"value": "yes", "suppressed": True}
    assert set(groups) == {"race_ethnicity", "sex", "english_learner", "disability", "meal_eligible"}
    assert groups["sex"]["F"]["applicants"] + 4 == run.summary["applicants"]


# -- offers --------------------------------------------------------------------------------------


def test_accepting_enrolls_for_the_placement_year_and_ends_the_current_enrollment(cascade):
    cw = cascade
    world = cw.world
    current = f.EnrollmentFactory(
        student=cw.a.student, school=world.washington, school_year=world.year, grade_level="05"
    )
    offer = choice.offer_accept(actor=cw.manager, offer=offer_of(cw.a))
    assert offer.status == "accepted" and offer.responded_at is not None
    enrollment = offer.enrollment
    assert (enrollment.school, enrollment.school_year, enrollment.grade_level) == (
        world.lincoln,
        cw.placement_year,
        "06",
    )
    assert (enrollment.entry_date, enrollment.entry_code, enrollment.is_primary) == (
        cw.placement_year.start_date,
        "C1",
        True,
    )
    current.refresh_from_db()
    assert (current.exit_date, current.exit_code) == (cw.placement_year.start_date, "T1")
    for model, pk in (("enrollment", enrollment.pk), ("enrollment", current.pk), ("offer", offer.pk)):
        assert AuditEntry.objects.filter(content_type__model=model, object_id=str(pk)).exists()


def test_accepting_from_another_district_ends_that_enrollment_as_a_transfer_out(cascade):
    cw = cascade
    current = f.EnrollmentFactory(student=cw.a.student, school=cw.world.other_school, school_year=cw.world.other_year)
    choice.offer_accept(actor=cw.manager, offer=offer_of(cw.a))
    current.refresh_from_db()
    assert current.exit_code == "T2"


def test_accept_refused_after_the_deadline_or_twice(cascade):
    cw = cascade
    offer = offer_of(cw.a)
    m.Offer.objects.filter(pk=offer.pk).update(respond_by=timezone.localdate() - datetime.timedelta(days=1))
    with pytest.raises(ValidationError) as excinfo:
        choice.offer_accept(actor=cw.manager, offer=offer)
    assert "respond_by" in errors_of(excinfo)
    assert not m.Enrollment.objects.exists()
    m.Offer.objects.filter(pk=offer.pk).update(respond_by=timezone.localdate())
    choice.offer_accept(actor=cw.manager, offer=offer)
    with pytest.raises(ValidationError) as excinfo:
        choice.offer_accept(actor=cw.manager, offer=offer)
    assert "status" in errors_of(excinfo)
    assert m.Enrollment.objects.count() == 1


def test_accept_never_exceeds_the_seats(cascade):
    cw = cascade
    # Two pending offers at Lincoln, which has one seat (seats cut after the run).
    second = m.Offer.objects.create(
        run=cw.run, application=cw.b, program=cw.lin, rank=1, respond_by=timezone.localdate(), status="pending"
    )
    choice.offer_accept(actor=cw.manager, offer=offer_of(cw.a))
    with pytest.raises(ValidationError) as excinfo:
        choice.offer_accept(actor=cw.manager, offer=second)
    assert "Every seat" in " ".join(errors_of(excinfo)["program"])
    assert m.Offer.objects.filter(program=cw.lin, status="accepted").count() == 1
    assert m.Enrollment.objects.filter(school=cw.world.lincoln).count() == 1


def test_answers_outside_scope_are_refused(cascade):
    cw = cascade
    for user in (cw.world.coo, cw.world.stranger, cw.world.other_admin):
        with pytest.raises(PermissionDenied):
            choice.offer_accept(actor=user, offer=offer_of(cw.a))
        with pytest.raises(PermissionDenied):
            choice.offer_decline(actor=user, offer=offer_of(cw.a))
    assert offer_of(cw.a).status == "pending"


def test_declining_moves_the_waitlist_and_cascades(cascade):
    cw = cascade
    choice.offer_decline(actor=cw.manager, offer=offer_of(cw.a))
    # B moves up to Lincoln (their first choice); their Washington offer is superseded and goes to C.
    statuses = {(o.application_id, o.program.code): o.status for o in m.Offer.objects.select_related("program")}
    assert statuses == {
        (cw.a.pk, "LIN-06"): "declined",
        (cw.b.pk, "WAS-06"): "superseded",
        (cw.b.pk, "LIN-06"): "pending",
        (cw.c.pk, "WAS-06"): "pending",
    }
    assert not m.WaitlistEntry.objects.filter(is_active=True).exists()
    moved = offer_of(cw.b)
    assert moved.rank == 1 and moved.respond_by == timezone.localdate() + datetime.timedelta(days=14)
    assert AuditEntry.objects.filter(content_type__model="offer", object_id=str(moved.pk), change="create").exists()
    with pytest.raises(ValidationError) as excinfo:
        choice.offer_decline(actor=cw.manager, offer=m.Offer.objects.get(application=cw.a))
    assert "status" in errors_of(excinfo)


def test_a_superseded_accepted_offer_gives_up_its_enrollment(cascade):
    cw = cascade
    held = choice.offer_accept(actor=cw.manager, offer=offer_of(cw.b))
    enrollment_id = held.enrollment_id
    choice.offer_decline(actor=cw.manager, offer=offer_of(cw.a))
    held.refresh_from_db()
    assert held.status == "superseded" and held.enrollment is None
    assert not m.Enrollment.objects.filter(pk=enrollment_id).exists()
    assert AuditEntry.objects.filter(
        content_type__model="enrollment", object_id=str(enrollment_id), change="delete"
    ).exists()
    offer = choice.offer_accept(actor=cw.manager, offer=offer_of(cw.b))
    assert offer.enrollment.school == cw.world.lincoln


def test_a_superseded_placement_leaves_the_student_where_they_were(cascade):
    cw = cascade
    current = f.EnrollmentFactory(
        student=cw.b.student, school=cw.world.lincoln, school_year=cw.world.year, grade_level="05"
    )
    choice.offer_accept(actor=cw.manager, offer=offer_of(cw.b))
    current.refresh_from_db()
    assert (current.exit_date, current.exit_code) == (cw.placement_year.start_date, "T1")
    # A declines Lincoln; B moves up to it, and gives up the Washington placement before it begins.
    choice.offer_decline(actor=cw.manager, offer=offer_of(cw.a))
    current.refresh_from_db()
    assert (current.exit_date, current.exit_code) == (None, "")
    assert (
        AuditEntry.objects.filter(content_type__model="enrollment", object_id=str(current.pk), change="update").count()
        == 2
    )
    # Accepting the new offer, at the school the student attends, ends the enrollment again as continuing there.
    choice.offer_accept(actor=cw.manager, offer=offer_of(cw.b))
    current.refresh_from_db()
    assert (current.exit_date, current.exit_code) == (cw.placement_year.start_date, "P1")


def test_waitlist_skips_withdrawn_applicants_and_those_holding_better_offers(cascade):
    cw = cascade
    m.Application.objects.filter(pk=cw.b.pk).update(status="withdrawn")
    choice.offer_decline(actor=cw.manager, offer=offer_of(cw.a))
    assert not m.Offer.objects.filter(program=cw.lin, status="pending").exists()
    assert not m.WaitlistEntry.objects.filter(program=cw.lin, is_active=True).exists()


def test_offers_expire_after_their_answer_date_once(cascade):
    cw = cascade
    m.Offer.objects.filter(application=cw.a).update(respond_by=timezone.localdate() - datetime.timedelta(days=1))
    assert offers_expire_task() == 1
    assert m.Offer.objects.get(application=cw.a).status == "expired"
    assert offer_of(cw.b).program == cw.lin  # the freed seat moved down the line
    assert offers_expire_task() == 0
    entry = AuditEntry.objects.filter(content_type__model="offer", change="update", source="system").first()
    assert entry is not None and entry.actor_name == "system"


def test_waitlist_advance_offers_added_seats(cascade):
    cw = cascade
    m.ChoiceProgram.objects.filter(pk=cw.wash.pk).update(seats=2)
    made = choice.waitlist_advance(actor=cw.manager, program=cw.wash)
    assert [o.application for o in made] == [cw.c]
    assert choice.waitlist_advance(actor=cw.manager, program=cw.wash) == []


def test_priority_changes_are_refused_after_the_final_run(cascade):
    cw = cascade
    with pytest.raises(ValidationError):
        choice.applicant_priority_override(
            actor=cw.manager, application=cw.c, program=cw.wash, kind="zone", granted=True, reason="late"
        )
    with pytest.raises(ValidationError):
        choice.applicant_priorities_compute(actor=cw.manager, window=cw.window)


def test_bulk_written_rows_and_audit_match_the_chassis(cw):
    """The bulk path (COPY on PostgreSQL) stores what record-by-record saving would, awkward text included."""
    odd = 'Tab\there, back\\slash, "quote", new\nline'
    f.SeatCategoryFactory(program=cw.lin, name=odd[:60], seats=1, fill_order=1, eligibility="resident")
    kid = student(cw, legal_last_name="D'Angelo\\Ruiz\t", preferred_name="Ana\nMaría")
    applications = [submit(cw, ["LIN-06", "WAS-06"], who=kid)]  # the one resident: the set-aside seat is theirs
    applications += [applied_outside(cw, ["LIN-06"], cw.world.other_district) for _ in range(3)]
    choice.applicant_priorities_compute(actor=cw.manager, window=cw.window)
    close_window(cw)
    choice.lottery_run(actor=cw.manager, window=cw.window, kind="final", seed=11)
    offers = list(m.Offer.objects.select_related("application__student", "program__school"))
    entries = list(m.WaitlistEntry.objects.select_related("application__student", "program__school"))
    priorities = list(
        m.ApplicantPriority.objects.select_related("application__student", "application__window", "program__school")
    )
    assert offers and entries and priorities
    assert m.Offer.objects.get(application=applications[0]).seat_category == odd[:60]
    for entry in entries:  # each waitlist is on record as one audit row listing its entries
        row = AuditEntry.objects.get(
            content_type__model="waitlistentry", object_id=f"run {entry.run_id} program {entry.program_id}"
        )
        assert [entry.pk, entry.position, entry.application_id, entry.rank] in row.changes[
            "entries (id, position, application, rank)"
        ][1]
        assert row.actor == cw.manager and row.district_key == cw.world.district.pk
    for record in (*offers, *priorities):
        entry = AuditEntry.objects.get(content_type__model=type(record)._meta.model_name, object_id=str(record.pk))
        assert entry.change == "create" and entry.actor == cw.manager and entry.source == "system"
        assert entry.changes == audit.diff({}, audit.snapshot(record))
        assert entry.object_repr == str(record)[:200]
        assert entry.district_key == audit.district_of(record) == cw.world.district.pk
        assert record.created_by == cw.manager and record.version == 1
