"""Students, households, program participation, membership, capacity and school choice."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import policy
from core.choices import DataClass, FieldGroup, Kind
from core.fields import check_coordinates, latitude_field, longitude_field
from core.models import TrackedModel

from . import choices as c
from .querysets import EnrollmentQuerySet, ParticipationQuerySet, StudentQuerySet

DEPARTMENT = "enrollment"
sasid_validator = RegexValidator(r"^\d{10}$", _("A state student id (SASID) is ten digits."))


class Household(TrackedModel):
    """A family's home: where its students live and how to reach it."""

    district = models.ForeignKey(
        "district.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="households"
    )
    name = models.CharField(_("household name"), max_length=150)
    street = models.CharField(_("street address"), max_length=200, blank=True)
    town = models.CharField(_("town"), max_length=100, blank=True)
    zip_code = models.CharField(
        _("ZIP code"),
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^\d{5}(-\d{4})?$", _("Five digits, or ZIP+4."))],
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=40, blank=True)

    access = policy.AccessRule(
        kind=Kind.STUDENT,
        district_path="district",
        student_path="students",
        department=DEPARTMENT,
        multi_valued=True,
        record_groups=(FieldGroup.CONTACT, FieldGroup.ADDRESS),
    )
    student_level = True
    # Where the household lives, and how to reach it; its name goes with either.
    field_groups = {
        "street": FieldGroup.ADDRESS,
        "town": FieldGroup.ADDRESS,
        "zip_code": FieldGroup.ADDRESS,
        "phone": FieldGroup.CONTACT,
        "email": FieldGroup.CONTACT,
        "preferred_language": FieldGroup.CONTACT,
    }

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.name


