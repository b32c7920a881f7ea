"""Enrollment's workspace: applications to verify, offers about to expire, roster findings, main actions."""

from __future__ import annotations

import datetime

from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import workspace
from core.choices import Action
from core.display import display
from district.choices import DepartmentCode

from . import choices as c
from .models import ApplicantPriority, Application, Enrollment, LotteryRun, Offer, SchoolCapacity, Student

DEPARTMENT = DepartmentCode.ENROLLMENT.value
OFFER_WARNING_DAYS = 7  # an offer whose answer is due within this many days is about to expire

workspace.register_department(
    workspace.Department(code=DEPARTMENT, label=DepartmentCode.ENROLLMENT.label, apps=("enrollment",), order=10)
)


def applications_to_verify(ctx, rows):
    """Submitted applications in a window not yet drawn that hold no granted priority.

    The data grant sibling and resident priorities; zone and staff-child
    claims, and applicants the data do not place in the district, are checked
    by staff before the lottery.
    """
    drawn = LotteryRun.objects.filter(window=OuterRef("window"), kind=c.RunKind.FINAL)
    granted = ApplicantPriority.objects.filter(application=OuterRef("pk"), granted=True)
    return (
        rows.filter(status=c.ApplicationStatus.SUBMITTED)
        .filter(~Exists(drawn), ~Exists(granted))
        .select_related("student", "window")
        .order_by("submitted_at", "pk")
    )


def offers_expiring(ctx, rows):
    """Offers still awaiting an answer that is due within the coming week (today included)."""
    until = ctx.today + datetime.timedelta(days=OFFER_WARNING_DAYS)
    return (
        rows.filter(status=c.OfferStatus.PENDING, respond_by__gte=ctx.today, respond_by__lte=until)
        .select_related("application__student", "program__school")
        .order_by("respond_by", "pk")
    )


def roster_findings(ctx, rows):
    """Current enrollments whose student lacks what state files need, or whose grades disagree."""
    missing = Q(student__state_id__isnull=True) | Q(student__race_ethnicity="")
    return (
        rows.active_on(ctx.today)
        .filter(missing | ~Q(grade_level=F("student__grade_level")))
        .select_related("student", "school")
        .order_by("school__name", "student__legal_last_name", "student__legal_first_name", "pk")
    )


def finding(enrollment: Enrollment) -> str:
    """What is wrong with the enrollment's record, in words."""
    student = enrollment.student
    problems = []
    if not student.state_id:
        problems.append(_("no state student id"))
    if not student.race_ethnicity:
        problems.append(_("no race/ethnicity"))
    if student.grade_level != enrollment.grade_level:
        problems.append(
            _("the student record says %(student)s, the enrollment %(enrollment)s")
            % {"student": display(student, "grade_level"), "enrollment": display(enrollment, "grade_level")}
        )
    return "; ".join(str(p) for p in problems)


def _list(url_name: str):
    return lambda ctx: reverse(url_name)


workspace.register_queue(
    workspace.Queue(
        key="applications-to-verify",
        department=DEPARTMENT,
        title=gettext_lazy("Applications to verify"),
        description=gettext_lazy(
            "Submitted before the lottery with no priority granted: check zone, sibling, staff-child "
            "and residence claims."
        ),
        model=Application,
        action=Action.CHANGE,
        select=applications_to_verify,
        columns=(
            (gettext_lazy("Student"), lambda a: a.student),
            (gettext_lazy("Application window"), lambda a: a.window),
            (gettext_lazy("Submitted"), lambda a: a.submitted_at),
        ),
        url=lambda a: reverse("enrollment:application_detail", args=[a.pk]),
        more_url=_list("enrollment:application_list"),
        more_label=gettext_lazy("All applications"),
        empty=gettext_lazy("No application waits to be verified."),
        order=10,
    )
)
workspace.register_queue(
    workspace.Queue(
        key="offers-expiring",
        department=DEPARTMENT,
        title=gettext_lazy("Offers about to expire"),
        description=gettext_lazy("Offers awaiting an answer due within a week: remind the family."),
        model=Offer,
        action=Action.CHANGE,
        select=offers_expiring,
        columns=(
            (gettext_lazy("Student"), lambda o: o.application.student),
            (gettext_lazy("Program"), lambda o: o.program),
            (gettext_lazy("Answer by"), lambda o: o.respond_by),
        ),
        url=lambda o: reverse("enrollment:offer_detail", args=[o.pk]),
        more_url=_list("enrollment:offer_list"),
        more_label=gettext_lazy("All offers"),
        empty=gettext_lazy("No offer expires this week."),
        order=20,
    )
)
workspace.register_queue(
    workspace.Queue(
        key="roster-findings",
        department=DEPARTMENT,
        title=gettext_lazy("Roster findings"),
        description=gettext_lazy(
            "Current enrollments whose student has no state id or race/ethnicity, or another grade: "
            "state files count them wrong until fixed."
        ),
        model=Enrollment,
        action=Action.CHANGE,
        select=roster_findings,
        columns=(
            (gettext_lazy("Student"), lambda e: e.student),
            (gettext_lazy("School"), lambda e: e.school),
            (gettext_lazy("Finding"), finding),
        ),
        url=lambda e: reverse("enrollment:student_detail", args=[e.student_id]),
        more_url=_list("enrollment:enrollment_list"),
        more_label=gettext_lazy("All enrollments"),
        empty=gettext_lazy("No finding on the current roster."),
        order=30,
    )
)

for key, label, url_name, model, action, order in (
    ("enrollment-roster-sync", gettext_lazy("Sync the roster"), "enrollment:roster_sync", Enrollment, Action.ADD, 10),
    ("enrollment-add-student", gettext_lazy("Add a student"), "enrollment:student_add", Student, Action.ADD, 20),
    (
        "enrollment-lottery",
        gettext_lazy("Choice windows and lottery"),
        "enrollment:choice_windows",
        LotteryRun,
        Action.ADD,
        30,
    ),
    (
        "enrollment-utilization",
        gettext_lazy("Utilization and projection"),
        "enrollment:utilization",
        SchoolCapacity,
        Action.CHANGE,
        40,
    ),
):
    workspace.register_action(
        workspace.WorkAction(
            key=key, department=DEPARTMENT, label=label, url_name=url_name, model=model, action=action, order=order
        )
    )
