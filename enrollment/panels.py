"""Enrollment's panels on the student page: membership, household, programs, school choice, ids.

Each reads through the policy (``ctx.rows``, which is ``restrict()``) and
shows only the fields the viewer may see; each costs the same queries
whatever the length of the student's history.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import policy
from core.panels import Panel, PanelContext, register

from . import choices as c
from . import models as m
from .models import DEPARTMENT

SECTION = gettext_lazy("Enrollment and School Choice")


def _url(name):
    return lambda obj: reverse(f"enrollment:{name}", args=[obj.pk])


def enrollment_history(ctx: PanelContext) -> dict:
    enrollments = ctx.rows(m.Enrollment).filter(student=ctx.student).select_related("school", "school_year")
    table = ctx.table(
        m.Enrollment,
        ["school", "school_year", "grade_level", "entry_date", "entry_code", "exit_date", "exit_code", "is_primary"],
        enrollments.order_by("-entry_date", "-pk"),
        _("Enrollments, latest first"),
        url=_url("enrollment_detail"),
        empty=_("No enrollments on record."),
    )
    return {"tables": [table]}


def household(ctx: PanelContext) -> dict:
    student = ctx.student
    if student.household_id is None:
        return {"household": None}
    home = ctx.rows(m.Household).filter(pk=student.household_id).first()
    if home is None:
        return {"household": None}
    fields = ctx.columns(m.Household, ["name", "street", "town", "zip_code", "phone", "email", "preferred_language"])
    tables = []
    if ctx.may_read(m.Guardian):  # contacts: not every department that reads the household holds them
        guardians = ctx.table(
            m.Guardian,
            ["last_name", "first_name", "relationship", "phone", "email", "preferred_language", "is_primary_contact"],
            ctx.rows(m.Guardian).filter(household_id=home.pk),
            _("Guardians and how to reach them"),
            url=_url("guardian_detail"),
            empty=_("No guardians on record."),
            caption_shown=True,
        )
        tables.append(guardians)
    siblings = ctx.table(
        m.Student,
        ["legal_last_name", "legal_first_name", "grade_level"],
        ctx.rows(m.Student).filter(household_id=home.pk).exclude(pk=student.pk),
        _("Other students of the household"),
        url=_url("student_detail"),
        empty=_("No other students of the household on record."),
        caption_shown=True,
    )
    return {
        "household": home,
        "url": reverse("enrollment:household_detail", args=[home.pk]),
        "fields": [(f.label, value) for f, value in zip(fields, ctx.values(home, fields), strict=True)],
        "tables": [*tables, siblings],
    }


def programs(ctx: PanelContext) -> dict:
    spells = ctx.rows(m.ProgramParticipation).filter(student=ctx.student).order_by("program", "-start_date", "pk")
    table = ctx.table(
        m.ProgramParticipation,
        ["program", "meal_status", "meal_source", "start_date", "end_date"],
        spells,
        _("Program spells"),
        url=_url("programparticipation_detail"),
        empty=_("No program spells on record that you may see."),
    )
    # Said to whoever does not administer every class of spell, whatever this student has, and naming none.
    classes = policy.scope_for(ctx.user).data_classes()
    note = ""
    if any(cls and cls not in classes for cls in c.PROGRAM_CLASS.values()):
        note = _("Spells of sensitive data classes are listed only for the program roles that administer them.")
    return {"tables": [table], "note": note}


def school_choice(ctx: PanelContext) -> dict:
    student = ctx.student
    # An application's ranked choices go with it (they have no access rule of their own), as on its page.
    ranked = Prefetch("choices", queryset=m.ApplicationChoice.objects.select_related("program__school"))
    applications = (
        ctx.rows(m.Application)
        .filter(student=student)
        .select_related("window__school_year")
        .prefetch_related(ranked)
        .order_by("-submitted_at", "pk")
    )

    def choices_text(application):
        return "; ".join(f"{ch.rank}. {ch.program} ({ch.program.school})" for ch in application.choices.all())

    offers = (
        ctx.rows(m.Offer)
        .filter(application__student=student)
        .select_related("program__school", "application__window")
        .order_by("-respond_by", "pk")
    )
    lines = (
        ctx.rows(m.WaitlistEntry)
        .filter(application__student=student)
        .select_related("program__school", "application__window")
        .order_by("rank", "pk")
    )
    return {
        "tables": [
            ctx.table(
                m.Application,
                ["window", "submitted_at", "status"],
                applications,
                _("Applications"),
                url=_url("application_detail"),
                extra=[(_("ranked choices"), choices_text)],
                empty=_("No applications on record that you may see."),
                caption_shown=True,
            ),
            ctx.table(
                m.Offer,
                ["program", "seat_category", "rank", "status", "respond_by"],
                offers,
                _("Offers"),
                url=_url("offer_detail"),
                extra=[
                    (_("school"), lambda offer: offer.program.school),
                    (_("window"), lambda o: o.application.window),
                ],
                empty=_("No offers on record that you may see."),
                caption_shown=True,
            ),
            ctx.table(
                m.WaitlistEntry,
                ["program", "position", "rank", "is_active"],
                lines,
                _("Places on waitlists"),
                extra=[(_("school"), lambda line: line.program.school)],
                empty=_("Not on any waitlist that you may see."),
                caption_shown=True,
            ),
        ]
    }


def external_ids(ctx: PanelContext) -> dict:
    ids = ctx.rows(m.StudentExternalId).filter(student=ctx.student).order_by("source", "external_id")
    table = ctx.table(
        m.StudentExternalId,
        ["source", "external_id"],
        ids,
        _("Ids in other systems"),
        url=_url("studentexternalid_detail"),
        empty=_("No ids in other systems on record."),
    )
    return {"tables": [table]}


register(
    Panel(
        key="enrollment-history",
        department=DEPARTMENT,
        section=SECTION,
        title=gettext_lazy("Enrollment history"),
        reads=(m.Enrollment,),
        build=enrollment_history,
        order=10,
    )
)
register(
    Panel(
        key="enrollment-household",
        department=DEPARTMENT,
        section=SECTION,
        title=gettext_lazy("Household and guardians"),
        reads=(m.Household, m.Student),
        also_reads=(m.Guardian,),
        template="enrollment/panels/household.html",
        build=household,
        order=20,
    )
)
register(
    Panel(
        key="enrollment-programs",
        department=DEPARTMENT,
        section=SECTION,
        title=gettext_lazy("Programs"),
        reads=(m.ProgramParticipation,),
        build=programs,
        order=30,
    )
)
register(
    Panel(
        key="enrollment-choice",
        department=DEPARTMENT,
        section=SECTION,
        title=gettext_lazy("School choice: applications and offers"),
        reads=(m.Application, m.Offer, m.WaitlistEntry),
        build=school_choice,
        order=40,
    )
)
register(
    Panel(
        key="enrollment-ids",
        department=DEPARTMENT,
        section=SECTION,
        title=gettext_lazy("Ids in other systems"),
        reads=(m.StudentExternalId,),
        build=external_ids,
        order=50,
    )
)