class Guardian(TrackedModel):
    """A parent or guardian of a household's students."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="guardians"
    )
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=80)
    relationship = models.CharField(_("relationship"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=40, blank=True)
    is_primary_contact = models.BooleanField(_("primary contact"), default=False)

    access = policy.AccessRule(
        kind=Kind.STUDENT,
        district_path="household__district",
        student_path="household__students",
        department=DEPARTMENT,
        multi_valued=True,
        record_groups=(FieldGroup.CONTACT,),
    )
    student_level = True

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Student(TrackedModel):
    """A student, or a prospective student (an applicant with no enrollment yet)."""

    district = models.ForeignKey(
        "district.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="students"
    )
    state_id = models.CharField(
        _("state student id (SASID)"),
        max_length=10,
        null=True,
        blank=True,
        validators=[sasid_validator],
        help_text=_("May be empty for a new or out-of-district applicant until the state assigns it."),
    )
    local_id = models.CharField(_("local id"), max_length=20, blank=True)
    legal_first_name = models.CharField(_("legal first name"), max_length=80)
    legal_middle_name = models.CharField(_("legal middle name"), max_length=80, blank=True)
    legal_last_name = models.CharField(_("legal last name"), max_length=80)
    preferred_name = models.CharField(_("preferred name"), max_length=80, blank=True)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=c.Sex.choices)
    hispanic = models.BooleanField(_("Hispanic or Latino"), default=False)
    races = models.CharField(
        _("races"),
        max_length=40,
        blank=True,
        help_text=_("Federal race codes, separated by spaces: AM7 AS7 BL7 PI7 WH7."),
    )
    race_ethnicity = models.CharField(
        _("race/ethnicity (federal)"), max_length=3, choices=c.RaceEthnicity.choices, blank=True, editable=False
    )
    grade_level = models.CharField(_("grade level"), max_length=2, choices=c.GradeLevel.choices)
    home_language = models.CharField(_("home language"), max_length=40, blank=True)
    directory_opt_out = models.BooleanField(_("directory information withheld"), default=False)
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="students",
    )
    street = models.CharField(_("street address"), max_length=200, blank=True)
    resident_town = models.CharField(_("resident town"), max_length=100, blank=True)
    latitude = latitude_field()
    longitude = longitude_field()

    objects = StudentQuerySet.as_manager()
    access = policy.AccessRule(
        kind=Kind.STUDENT,
        district_path="district",
        student_path="pk",
        department=DEPARTMENT,
        record_groups=(FieldGroup.IDENTITY_SCHOOL,),
    )
    student_level = True
    # The rest is identity and school.
    field_groups = {
        "street": FieldGroup.ADDRESS,
        "resident_town": FieldGroup.ADDRESS,
        "latitude": FieldGroup.ADDRESS,
        "longitude": FieldGroup.ADDRESS,
    }

    class Meta:
        ordering = ["legal_last_name", "legal_first_name", "id"]
        verbose_name = _("student")
        verbose_name_plural = _("students")
        indexes = [
            models.Index(fields=["district", "legal_last_name"], name="student_district_name_idx"),
            models.Index(fields=["local_id"], name="student_local_id_idx"),
        ]
        # A state id is unique within a district, not across the state: a student who
        # moves has a record in each district, and one district's records never
        # answer for another's.
        constraints = [
            models.UniqueConstraint(
                fields=["state_id", "district"],
                name="student_state_id_unique_per_district",
                violation_error_message=_("Another student of this district has this state id."),
            )
        ]

    def __str__(self) -> str:
        first = self.preferred_name or self.legal_first_name
        return f"{self.legal_last_name}, {first}"

    def race_codes(self) -> list[str]:
        return [code for code in (self.races or "").upper().replace(",", " ").split() if code]

    def get_races_display(self) -> str:
        """The races by their labels ("Black or African American, White"); an unknown code as it is."""
        labels = dict(c.Race.choices)
        return ", ".join(str(labels.get(code, code)) for code in self.race_codes())

    @property
    def full_name(self) -> str:
        """The legal name in reading order."""
        parts = (self.legal_first_name, self.legal_middle_name, self.legal_last_name)
        return " ".join(part for part in parts if part)

    def clean(self):
        codes = self.race_codes()
        unknown = [code for code in codes if code not in RACE_CODES]
        if unknown:
            raise ValidationError({"races": _("Unknown race codes: %(codes)s.") % {"codes": ", ".join(unknown)}})
        self.races = " ".join(sorted(set(codes)))
        self.race_ethnicity = federal_race_ethnicity(self.hispanic, codes)
        if self.state_id == "":
            self.state_id = None
        check_coordinates(self)
        if isinstance(self.birth_date, datetime.date) and self.birth_date > timezone.localdate():
            raise ValidationError({"birth_date": _("The birth date is in the future.")})


RACE_CODES = frozenset(c.Race.values)


def federal_race_ethnicity(hispanic: bool, races: list[str]) -> str:
    """The seven-category code: Hispanic first, then two or more races, then the one race."""
    if hispanic:
        return c.RaceEthnicity.HISPANIC
    unique = sorted(set(races))
    if len(unique) > 1:
        return c.RaceEthnicity.MULTIRACIAL
    return unique[0] if unique else ""


class StudentExternalId(TrackedModel):
    """A student's id in another system, so integrations can match without a state id."""

    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.CASCADE, related_name="external_ids"
    )
    source = models.CharField(_("source system"), max_length=20, choices=c.ExternalSource.choices)
    external_id = models.CharField(_("id in that system"), max_length=64)
    # The student's district, copied by clean(): ids are unique per district (each
    # district runs its own systems), so another district's ids never clash.
    district = models.ForeignKey(
        "district.District",
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="student_external_ids",
        editable=False,
    )

    access = policy.AccessRule(
        kind=Kind.STUDENT,
        district_path="student__district",
        student_path="student",
        department=DEPARTMENT,
        record_groups=(FieldGroup.IDENTITY_SCHOOL,),
    )
    student_level = True

    class Meta:
        ordering = ["source", "external_id"]
        verbose_name = _("external student id")
        verbose_name_plural = _("external student ids")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id", "district"],
                name="external_id_unique_per_district",
                violation_error_message=_("Another student of this district has this id in that system."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"

    def clean(self):
        if self.student_id:
            self.district_id = self.student.district_id


class ProgramParticipation(TrackedModel):
    """A dated spell in a program: English learner, IDEA, Section 504, or school meals.

    Reports count students as of a date, so every spell has a start and an
    end (empty while it lasts). A spell in a program tied to a sensitive data
    class is seen per student only by the role that administers that class.
    """

    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.CASCADE, related_name="participations"
    )
    program = models.CharField(_("program"), max_length=12, choices=c.Program.choices)
    data_class = models.CharField(_("data class"), max_length=12, choices=DataClass.choices, blank=True, editable=False)
    meal_status = models.CharField(_("meal eligibility"), max_length=8, choices=c.MealStatus.choices, blank=True)
    meal_source = models.CharField(_("eligibility source"), max_length=12, choices=c.MealSource.choices, blank=True)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)

    objects = ParticipationQuerySet.as_manager()
    sensitive_fields = {"meal_status": DataClass.MEALS, "meal_source": DataClass.MEALS}
    access = policy.AccessRule(
        kind=Kind.STUDENT,
        district_path="student__district",
        student_path="student",
        department=DEPARTMENT,
        row_class_field="data_class",
        record_groups=(FieldGroup.PROGRAM_NEEDS,),
    )
    student_level = True

    class Meta:
        ordering = ["student", "program", "-start_date"]
        verbose_name = _("program participation")
        verbose_name_plural = _("program participations")
        indexes = [models.Index(fields=["program", "start_date", "end_date"], name="participation_dates_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="participation_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.get_program_display()}"

    def derived_row_class(self) -> str:
        """The sensitive class of the spell, from its program (read by the policy before validation)."""
        return c.PROGRAM_CLASS.get(self.program, "")

    def clean(self):
        self.data_class = self.derived_row_class()
        errors = {}
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end comes before the start.")
        if self.program == c.Program.MEALS:
            if not self.meal_status:
                errors["meal_status"] = _("Say whether the student is eligible for free or reduced-price meals.")
            if not self.meal_source:
                errors["meal_source"] = _("Say how eligibility was established.")
        elif self.meal_status or self.meal_source:
            errors["meal_status"] = _("Meal eligibility belongs only to the school meals program.")
        if self.student_id and self.program and self.start_date:
            overlapping = (
                ProgramParticipation.objects.filter(student_id=self.student_id, program=self.program)
                .exclude(pk=self.pk)
                .overlapping(self.start_date, self.end_date)
            )
            if overlapping.exists():
                errors["start_date"] = _("This spell overlaps another spell in the same program.")
        if errors:
            raise ValidationError(errors)


class Enrollment(TrackedModel):
    """Membership: a student at a school, in a grade, from an entry date to an exit date."""

    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.PROTECT, related_name="enrollments"
    )
    school = models.ForeignKey(
        "district.School", verbose_name=_("school"), on_delete=models.PROTECT, related_name="enrollments"
    )
    school_year = models.ForeignKey(
        "district.SchoolYear", verbose_name=_("school year"), on_delete=models.PROTECT, related_name="enrollments"
    )
    grade_level = models.CharField(_("grade"), max_length=2, choices=c.GradeLevel.choices)
    entry_date = models.DateField(_("entry date"))
    entry_code = models.CharField(_("entry code"), max_length=2, choices=c.EntryCode.choices)
    exit_date = models.DateField(_("exit date"), null=True, blank=True)
    exit_code = models.CharField(_("exit code"), max_length=2, choices=c.ExitCode.choices, blank=True)
    is_primary = models.BooleanField(
        _("primary enrollment"),
        default=True,
        help_text=_("A student has one primary enrollment at a time; others are secondary (dual enrollment)."),
    )

    objects = EnrollmentQuerySet.as_manager()
    # At its school, while a school of the user's serves its student (so a school
    # keeps the history of the students it serves, not of those who left).
    access = policy.AccessRule(
        kind=Kind.STUDENT,
        district_path="school__district",
        school_path="school",
        student_path="student",
        department=DEPARTMENT,
        record_groups=(FieldGroup.IDENTITY_SCHOOL,),
    )
    student_level = True

    class Meta:
        ordering = ["-entry_date", "id"]
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        indexes = [
            models.Index(fields=["school", "entry_date", "exit_date"], name="enrollment_school_dates_idx"),
            models.Index(fields=["student", "entry_date"], name="enrollment_student_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(exit_date__isnull=True) | models.Q(exit_date__gte=models.F("entry_date")),
                name="enrollment_dates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(exit_date__isnull=True) | ~models.Q(exit_code=""), name="enrollment_exit_has_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.school} · {self.get_grade_level_display()}"

    def clean(self):
        errors = {}
        # clean() runs even after a field failed its own check: a date that is not a date is left to that error.
        entry = self.entry_date if isinstance(self.entry_date, datetime.date) else None
        exit_date = self.exit_date if isinstance(self.exit_date, datetime.date) else None
        if exit_date and entry and exit_date < entry:
            errors["exit_date"] = _("The exit date comes before the entry date.")
        if self.exit_date and not self.exit_code:
            errors["exit_code"] = _("Give the reason the student left.")
        if self.exit_code and not self.exit_date:
            errors["exit_date"] = _("Give the date the student left.")
        if self.school_year_id and entry:
            year = self.school_year
            if not (year.start_date <= entry <= year.end_date):
                errors["entry_date"] = _("The entry date falls outside the school year.")
            if self.school_id and self.school.district_id != year.district_id:
                errors["school_year"] = _("The school year belongs to another district.")
        if self.is_primary and self.student_id and entry and not errors:
            clash = (
                Enrollment.objects.filter(student_id=self.student_id, is_primary=True)
                .exclude(pk=self.pk)
                .overlapping(entry, exit_date)
                .first()
            )
            if clash:
                errors["entry_date"] = _("The student already has a primary enrollment then: %(other)s.") % {
                    "other": clash
                }
        if errors:
            raise ValidationError(errors)


class SchoolCapacity(TrackedModel):
    """Seats at a school for one grade in one year: the one definition of capacity."""

    school = models.ForeignKey(
        "district.School", verbose_name=_("school"), on_delete=models.CASCADE, related_name="capacities"
    )
    school_year = models.ForeignKey(
        "district.SchoolYear", verbose_name=_("school year"), on_delete=models.PROTECT, related_name="capacities"
    )
    grade_level = models.CharField(_("grade"), max_length=2, choices=c.GradeLevel.choices)
    seats = models.PositiveIntegerField(_("seats"))

    access = policy.AccessRule(
        kind=Kind.DEPARTMENT, district_path="school__district", school_path="school", department=DEPARTMENT
    )

    class Meta:
        ordering = ["school", "school_year", "grade_level"]
        verbose_name = _("school capacity")
        verbose_name_plural = _("school capacities")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_year", "grade_level"], name="capacity_unique_school_year_grade"
            )
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.school_year} {self.get_grade_level_display()}: {self.seats}"


