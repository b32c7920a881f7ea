"""Report runs, their files and findings, schedules, and the submission calendar."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import policy
from core.choices import Kind
from core.models import TrackedModel

from . import registry

DEPARTMENT = "reporting"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Certification(models.TextChoices):
    DRAFT = "draft", _("Draft")
    VALIDATED = "validated", _("Validated")
    CERTIFIED = "certified", _("Certified")
    AMENDED = "amended", _("Amended (replaced)")


class ReportSchedule(TrackedModel):
    """A report run on a schedule (for example FS052 every October 2), kept in the database."""

    district = models.ForeignKey(
        "district.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="report_schedules"
    )
    name = models.CharField(_("name"), max_length=120)
    report_key = models.CharField(_("report"), max_length=40)
    parameters = models.JSONField(
        _("parameters"),
        default=dict,
        blank=True,
        help_text=_("level, format; the school year and date follow the run date."),
    )
    minute = models.CharField(_("minute"), max_length=20, default="0")
    hour = models.CharField(_("hour"), max_length=20, default="6")
    day_of_month = models.CharField(_("day of month"), max_length=20, default="*")
    month_of_year = models.CharField(_("month"), max_length=20, default="*")
    day_of_week = models.CharField(_("day of week"), max_length=20, default="*")
    copy_to_export_folder = models.BooleanField(_("copy files to the export folder"), default=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("periodic task"),
    )

    access = policy.AccessRule(kind=Kind.DEPARTMENT, district_path="district", department=DEPARTMENT)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")

    def __str__(self) -> str:
        return self.name


class ReportRun(TrackedModel):
    """One run of a report: who or which schedule asked, its progress, files and findings.

    The reporting office keeps every run; the managers of the department a
    report belongs to (enrollment for membership files) run and read that
    department's runs too (``department``, the policy's per-row department).
    """

    district = models.ForeignKey(
        "district.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="report_runs"
    )
    report_key = models.CharField(_("report"), max_length=40, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    department = models.CharField(_("department"), max_length=20, blank=True, db_index=True)
    school_year = models.ForeignKey(
        "district.SchoolYear",
        verbose_name=_("school year"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="report_runs",
    )
    parameters = models.JSONField(_("parameters"), default=dict)
    totals = models.JSONField(_("totals"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    schedule = models.ForeignKey(
        ReportSchedule,
        verbose_name=_("schedule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    log = models.TextField(_("log"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    queued_at = models.DateTimeField(_("queued"), auto_now_add=True)
    dispatched_at = models.DateTimeField(_("sent to the job queue"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    fingerprint = models.CharField(_("input fingerprint"), max_length=64, db_index=True)
    error = models.TextField(_("error"), blank=True)
    certification = models.CharField(
        _("certification"), max_length=10, choices=Certification.choices, default=Certification.DRAFT
    )
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("certified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    certified_at = models.DateTimeField(_("certified"), null=True, blank=True)
    amends = models.ForeignKey(
        "self", verbose_name=_("amends"), null=True, blank=True, on_delete=models.PROTECT, related_name="amendments"
    )

    access = policy.AccessRule(
        kind=Kind.DEPARTMENT,
        district_path="district",
        department=DEPARTMENT,
        department_path="department",
        path_departments=registry.departments,
    )

    class Meta:
        ordering = ["-queued_at", "-id"]
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        indexes = [models.Index(fields=["report_key", "fingerprint", "status"], name="reportrun_reuse_idx")]

    def __str__(self) -> str:
        if not self.queued_at:
            return self.display_title
        queued = formats.date_format(timezone.localtime(self.queued_at), "SHORT_DATETIME_FORMAT")
        return f"{self.display_title} · {queued}"

    @property
    def display_title(self) -> str:
        """The title in the reader's language: stored as the registry's English title, its catalogue key."""
        return gettext(self.title) if self.title else ""

    display_title.fget.short_description = _("title")

    @property
    def fatal_count(self) -> int:
        return sum(1 for f in self.findings.all() if f.severity == Severity.FATAL)


class ReportArtifact(models.Model):
    """A file a run wrote: immutable once its run is certified."""

    run = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="artifacts", verbose_name=_("run"))
    name = models.CharField(_("file name"), max_length=120)
    fmt = models.CharField(_("format"), max_length=8)
    file = models.FileField(_("file"), upload_to="reports/%Y/%m/")
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    student_level = models.BooleanField(_("holds student-level records"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["run", "name"]
        verbose_name = _("report file")
        verbose_name_plural = _("report files")
        constraints = [models.UniqueConstraint(fields=["run", "name"], name="artifact_unique_name_per_run")]

    def __str__(self) -> str:
        return self.name


class Severity(models.TextChoices):
    FATAL = "fatal", _("Fatal")
    WARNING = "warning", _("Warning")


class ReportFinding(models.Model):
    """A validation finding on a run: fatal findings block certification.

    A finding about records names them (``record_model`` and ``record_ids``),
    so the run page links it to the list of exactly those records, and counts
    the students it covers. The message names no student: names are shown
    from the records, to those who may see them.
    """

    run = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="findings", verbose_name=_("run"))
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    code = models.CharField(_("code"), max_length=30, blank=True)
    record = models.CharField(_("record"), max_length=120, blank=True)
    field = models.CharField(_("field"), max_length=60, blank=True)
    message = models.CharField(_("message"), max_length=500)
    record_model = models.CharField(_("kind of records"), max_length=60, blank=True)
    record_ids = models.JSONField(_("records"), default=list, blank=True)
    students = models.PositiveIntegerField(_("students"), null=True, blank=True)

    class Meta:
        ordering = ["run", "severity", "id"]
        verbose_name = _("validation finding")
        verbose_name_plural = _("validation findings")

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


class Collection(TrackedModel):
    """A state or federal collection on the submission calendar, with the due date staff enter."""

    district = models.ForeignKey(
        "district.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="collections"
    )
    name = models.CharField(_("collection"), max_length=150)
    report_key = models.CharField(_("report"), max_length=40)
    school_year = models.ForeignKey(
        "district.SchoolYear", verbose_name=_("school year"), on_delete=models.PROTECT, related_name="collections"
    )
    due_date = models.DateField(_("due date"))
    warn_days = models.PositiveSmallIntegerField(_("warn this many days before"), default=14)
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    access = policy.AccessRule(kind=Kind.DEPARTMENT, district_path="district", department=DEPARTMENT)

    class Meta:
        ordering = ["due_date", "name"]
        verbose_name = _("collection")
        verbose_name_plural = _("collections")
        constraints = [
            models.UniqueConstraint(fields=["district", "report_key", "school_year"], name="collection_unique_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.school_year})"


class OtherSex(models.TextChoices):
    """What becomes of students whose sex a file may not carry."""

    BLOCK = "block", _("Block certification until settled (a fatal finding)")
    LEAVE_OUT = "leave_out", _("Leave them out of the file and list them (a warning)")


SEX_CODES = {"M": _("Male (M)"), "F": _("Female (F)"), "X": _("Nonbinary (X)")}


class SexValueSetting(TrackedModel):
    """Which sex values a state or federal file may carry, per report and specification version.

    Without a setting a file carries the values its specification version
    lists (M and F for the EDFacts layouts of SY 2022-23), and students with
    another value are a fatal finding until a reporting manager decides:
    permit X when the state's version of the specification allows it, or
    leave those students out and list them.
    """

    district = models.ForeignKey(
        "district.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="sex_value_settings"
    )
    report_key = models.CharField(_("report"), max_length=40)
    spec_version = models.CharField(_("specification version"), max_length=20)
    values = models.CharField(
        _("sex values the file may carry"),
        max_length=20,
        help_text=_("Codes separated by spaces, for example: M F X."),
    )
    others = models.CharField(
        _("students with another value"), max_length=10, choices=OtherSex.choices, default=OtherSex.BLOCK
    )
    basis = models.CharField(
        _("basis"), max_length=300, blank=True, help_text=_("The state guidance or decision this follows.")
    )

    access = policy.AccessRule(kind=Kind.DEPARTMENT, district_path="district", department=DEPARTMENT)

    class Meta:
        ordering = ["report_key", "spec_version", "id"]
        verbose_name = _("file sex values setting")
        verbose_name_plural = _("file sex values settings")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "report_key", "spec_version"], name="sexvaluesetting_unique_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report_title} ({self.spec_version}): {self.values}"

    @property
    def codes(self) -> list[str]:
        return self.values.split()

    @property
    def report_title(self) -> str:
        report = registry.get(self.report_key)
        return report.title if report else self.report_key

    report_title.fget.short_description = _("report")

    def clean(self):
        from django.core.exceptions import ValidationError

        codes = self.values.upper().replace(",", " ").split()
        unknown = [c for c in codes if c not in SEX_CODES]
        if unknown:
            raise ValidationError({"values": _("Unknown sex codes: %(codes)s.") % {"codes": ", ".join(unknown)}})
        report = registry.get(self.report_key)
        if report is None or report.sex_values is None:
            raise ValidationError({"report_key": _("This report's files carry no sex.")})
        missing = [c for c in report.sex_values if c not in codes]
        if missing:
            raise ValidationError(
                {"values": _("The specification always permits: %(codes)s.") % {"codes": ", ".join(missing)}}
            )
        self.values = " ".join(c for c in SEX_CODES if c in codes)
