"""KPI targets, KPI snapshots and the jobs that recompute them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import policy
from core.choices import Kind
from core.models import RestrictedQuerySet, TrackedModel

from . import registry
from .choices import Direction, JobStatus, Scope

DEPARTMENT = "reporting"


class KpiTarget(TrackedModel):
    """A KPI's target for a school year, with the thresholds that turn a value into a status.

    For a KPI where higher is better, a value at or above ``on_track_at`` is on
    track, at or above ``watch_at`` is to watch, and below it off track; where
    lower is better, the comparisons turn around. Every change carries its
    reason, which the audit log keeps with the values before and after.
    """

    district = models.ForeignKey(
        "district.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="kpi_targets"
    )
    kpi_key = models.CharField(_("KPI"), max_length=60)
    school_year = models.ForeignKey(
        "district.SchoolYear", verbose_name=_("school year"), on_delete=models.PROTECT, related_name="kpi_targets"
    )
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2)
    on_track_at = models.DecimalField(
        _("on track from"), max_digits=12, decimal_places=2, help_text=_("The value from which the KPI is on track.")
    )
    watch_at = models.DecimalField(
        _("watch from"),
        max_digits=12,
        decimal_places=2,
        help_text=_("The value from which the KPI is to watch; beyond it, off track."),
    )
    direction = models.CharField(
        _("better direction"),
        max_length=8,
        choices=[(Direction.HIGHER, Direction.HIGHER.label), (Direction.LOWER, Direction.LOWER.label)],
    )
    reason = models.CharField(
        _("reason for this change"), max_length=300, help_text=_("Kept in the history with the values changed.")
    )

    # Targets are district reference data: every signed-in user of the district
    # reads them (a principal sees the status of their school's KPIs). District
    # administrators write them through the policy; executives (the COO and
    # cabinet) through dashboard.services.kpi_target_save.
    access = policy.AccessRule(kind=Kind.REFERENCE, district_path="district")

    class Meta:
        ordering = ["kpi_key", "-school_year__end_year"]
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        constraints = [
            models.UniqueConstraint(fields=["district", "kpi_key", "school_year"], name="kpitarget_unique_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.kpi_key} {self.school_year}: {self.target}"

    def clean(self):
        errors = {}
        if not (self.reason or "").strip():
            errors["reason"] = _("Say why the target is set or changed, for the record.")
        if self.on_track_at is not None and self.watch_at is not None and self.direction:
            if self.direction == Direction.HIGHER and self.watch_at > self.on_track_at:
                errors["watch_at"] = _("Where higher is better, the watch threshold cannot exceed the on-track one.")
            if self.direction == Direction.LOWER and self.watch_at < self.on_track_at:
                errors["watch_at"] = _("Where lower is better, the watch threshold cannot be below the on-track one.")
        if self.school_year_id and self.district_id and self.school_year.district_id != self.district_id:
            errors["school_year"] = _("The school year belongs to another district.")
        if errors:
            raise ValidationError(errors)


class KpiSnapshot(models.Model):
    """One KPI's value for one scope (the district, a school, a student group) on one date.

    Written only by the snapshot service (nightly, backfill or "refresh now"),
    stamped with the KPI's definition version. Pages and the API read these
    rows and never compute a KPI themselves. A suppressed cell stores no number.
    """

    kpi_key = models.CharField(_("KPI"), max_length=60)
    # The KPI's department, copied from its definition when the row is written.
    department = models.CharField(_("department"), max_length=16, blank=True)
    version = models.PositiveSmallIntegerField(_("definition version"))
    district = models.ForeignKey(
        "district.District", verbose_name=_("district"), on_delete=models.CASCADE, related_name="kpi_snapshots"
    )
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices)
    school = models.ForeignKey(
        "district.School",
        verbose_name=_("school"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="kpi_snapshots",
    )
    dimension = models.CharField(_("student group"), max_length=20, blank=True)
    group = models.CharField(_("group value"), max_length=20, blank=True)
    value = models.FloatField(_("value"), null=True, blank=True)
    numerator = models.FloatField(_("numerator"), null=True, blank=True)
    denominator = models.FloatField(_("denominator"), null=True, blank=True)
    suppressed = models.BooleanField(_("suppressed (small group)"), default=False)
    as_of = models.DateField(_("as of"))
    computed_at = models.DateTimeField(_("computed at"))
    note = models.TextField(_("data quality note"), blank=True)

    objects = RestrictedQuerySet.as_manager()
    # Read by executives and the state role everywhere, by principals for their
    # own schools' rows only (district and group rows name no school), and by
    # each department's managers for the KPIs of their own department.
    access = policy.AccessRule(
        kind=Kind.DEPARTMENT,
        district_path="district",
        school_path="school",
        department=DEPARTMENT,
        department_path="department",
        path_departments=registry.departments,
    )

    class Meta:
        ordering = ["kpi_key", "-as_of", "scope", "school_id", "dimension", "group"]
        verbose_name = _("KPI snapshot")
        verbose_name_plural = _("KPI snapshots")
        indexes = [
            models.Index(fields=["district", "scope", "kpi_key", "as_of"], name="kpisnap_district_scope_idx"),
            models.Index(fields=["school", "kpi_key", "as_of"], name="kpisnap_school_idx"),
            models.Index(fields=["district", "as_of"], name="kpisnap_district_date_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi_key", "district", "scope", "dimension", "group", "as_of"],
                condition=models.Q(school__isnull=True),
                name="kpisnap_unique_district_group",
            ),
            models.UniqueConstraint(
                fields=["kpi_key", "school", "as_of"],
                condition=models.Q(school__isnull=False),
                name="kpisnap_unique_school",
            ),
            models.CheckConstraint(
                condition=models.Q(scope=Scope.SCHOOL, school__isnull=False)
                | (~models.Q(scope=Scope.SCHOOL) & models.Q(school__isnull=True)),
                name="kpisnap_school_scope",
            ),
            models.CheckConstraint(
                condition=models.Q(suppressed=False)
                | models.Q(value__isnull=True, numerator__isnull=True, denominator__isnull=True),
                name="kpisnap_suppressed_holds_no_number",
            ),
        ]

    def __str__(self) -> str:
        where = {Scope.DISTRICT: "district", Scope.SCHOOL: f"school {self.school_id}"}.get(
            self.scope, f"{self.dimension}={self.group}"
        )
        return f"{self.kpi_key} {where} {self.as_of}"


class KpiRefresh(TrackedModel):
    """A recomputation of a district's snapshots, queued by "refresh now" (or the backfill): a job with progress."""

    district = models.ForeignKey(
        "district.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="kpi_refreshes"
    )
    as_of = models.DateField(_("as of"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    log = models.TextField(_("log"), blank=True)
    snapshots = models.PositiveIntegerField(_("snapshots written"), default=0)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    access = policy.AccessRule(kind=Kind.DEPARTMENT, district_path="district", department=DEPARTMENT)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("KPI refresh")
        verbose_name_plural = _("KPI refreshes")

    def __str__(self) -> str:
        return f"{self.district} {self.as_of} ({self.get_status_display()})"