class ApplicationWindow(TrackedModel):
    """A choice round: when applications open and close, and when the lottery runs."""

    district = models.ForeignKey(
        "district.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="application_windows"
    )
    name = models.CharField(_("name"), max_length=120)
    school_year = models.ForeignKey(
        "district.SchoolYear",
        verbose_name=_("placement year"),
        on_delete=models.PROTECT,
        related_name="application_windows",
    )
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("deadline"))
    offer_deadline_days = models.PositiveSmallIntegerField(_("days to answer an offer"), default=14)

    access = policy.AccessRule(kind=Kind.DEPARTMENT, district_path="district", department=DEPARTMENT)

    class Meta:
        ordering = ["-opens_at", "id"]
        verbose_name = _("application window")
        verbose_name_plural = _("application windows")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("The deadline must come after the opening.")})


class ChoiceProgram(TrackedModel):
    """A program families can choose: a school, a grade, a year, and its seats."""

    window = models.ForeignKey(
        ApplicationWindow, verbose_name=_("application window"), on_delete=models.PROTECT, related_name="programs"
    )
    school = models.ForeignKey(
        "district.School", verbose_name=_("school"), on_delete=models.PROTECT, related_name="choice_programs"
    )
    grade_level = models.CharField(_("grade"), max_length=2, choices=c.GradeLevel.choices)
    code = models.CharField(_("program code"), max_length=30)
    name = models.CharField(_("name"), max_length=150, blank=True)
    seats = models.PositiveIntegerField(_("seats"))
    is_open = models.BooleanField(_("open for applications"), default=True)

    access = policy.AccessRule(
        kind=Kind.DEPARTMENT, district_path="school__district", school_path="school", department=DEPARTMENT
    )

    class Meta:
        ordering = ["window", "code"]
        verbose_name = _("choice program")
        verbose_name_plural = _("choice programs")
        constraints = [models.UniqueConstraint(fields=["window", "code"], name="choice_program_code_unique")]

    def __str__(self) -> str:
        return self.name or f"{self.school} {self.get_grade_level_display()}"

    def clean(self):
        if self.window_id and self.school_id and self.window.district_id != self.school.district_id:
            raise ValidationError({"school": _("The school belongs to another district than the window.")})


