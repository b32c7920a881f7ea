"""Pages for enrollment records, registered with the chassis."""

from django.utils.translation import gettext_lazy as _

from core.registry import ALL_ACTIONS, READ_ONLY, Pages, pages

from . import choice_views as cv
from . import filtersets as fs
from . import models as m
from .forms import StudentForm
from .views import StudentDetailView

SECTION = _("Enrollment and School Choice")
NO_IMPORT = ALL_ACTIONS - {"import"}

pages.register(
    Pages(
        model=m.Student,
        section=SECTION,
        filterset=fs.StudentFilterSet,
        form=StudentForm,
        fields=StudentForm.Meta.fields,
        list_columns=[
            "legal_last_name",
            "legal_first_name",
            "state_id",
            "grade_level",
            "sex",
            "race_ethnicity",
            "district",
        ],
        import_key="state_id",
        links=[(_("Roster sync"), "enrollment:roster_sync")],
        related_keys={"district": "state_lea_id"},
        import_fields=[f for f in StudentForm.Meta.fields if f != "household"],
        # The student page: the record whole, with each serving department's panels.
        extra_views={"detail": StudentDetailView},
        detail_template="enrollment/student_detail.html",
        detail_exclude=frozenset({"latitude", "longitude"}),
    )
)
pages.register(
    Pages(
        model=m.Household,
        section=SECTION,
        filterset=fs.HouseholdFilterSet,
        fields=["district", "name", "street", "town", "zip_code", "phone", "email", "preferred_language"],
        list_columns=["name", "town", "phone", "preferred_language", "district"],
        actions=NO_IMPORT,
    )
)
pages.register(
    Pages(
        model=m.Guardian,
        section=SECTION,
        filterset=fs.GuardianFilterSet,
        fields=[
            "household",
            "first_name",
            "last_name",
            "relationship",
            "phone",
            "email",
            "preferred_language",
            "is_primary_contact",
        ],
        list_columns=["last_name", "first_name", "household", "relationship", "phone", "is_primary_contact"],
        actions=NO_IMPORT,
    )
)
pages.register(
    Pages(
        model=m.StudentExternalId,
        section=SECTION,
        filterset=fs.StudentExternalIdFilterSet,
        fields=["student", "source", "external_id"],
        list_columns=["external_id", "source", "student"],
        actions=NO_IMPORT,
    )
)
pages.register(
    Pages(
        model=m.ProgramParticipation,
        section=SECTION,
        filterset=fs.ProgramParticipationFilterSet,
        fields=["student", "program", "meal_status", "meal_source", "start_date", "end_date"],
        list_columns=["student", "program", "meal_status", "start_date", "end_date"],
        actions=NO_IMPORT,
    )
)
pages.register(
    Pages(
        model=m.Enrollment,
        section=SECTION,
        filterset=fs.EnrollmentFilterSet,
        fields=[
            "student",
            "school",
            "school_year",
            "grade_level",
            "entry_date",
            "entry_code",
            "exit_date",
            "exit_code",
            "is_primary",
        ],
        list_columns=["student", "school", "grade_level", "entry_date", "exit_date", "is_primary"],
        actions=NO_IMPORT,
    )
)
pages.register(
    Pages(
        model=m.SchoolCapacity,
        section=SECTION,
        filterset=fs.SchoolCapacityFilterSet,
        fields=["school", "school_year", "grade_level", "seats"],
        list_columns=["school", "school_year", "grade_level", "seats"],
        links=[(_("Utilization and projection"), "enrollment:utilization")],
        actions=NO_IMPORT,
    )
)
pages.register(
    Pages(
        model=m.ApplicationWindow,
        section=SECTION,
        filterset=fs.ApplicationWindowFilterSet,
        fields=["district", "name", "school_year", "opens_at", "closes_at", "offer_deadline_days"],
        list_columns=["name", "school_year", "opens_at", "closes_at", "district"],
        actions=NO_IMPORT,
    )
)
pages.register(
    Pages(
        model=m.ChoiceProgram,
        section=SECTION,
        filterset=fs.ChoiceProgramFilterSet,
        fields=["window", "school", "grade_level", "code", "name", "seats", "is_open"],
        list_columns=["code", "name", "school", "grade_level", "seats", "is_open"],
        actions=NO_IMPORT,
    )
)
pages.register(
    Pages(
        model=m.SeatCategory,
        section=SECTION,
        filterset=fs.SeatCategoryFilterSet,
        fields=["program", "name", "seats", "fill_order", "eligibility"],
        list_columns=["program", "name", "seats", "fill_order", "eligibility"],
        actions=NO_IMPORT,
        select_related=["program__school"],
    )
)
pages.register(
    Pages(
        model=m.Application,
        section=SECTION,
        filterset=fs.ApplicationFilterSet,
        list_columns=["student", "window", "submitted_at", "status"],
        actions=READ_ONLY | {"add"},
        extra_views={  # applications are written through the school-choice services
            "add": cv.ApplicationSubmitView,
            "detail": cv.ApplicationDetailView,
            "choices": cv.ApplicationChoicesView,
            "withdraw": cv.ApplicationWithdrawView,
            "priority": cv.PriorityOverrideView,
        },
    )
)
pages.register(
    Pages(
        model=m.ApplicantPriority,
        section=SECTION,
        filterset=fs.ApplicantPriorityFilterSet,
        fields=["application", "program", "kind", "granted", "is_override", "reason"],
        list_columns=["application", "program", "kind", "granted", "is_override"],
        actions=NO_IMPORT,
        select_related=["application__student", "application__window", "program__school"],
    )
)
pages.register(
    Pages(
        model=m.LotteryRun,
        section=SECTION,
        filterset=fs.LotteryRunFilterSet,
        actions=READ_ONLY | {"add"},
        list_columns=["window", "kind", "ran_at", "seed", "input_hash"],
        extra_views={"add": cv.ChoiceWindowsView, "detail": cv.LotteryRunSummaryView},  # add: pick a window to run
    )
)
pages.register(
    Pages(
        model=m.Offer,
        section=SECTION,
        filterset=fs.OfferFilterSet,
        actions=READ_ONLY,
        list_columns=["application", "program", "seat_category", "rank", "status", "respond_by"],
        select_related=["application__student", "application__window", "program__school"],
        detail_template="enrollment/choice/offer_detail.html",
        extra_views={"detail": cv.OfferDetailView, "accept": cv.OfferAcceptView, "decline": cv.OfferDeclineView},
    )
)
pages.register(
    Pages(
        model=m.WaitlistEntry,
        section=SECTION,
        filterset=fs.WaitlistEntryFilterSet,
        actions=READ_ONLY,
        list_columns=["program", "position", "application", "rank", "is_active"],
        select_related=["application__student", "application__window", "program__school"],
    )
)
