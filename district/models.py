"""District reference data: districts, schools, school years, departments, roles."""

from __future__ import annotations

import datetime
import functools
import re
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import policy
from core.choices import Kind, Role
from core.fields import check_coordinates, latitude_field, longitude_field
from core.models import TrackedModel

from .choices import GRADE_CODES, DepartmentCode, NslpStatus, SchoolType, TitleIStatus, VirtualStatus

digits = RegexValidator(r"^\d+$", _("Use digits only."))


@functools.cache
def time_zone_names() -> frozenset[str]:
    """The IANA time zone names this server knows (America/New_York, America/Chicago, ...)."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(
            _("“%(zone)s” is not a time zone; use a name such as America/New_York or America/Chicago."),
            params={"zone": value},
            code="invalid_time_zone",
        )


def default_time_zone() -> str:
    """A new district's time zone: the server's (settings.TIME_ZONE)."""
    return settings.TIME_ZONE


class District(TrackedModel):
    """A local education agency (LEA), or a regional office running shared programs."""

    name = models.CharField(_("name"), max_length=150)
    state_lea_id = models.CharField(
        _("state LEA id"), max_length=14, unique=True, help_text=_("The state-assigned district code.")
    )
    nces_id = models.CharField(
        _("NCES LEA id"), max_length=7, blank=True, validators=[digits, RegexValidator(r"^\d{7}$", _("Seven digits."))]
    )
    state = models.CharField(_("state"), max_length=2, default="CT", validators=[RegexValidator(r"^[A-Z]{2}$")])
    fips_code = models.CharField(
        _("FIPS state code"), max_length=2, default="09", validators=[RegexValidator(r"^\d{2}$", _("Two digits."))]
    )
    access_grace_days = models.PositiveSmallIntegerField(
        _("days of access after a student leaves"),
        default=policy.DEFAULT_ACCESS_GRACE_DAYS,
        validators=[MaxValueValidator(policy.MAX_ACCESS_GRACE_DAYS)],
        help_text=_(
            "Staff limited to schools keep access to a student for this many days after the student's "
            "enrollment at their school ends (0: access ends on the exit date)."
        ),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=_("Dates and times in pages, filters and exports are shown in this zone."),
    )

    access = policy.AccessRule(kind=Kind.REFERENCE, district_path="pk")

    class Meta:
        ordering = ["name"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class School(TrackedModel):
    """A school building and program, run by one district."""

    district = models.ForeignKey(District, verbose_name=_("district"), on_delete=models.PROTECT, related_name="schools")
    name = models.CharField(_("name"), max_length=150)
    state_school_id = models.CharField(
        _("state school id"), max_length=20, unique=True, help_text=_("The state-assigned facility code.")
    )
    nces_id = models.CharField(
        _("NCES school id"), max_length=12, blank=True, validators=[RegexValidator(r"^\d{12}$", _("Twelve digits."))]
    )
    school_type = models.CharField(
        _("type"), max_length=16, choices=SchoolType.choices, default=SchoolType.NEIGHBORHOOD
    )
    street = models.CharField(_("street address"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    zip_code = models.CharField(
        _("ZIP code"),
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^\d{5}(-\d{4})?$", _("Five digits, or ZIP+4."))],
    )
    latitude = latitude_field()
    longitude = longitude_field()
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("open"), default=True)

    access = policy.AccessRule(kind=Kind.REFERENCE, district_path="district", school_path="pk")

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        indexes = [models.Index(fields=["district", "name"], name="school_district_name_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        check_coordinates(self)
        if self.nces_id and self.district_id:
            lea = District.objects.filter(pk=self.district_id).values_list("nces_id", flat=True).first()
            if lea and not self.nces_id.startswith(lea):
                raise ValidationError(
                    {"nces_id": _("An NCES school id starts with its district's NCES id (%(lea)s).") % {"lea": lea}}
                )


class SchoolYear(TrackedModel):
    """A district's school year, such as 2026-2027, and its first and last days."""

    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.PROTECT, related_name="school_years"
    )
    end_year = models.PositiveSmallIntegerField(
        _("ending year"),
        validators=[MinValueValidator(1990), MaxValueValidator(2100)],
        help_text=_("2027 for the 2026-2027 school year."),
    )
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))

    access = policy.AccessRule(kind=Kind.REFERENCE, district_path="district")

    class Meta:
        ordering = ["district", "-end_year"]
        verbose_name = _("school year")
        verbose_name_plural = _("school years")
        constraints = [
            models.UniqueConstraint(fields=["district", "end_year"], name="schoolyear_unique_per_district"),
            models.CheckConstraint(
                condition=models.Q(end_date__gt=models.F("start_date")), name="schoolyear_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.end_year - 1}-{self.end_year}"

    @property
    def name(self) -> str:
        return str(self)

    name.fget.short_description = _("school year")

    def clean(self):
        if self.start_date and self.end_date:
            if self.end_date <= self.start_date:
                raise ValidationError({"end_date": _("The last day must come after the first day.")})
            if self.end_year and not (self.start_date.year <= self.end_year and self.end_date.year == self.end_year):
                raise ValidationError({"end_date": _("The last day must fall in the ending year.")})
            if (self.end_date - self.start_date).days > 400:
                raise ValidationError({"end_date": _("A school year cannot run longer than 400 days.")})


class SchoolDay(TrackedModel):
    """A day on a school year's instructional calendar."""

    school_year = models.ForeignKey(
        SchoolYear, verbose_name=_("school year"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("date"))
    is_instructional = models.BooleanField(_("instructional day"), default=True)
    note = models.CharField(_("note"), max_length=100, blank=True)

    access = policy.AccessRule(kind=Kind.REFERENCE, district_path="school_year__district")

    class Meta:
        ordering = ["school_year", "date"]
        verbose_name = _("school day")
        verbose_name_plural = _("school days")
        constraints = [models.UniqueConstraint(fields=["school_year", "date"], name="schoolday_unique_date")]

    def __str__(self) -> str:
        return self.date.isoformat()

    def clean(self):
        year = self.school_year if self.school_year_id else None
        if year and self.date and not (year.start_date <= self.date <= year.end_date):
            raise ValidationError({"date": _("The date falls outside the school year.")})


def validate_grades(value: str) -> None:
    codes = grade_list(value)
    unknown = [c for c in codes if c not in GRADE_CODES]
    if unknown:
        raise ValidationError(
            _("Unknown grade codes: %(codes)s. Use %(allowed)s.")
            % {"codes": ", ".join(unknown), "allowed": " ".join(GRADE_CODES)}
        )
    if len(set(codes)) != len(codes):
        raise ValidationError(_("A grade is listed twice."))


def grade_list(value: str) -> list[str]:
    return [c for c in re.split(r"[\s,;]+", (value or "").strip().upper()) if c]


class SchoolProfile(TrackedModel):
    """What a school is in a given year: the values federal files report for that year."""

    school = models.ForeignKey(School, verbose_name=_("school"), on_delete=models.CASCADE, related_name="profiles")
    school_year = models.ForeignKey(
        SchoolYear, verbose_name=_("school year"), on_delete=models.PROTECT, related_name="profiles"
    )
    grades_offered = models.CharField(
        _("grades offered"),
        max_length=80,
        validators=[validate_grades],
        help_text=_("EDFacts grade codes separated by spaces, e.g. PK KG 01 02 03 04 05."),
    )
    title_i_status = models.CharField(_("Title I status"), max_length=16, choices=TitleIStatus.choices, blank=True)
    nslp_status = models.CharField(_("school meals status"), max_length=16, choices=NslpStatus.choices, blank=True)
    virtual_status = models.CharField(_("virtual status"), max_length=16, choices=VirtualStatus.choices, blank=True)
    shared_time = models.BooleanField(_("shared-time school"), default=False)

    access = policy.AccessRule(kind=Kind.REFERENCE, district_path="school__district", school_path="school")

    class Meta:
        ordering = ["school", "-school_year__end_year"]
        verbose_name = _("school profile")
        verbose_name_plural = _("school profiles")
        constraints = [models.UniqueConstraint(fields=["school", "school_year"], name="schoolprofile_unique_per_year")]

    def __str__(self) -> str:
        return f"{self.school} {self.school_year}"

    def clean(self):
        if self.grades_offered:
            codes = grade_list(self.grades_offered)
            self.grades_offered = " ".join(
                sorted(codes, key=lambda c: GRADE_CODES.index(c) if c in GRADE_CODES else 99)
            )
        if self.school_id and self.school_year_id and self.school.district_id != self.school_year.district_id:
            raise ValidationError({"school_year": _("The school year belongs to another district.")})

    @property
    def grades(self) -> list[str]:
        return grade_list(self.grades_offered)


class Department(TrackedModel):
    """One of the departments the COO supervises, in one district."""

    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.PROTECT, related_name="departments"
    )
    code = models.CharField(_("department"), max_length=16, choices=DepartmentCode.choices)
    name = models.CharField(_("name"), max_length=150, blank=True)
    email = models.EmailField(_("contact email"), blank=True)

    access = policy.AccessRule(kind=Kind.REFERENCE, district_path="district")

    class Meta:
        ordering = ["district", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [models.UniqueConstraint(fields=["district", "code"], name="department_unique_per_district")]

    def __str__(self) -> str:
        return self.name or self.get_code_display()


class RoleAssignment(TrackedModel):
    """A user's role in a district, department and schools: the input of the access policy."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    district = models.ForeignKey(
        District,
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
        help_text=_("Empty only for a state role that spans every district."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    schools = models.ManyToManyField(
        School,
        verbose_name=_("schools"),
        blank=True,
        related_name="role_assignments",
        help_text=_("Empty means every school of the district (not allowed for staff and principals)."),
    )
    title = models.CharField(_("job title"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    access = policy.AccessRule(kind=Kind.ACCESS, district_path="district")

    class Meta:
        ordering = ["user", "role", "id"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")

    def __str__(self) -> str:
        where = self.department or self.district or _("all districts")
        return f"{self.user} · {self.get_role_display()} · {where}"

    def clean(self):
        department_code = self.department.code if self.department_id else None
        problems = policy.assignment_problems(self.role, self.district_id, department_code, school_ids=())
        problems.pop("schools", None)  # checked by forms and serializers, which see the many-to-many
        if self.department_id and self.district_id and self.department.district_id != self.district_id:
            problems["department"] = _("That department belongs to another district.")
        if problems:
            raise ValidationError(problems)


def assignments_for_user(user) -> list[policy.Assignment]:
    """The loader the access policy calls (settings.OPS_ASSIGNMENT_LOADER): two queries."""
    rows = list(
        RoleAssignment.objects.filter(user=user, is_active=True).values_list(
            "pk", "role", "district_id", "department__code", "district__access_grace_days", "district__time_zone"
        )
    )
    if not rows:
        return []
    through = RoleAssignment.schools.through
    schools: dict[int, set[int]] = {}
    for ra_id, school_id in through.objects.filter(roleassignment_id__in=[r[0] for r in rows]).values_list(
        "roleassignment_id", "school_id"
    ):
        schools.setdefault(ra_id, set()).add(school_id)
    return [
        policy.Assignment(
            role=role,
            district_id=district_id,
            department_code=code,
            school_ids=frozenset(schools.get(pk, ())),
            access_grace_days=policy.DEFAULT_ACCESS_GRACE_DAYS if grace is None else grace,
            time_zone=zone or "",
        )
        for pk, role, district_id, code, grace, zone in rows
    ]


def current_school_year(district: District, on: datetime.date | None = None) -> SchoolYear | None:
    on = on or datetime.date.today()
    years = district.school_years.order_by("-end_year")
    return years.filter(start_date__lte=on, end_date__gte=on).first() or years.first()