class SeatCategory(TrackedModel):
    """Seats set aside within a program, filled in ``fill_order`` before open seats."""

    program = models.ForeignKey(
        ChoiceProgram, verbose_name=_("program"), on_delete=models.CASCADE, related_name="seat_categories"
    )
    name = models.CharField(_("name"), max_length=60)
    seats = models.PositiveIntegerField(_("seats"))
    fill_order = models.PositiveSmallIntegerField(_("fill order"), default=1)
    eligibility = models.CharField(_("who is eligible"), max_length=20, choices=c.PriorityKind.choices)

    access = policy.AccessRule(
        kind=Kind.DEPARTMENT,
        district_path="program__school__district",
        school_path="program__school",
        department=DEPARTMENT,
    )

    class Meta:
        ordering = ["program", "fill_order", "id"]
        verbose_name = _("seat category")
        verbose_name_plural = _("seat categories")
        constraints = [models.UniqueConstraint(fields=["program", "name"], name="seat_category_unique_name")]

    def __str__(self) -> str:
        return f"{self.program} · {self.name} ({self.seats})"


class Application(TrackedModel):
    """One applicant's ranked choices in a window (up to 12)."""

    window = models.ForeignKey(
        ApplicationWindow, verbose_name=_("application window"), on_delete=models.PROTECT, related_name="applications"
    )
    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.PROTECT, related_name="applications"
    )
    submitted_at = models.DateTimeField(_("submitted"))
    status = models.CharField(
        _("status"), max_length=10, choices=c.ApplicationStatus.choices, default=c.ApplicationStatus.SUBMITTED
    )
    programs = models.ManyToManyField(
        ChoiceProgram, verbose_name=_("ranked programs"), through="ApplicationChoice", related_name="applications"
    )

    # At the schools its ranked choices name.
    access = policy.AccessRule(
        kind=Kind.STUDENT,
        district_path="window__district",
        school_path="choices__program__school",
        department=DEPARTMENT,
        multi_valued=True,
    )
    student_level = True

    class Meta:
        ordering = ["-submitted_at", "id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [models.UniqueConstraint(fields=["window", "student"], name="application_one_per_window")]

    def __str__(self) -> str:
        return f"{self.student} · {self.window}"


class ApplicationChoice(models.Model):
    """A ranked program on an application (rank 1 is the first choice)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="choices", verbose_name=_("application")
    )
    program = models.ForeignKey(
        ChoiceProgram, on_delete=models.PROTECT, related_name="choices", verbose_name=_("program")
    )
    rank = models.PositiveSmallIntegerField(_("rank"), validators=[MinValueValidator(1), MaxValueValidator(12)])

    class Meta:
        verbose_name = _("ranked choice")
        verbose_name_plural = _("ranked choices")
        ordering = ["application", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["application", "rank"], name="choice_rank_unique"),
            models.UniqueConstraint(fields=["application", "program"], name="choice_program_once"),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.program}"


class ApplicantPriority(TrackedModel):
    """A priority an applicant holds at a program, computed from data or set by staff with a reason."""

    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="priorities"
    )
    program = models.ForeignKey(
        ChoiceProgram, verbose_name=_("program"), on_delete=models.CASCADE, related_name="priorities"
    )
    kind = models.CharField(_("priority"), max_length=20, choices=c.PriorityKind.choices)
    is_override = models.BooleanField(_("set by staff"), default=False)
    granted = models.BooleanField(_("granted"), default=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    access = policy.AccessRule(
        kind=Kind.STUDENT,
        district_path="application__window__district",
        school_path="program__school",
        department=DEPARTMENT,
    )
    student_level = True

    class Meta:
        ordering = ["application", "program", "kind"]
        verbose_name = _("applicant priority")
        verbose_name_plural = _("applicant priorities")
        constraints = [models.UniqueConstraint(fields=["application", "program", "kind"], name="priority_unique")]

    def __str__(self) -> str:
        return f"{self.application} · {self.program} · {self.get_kind_display()}"

    def clean(self):
        if self.is_override and not self.reason.strip():
            raise ValidationError({"reason": _("A priority set by staff needs the reason, for the record.")})


class LotteryRun(TrackedModel):
    """One run of the lottery on a window: its seed, input hash and summary."""

    window = models.ForeignKey(
        ApplicationWindow, verbose_name=_("application window"), on_delete=models.PROTECT, related_name="lottery_runs"
    )
    kind = models.CharField(_("kind"), max_length=5, choices=c.RunKind.choices)
    seed = models.CharField(_("seed"), max_length=64)
    input_hash = models.CharField(_("input SHA-256"), max_length=64)
    tie_breaking = models.CharField(_("tie-breaking"), max_length=8, default="single")
    summary = models.JSONField(_("summary"), default=dict)
    ran_at = models.DateTimeField(_("ran at"))
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ran by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    access = policy.AccessRule(kind=Kind.DEPARTMENT, district_path="window__district", department=DEPARTMENT)

    class Meta:
        ordering = ["-ran_at", "id"]
        verbose_name = _("lottery run")
        verbose_name_plural = _("lottery runs")
        constraints = [
            models.UniqueConstraint(fields=["window"], condition=models.Q(kind="final"), name="lottery_one_final_run")
        ]

    def __str__(self) -> str:
        return f"{self.window} · {self.get_kind_display()} · {self.ran_at:%Y-%m-%d %H:%M}"


class Offer(TrackedModel):
    """A seat offered to an applicant, with a deadline to accept or decline."""

    run = models.ForeignKey(LotteryRun, verbose_name=_("lottery run"), on_delete=models.PROTECT, related_name="offers")
    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.PROTECT, related_name="offers"
    )
    program = models.ForeignKey(
        ChoiceProgram, verbose_name=_("program"), on_delete=models.PROTECT, related_name="offers"
    )
    seat_category = models.CharField(_("seat category"), max_length=60, blank=True)
    rank = models.PositiveSmallIntegerField(_("choice rank"))
    status = models.CharField(_("status"), max_length=10, choices=c.OfferStatus.choices, default=c.OfferStatus.PENDING)
    respond_by = models.DateField(_("answer by"))
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    enrollment = models.OneToOneField(
        Enrollment, verbose_name=_("enrollment"), null=True, blank=True, on_delete=models.SET_NULL, related_name="offer"
    )

    access = policy.AccessRule(
        kind=Kind.STUDENT,
        district_path="program__school__district",
        school_path="program__school",
        department=DEPARTMENT,
    )
    student_level = True

    class Meta:
        ordering = ["program", "status", "id"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        indexes = [models.Index(fields=["program", "status"], name="offer_program_status_idx")]

    def __str__(self) -> str:
        return f"{self.application.student} → {self.program}"


class WaitlistEntry(TrackedModel):
    """An applicant's place in line for a program they ranked above their offer."""

    run = models.ForeignKey(
        LotteryRun, verbose_name=_("lottery run"), on_delete=models.CASCADE, related_name="waitlist"
    )
    program = models.ForeignKey(
        ChoiceProgram, verbose_name=_("program"), on_delete=models.CASCADE, related_name="waitlist"
    )
    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="waitlist"
    )
    position = models.PositiveIntegerField(_("position"))
    rank = models.PositiveSmallIntegerField(_("choice rank"))
    is_active = models.BooleanField(_("still waiting"), default=True)

    access = policy.AccessRule(
        kind=Kind.STUDENT,
        district_path="program__school__district",
        school_path="program__school",
        department=DEPARTMENT,
    )
    student_level = True

    class Meta:
        ordering = ["program", "position"]
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        constraints = [models.UniqueConstraint(fields=["program", "application"], name="waitlist_once_per_program")]

    def __str__(self) -> str:
        return f"{self.program} #{self.position}: {self.application.student}"
