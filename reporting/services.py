"""Report workflows: request, execute, validate, certify, amend; schedules.

A run is a row first and a task second: ``report_request`` writes the run
and queues the task after commit. If the broker is down the request still
succeeds and the run waits as queued; ``report_runs_requeue`` (every minute
from beat, and when a worker starts) sends it again. The task may be
delivered twice (late acknowledgement, redelivery after a worker dies): a run
that already succeeded is left alone, and the files are written once.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core import audit, policy
from core.choices import Action
from core.models import AuditEntry, Disclosure
from core.services import record_save
from district.models import District, SchoolYear

from . import registry
from .models import (
    Certification,
    OtherSex,
    ReportArtifact,
    ReportFinding,
    ReportRun,
    ReportSchedule,
    RunStatus,
    Severity,
    SexValueSetting,
)

log = logging.getLogger(__name__)


def clean_parameters(
    report: registry.Report, district: District, raw: dict, today: datetime.date | None = None
) -> dict:
    """Check a request's parameters; refuse what makes no sense before anything is queued."""
    today = today or timezone.localdate()
    errors = {}
    params = {}
    year = None
    year_id = raw.get("school_year")
    if year_id in (None, ""):
        errors["school_year"] = _("Choose a school year.")
    else:
        year = SchoolYear.objects.filter(pk=year_id, district=district).first()
        if year is None:
            errors["school_year"] = _("No such school year in this district.")
        elif year.start_date > today:
            errors["school_year"] = _("The %(year)s school year has not started yet.") % {"year": year}
    as_of = raw.get("as_of") or (report.default_as_of(year) if (year and report.default_as_of) else None)
    if isinstance(as_of, str):
        try:
            as_of = datetime.date.fromisoformat(as_of)
        except ValueError:
            errors["as_of"] = _("Give the date as YYYY-MM-DD.")
            as_of = None
    if year and as_of and not (year.start_date <= as_of <= year.end_date):
        errors["as_of"] = _("The date falls outside the %(year)s school year.") % {"year": year}
    if year and not as_of and "as_of" not in errors:
        errors["as_of"] = _("Choose the as-of date.")
    if as_of and as_of > today:
        errors["as_of"] = _("The as-of date is in the future.")
    level = raw.get("level") or report.levels[0]
    if level not in report.levels:
        errors["level"] = _("This report is written at: %(levels)s.") % {"levels": ", ".join(report.levels)}
    fmt = raw.get("fmt") or report.formats[0]
    if fmt not in report.formats:
        errors["fmt"] = _("This report is written as: %(formats)s.") % {"formats": ", ".join(report.formats)}
    if errors:
        raise ValidationError(errors)
    params.update({"school_year": year.pk, "as_of": as_of.isoformat(), "level": level, "fmt": fmt})
    scope = raw.get("scope") or "district"
    if scope not in ("district", "state"):
        raise ValidationError({"scope": _("The scope is district or state.")})
    if scope == "state":
        params["scope"] = "state"
    rule = sex_rule(report, district)
    if rule is not None:
        params.update(rule)
    return params


def sex_rule(report: registry.Report, district: District) -> dict | None:
    """The sex values ``report``'s file may carry in ``district``, and what becomes of other students.

    From the district's setting for the report and its specification version;
    without one, the values the specification version lists, and other
    students block certification until a reporting manager decides.
    """
    if report.sex_values is None:
        return None
    setting = SexValueSetting.objects.filter(
        district=district, report_key=report.key, spec_version=report.spec_version
    ).first()
    return {
        "spec_version": report.spec_version,
        "sex_values": setting.values if setting else " ".join(report.sex_values),
        "other_sex": setting.others if setting else OtherSex.BLOCK.value,
    }


def sex_rules(district: District, run_params: dict | None = None, run_key: str = "") -> dict[str, dict]:
    """Every report's sex rule in the district, the run's own as it was recorded when it was asked for."""
    rules = {r.key: rule for r in registry.all_reports() if (rule := sex_rule(r, district)) is not None}
    if run_params and "sex_values" in run_params:
        rules[run_key] = {k: run_params[k] for k in ("spec_version", "sex_values", "other_sex") if k in run_params}
    return rules


def fingerprint(report: registry.Report, district: District, params: dict) -> str:
    """Cheap: row counts and latest change times of the source tables, plus the parameters."""
    parts = [report.key, str(district.pk), json.dumps(params, sort_keys=True)]
    for model in (*report.sources, SexValueSetting):
        stats = model._base_manager.aggregate(n=Count("pk"), latest=Max("updated_at"))
        parts.append(f"{model._meta.label}:{stats['n']}:{stats['latest'].isoformat() if stats['latest'] else ''}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def report_request(
    *, actor, report_key: str, district: District, raw_params: dict, schedule=None
) -> tuple[ReportRun, bool]:
    """Ask for a run; returns (run, reused). Same report, parameters and data: the earlier run."""
    report = registry.get(report_key)
    if report is None:
        raise ValidationError({"report": _("No report %(key)s.") % {"key": report_key}})
    if actor is not None and not District.objects.restrict(actor).filter(pk=district.pk).exists():
        raise PermissionDenied(_("You may not run reports for that district."))
    if actor is not None and not may_run(actor, report):
        raise PermissionDenied(_("You may not run this report."))
    params = clean_parameters(report, district, raw_params)
    if (
        params.get("scope") == "state"
        and actor is not None
        and not policy.scope_for(actor).spans_all_districts
        and not actor.is_superuser
    ):
        raise PermissionDenied(_("Only a state role may run a report over every district."))
    fp = fingerprint(report, district, params)
    with transaction.atomic():
        existing = (
            ReportRun.objects.select_for_update()
            .filter(
                district=district,
                report_key=report.key,
                fingerprint=fp,
                status__in=[RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.SUCCEEDED],
            )
            .exclude(certification=Certification.AMENDED)
            .order_by("-queued_at")
            .first()
        )
        if existing is not None:
            return existing, True
        run = ReportRun(
            district=district,
            report_key=report.key,
            title=untranslated(report.title),
            department=report.department,
            school_year_id=params["school_year"],
            parameters=params,
            requested_by=actor if actor is not None and actor.pk else None,
            schedule=schedule,
            fingerprint=fp,
        )
        if actor is not None:
            run = record_save(actor=actor, instance=run)
        else:
            run.save()
            audit.log_change(
                actor=None, change=AuditEntry.Change.CREATE, instance=run, before=None, after=audit.snapshot(run)
            )
        transaction.on_commit(lambda: enqueue(run.pk))
    return run, False


def may_run(user, report: registry.Report) -> bool:
    """Whether ``user`` may run ``report``: the reporting office, and managers of the report's department."""
    return policy.can(user, ReportRun, Action.ADD, department=report.department)


def may_read(user, report: registry.Report) -> bool:
    """Whether ``user`` may read runs of ``report`` (in some district)."""
    return policy.can(user, ReportRun, Action.VIEW, department=report.department)


def enqueue(run_id: int) -> bool:
    """Send the run's task; if the broker is unreachable, leave it queued for the requeue job."""
    from .tasks import report_run_task

    try:
        report_run_task.apply_async(args=[run_id], retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the run stays queued in the database
        _append_log(run_id, f"Could not reach the job queue ({exc.__class__.__name__}); the run will be sent again.")
        log.warning("report run %s not sent: %s", run_id, exc)
        return False
    ReportRun.objects.filter(pk=run_id, dispatched_at__isnull=True).update(dispatched_at=timezone.now())
    return True


def report_runs_requeue() -> int:
    """Send the queued runs never handed to the broker (it was down), and those whose message was lost.

    A message is taken as lost when it has waited longer than the broker's
    visibility timeout, after which Redis would have redelivered it anyway.
    """
    from django.conf import settings
    from django.db.models import Q

    lost = timezone.now() - datetime.timedelta(seconds=settings.CELERY_BROKER_VISIBILITY_TIMEOUT)
    waiting = ReportRun.objects.filter(status=RunStatus.QUEUED).filter(
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=lost)
    )
    ids = list(waiting.values_list("pk", flat=True))
    return sum(1 for pk in ids if enqueue(pk))


def untranslated(text) -> str:
    """A registry title as stored on a run: the English text, which pages translate when they show it."""
    with override(None):
        return str(text)


def _append_log(run_id: int, line: str, progress: int | None = None) -> None:
    run = ReportRun.objects.filter(pk=run_id).only("log").first()
    if run is None:
        return
    stamp = timezone.localtime().strftime("%H:%M:%S")
    updates = {"log": f"{run.log}{stamp} {line}\n"}
    if progress is not None:
        updates["progress"] = max(0, min(100, progress))
    ReportRun.objects.filter(pk=run_id).update(**updates)


def report_run_execute(run_id: int) -> str:
    """The work of the task: build the report, store files and findings. Safe to run twice.

    Times it writes (the log, a file's creation stamp) are in the run's district's time zone.
    """
    zone = ReportRun.objects.filter(pk=run_id).values_list("district__time_zone", flat=True).first()
    with timezone.override(zone or None):
        return _report_run_execute(run_id)


def _report_run_execute(run_id: int) -> str:
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            return "missing"
        if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
            return run.status
        run.status = RunStatus.RUNNING
        run.attempts += 1
        run.started_at = timezone.now()
        run.save(update_fields=["status", "attempts", "started_at"])
    report = registry.get(run.report_key)
    _append_log(run.pk, f"Started (attempt {run.attempts}).", progress=1)
    try:
        if report is None:
            raise ValidationError(_("The report %(key)s is no longer registered.") % {"key": run.report_key})
        year = SchoolYear.objects.get(pk=run.parameters["school_year"])
        ctx = registry.Context(
            district=run.district,
            school_year=year,
            as_of=datetime.date.fromisoformat(run.parameters["as_of"]),
            level=run.parameters["level"],
            fmt=run.parameters["fmt"],
            params=run.parameters,
            progress=lambda pct, line: _append_log(run.pk, line, progress=pct),
            previous_totals=_previous_totals(run),
            sex_rules=sex_rules(run.district, run.parameters, run.report_key),
        )
        result = report.build(ctx)
    except Exception as exc:
        ReportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        _append_log(run.pk, f"Failed: {exc}")
        raise
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().get(pk=run.pk)
        if run.status == RunStatus.SUCCEEDED:  # another delivery finished first
            return run.status
        for output in result.outputs:
            if not run.artifacts.filter(name=output.name).exists():
                artifact = ReportArtifact(
                    run=run,
                    name=output.name,
                    fmt=output.fmt,
                    size=len(output.content),
                    sha256=hashlib.sha256(output.content).hexdigest(),
                    student_level=output.student_level,
                )
                artifact.file.save(output.name, ContentFile(output.content), save=False)
                artifact.save()
        run.findings.all().delete()
        ReportFinding.objects.bulk_create(
            [
                ReportFinding(
                    run=run,
                    severity=f.severity,
                    code=f.code[:30],
                    record=f.record[:120],
                    field=f.field[:60],
                    message=f.message[:500],
                    record_model=f.model if f.ids else "",
                    record_ids=list(f.ids),
                    students=f.students,
                )
                for f in result.findings
            ],
            batch_size=1000,
        )
        fatal = sum(1 for f in result.findings if f.severity == Severity.FATAL)
        run.status = RunStatus.SUCCEEDED
        run.progress = 100
        run.finished_at = timezone.now()
        run.certification = Certification.DRAFT
        run.totals = dict(result.totals)
        run.save(update_fields=["status", "progress", "finished_at", "certification", "totals"])
        registry.run_event(run, registry.RUN_FINISHED)
    _append_log(
        run.pk,
        f"Finished: {len(result.outputs)} file(s), {fatal} fatal and "
        f"{len(result.findings) - fatal} warning finding(s).",
        progress=100,
    )
    if run.schedule_id and run.schedule.copy_to_export_folder:
        _copy_to_export_folder(run)
    return RunStatus.SUCCEEDED


def _previous_totals(run: ReportRun) -> dict | None:
    """Last year's certified (or latest succeeded) run of the same report, for year-over-year checks."""
    return None


def _copy_to_export_folder(run: ReportRun) -> None:
    from pathlib import Path

    from django.conf import settings

    folder = Path(settings.OPS_EXPORT_FOLDER) / run.district.state_lea_id
    folder.mkdir(parents=True, exist_ok=True)
    for artifact in run.artifacts.all():
        with artifact.file.open("rb") as handle:
            (folder / artifact.name).write_bytes(handle.read())
    _append_log(run.pk, f"Copied {run.artifacts.count()} file(s) to the export folder.")


def artifact_download(*, actor, artifact: ReportArtifact, recipient: str = "", basis: str = "", channel=None) -> bytes:
    """The file's bytes; a file with student-level records writes a disclosure entry.

    A file naming students goes only to those who may see every student it
    can name: the students of the run's district (of every district for a
    state-wide run), as the policy lets them see the report's sources.
    """
    if not ReportRun.objects.restrict(actor).filter(pk=artifact.run_id).exists():
        raise PermissionDenied(_("You may not download this file."))
    if artifact.student_level and not may_see_students(actor, artifact.run):
        raise PermissionDenied(_("This file names students, and you may not see all of them."))
    if artifact.student_level:
        audit.log_disclosure(
            actor=actor,
            channel=channel or Disclosure.Channel.DOWNLOAD,
            what=f"{artifact.run.title}: {artifact.name}",
            categories=["enrollment", "demographics"],
            student_count=_student_count(artifact),
            recipient=recipient,
            basis=basis,
            district_id=artifact.run.district_id,
        )
    with artifact.file.open("rb") as handle:
        return handle.read()


def may_see_students(user, run: ReportRun) -> bool:
    """Whether ``user`` may see every student-level record of the run's sources in the run's scope."""
    report = registry.get(run.report_key)
    state_wide = run.parameters.get("level") == "state" or run.parameters.get("scope") == "state"
    for model in report.sources if report else ():
        if not getattr(model, "student_level", False):
            continue
        rows = model.objects.all()
        if not state_wide:
            rows = rows.filter(**{policy.rule_for(model).district_path: run.district_id})
        if rows.exclude(pk__in=model.objects.restrict(user).values("pk")).exists():
            return False
    return True


def _student_count(artifact: ReportArtifact) -> int:
    with artifact.file.open("rb") as handle:
        return max(0, handle.read().count(b"\n") - 1)


@transaction.atomic
def report_run_validate(*, actor, run: ReportRun) -> ReportRun:
    """Draft -> validated, when the run succeeded and has no fatal findings."""
    run = ReportRun.objects.restrict(actor, Action.CHANGE).select_for_update().get(pk=run.pk)
    if run.status != RunStatus.SUCCEEDED:
        raise ValidationError(_("Only a finished run can be validated."))
    if run.certification != Certification.DRAFT:
        raise ValidationError(_("This run is already %(state)s.") % {"state": run.get_certification_display()})
    fatal = run.findings.filter(severity=Severity.FATAL).count()
    if fatal:
        raise ValidationError(_("%(n)s fatal finding(s) must be fixed in the data first.") % {"n": fatal})
    run.certification = Certification.VALIDATED
    return record_save(actor=actor, instance=run)


@transaction.atomic
def report_run_certify(*, actor, run: ReportRun) -> ReportRun:
    """Validated -> certified, by a role allowed to certify (reporting managers); the files are then frozen."""
    run = ReportRun.objects.restrict(actor, Action.CHANGE).select_for_update().get(pk=run.pk)
    if not _may_certify(actor, run):
        raise PermissionDenied(_("Only a reporting manager may certify a file."))
    if run.certification != Certification.VALIDATED:
        raise ValidationError(_("Validate the run before certifying it."))
    run.certification = Certification.CERTIFIED
    run.certified_by = actor
    run.certified_at = timezone.now()
    run = record_save(actor=actor, instance=run)
    registry.run_event(run, registry.RUN_CERTIFIED)
    return run


def _may_certify(actor, run) -> bool:
    return is_reporting_manager(actor, run.district_id)


def is_reporting_manager(user, district_id) -> bool:
    """A manager of the reporting office of the district: certifies files and keeps the file settings."""
    from core.choices import Role

    scope = policy.scope_for(user)
    return scope.is_superuser or any(
        a.role == Role.DEPT_MANAGER and a.department_code == "reporting" and a.district_id == district_id
        for a in scope.assignments
    )


@transaction.atomic
def sex_value_setting_save(*, actor, instance: SexValueSetting, expected_version=None, m2m=None) -> SexValueSetting:
    """Save which sex values a file may carry; only a reporting manager of the district may."""
    if not is_reporting_manager(actor, instance.district_id):
        raise PermissionDenied(_("Only a reporting manager may change which sex values a file carries."))
    return record_save(actor=actor, instance=instance, expected_version=expected_version)


@transaction.atomic
def report_run_amend(*, actor, run: ReportRun) -> ReportRun:
    """Replace a certified run with a new draft run of the same report and parameters on today's data."""
    run = ReportRun.objects.restrict(actor, Action.CHANGE).select_for_update().get(pk=run.pk)
    if run.certification != Certification.CERTIFIED:
        raise ValidationError(_("Only a certified run can be amended."))
    run.certification = Certification.AMENDED
    record_save(actor=actor, instance=run)
    report = registry.get(run.report_key)
    params = dict(run.parameters)
    params.update(sex_rule(report, run.district) or {})  # today's setting, like today's data
    new = ReportRun(
        district=run.district,
        report_key=run.report_key,
        title=run.title,
        department=run.department,
        school_year_id=run.school_year_id,
        parameters=params,
        requested_by=actor,
        amends=run,
        fingerprint=fingerprint(report, run.district, params),
    )
    new = record_save(actor=actor, instance=new)
    transaction.on_commit(lambda: enqueue(new.pk))
    return new


@transaction.atomic
def report_schedule_save(*, actor, instance: ReportSchedule, expected_version=None, m2m=None) -> ReportSchedule:
    """Save a schedule and keep its beat entry (django-celery-beat) in step."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    schedule = instance
    report = registry.get(schedule.report_key)
    if report is None:
        raise ValidationError({"report_key": _("No report %(key)s.") % {"key": schedule.report_key}})
    params = schedule.parameters or {}
    if params.get("level") and params["level"] not in report.levels:
        raise ValidationError(
            {"parameters": _("This report is written at: %(levels)s.") % {"levels": ", ".join(report.levels)}}
        )
    if params.get("fmt") and params["fmt"] not in report.formats:
        raise ValidationError(
            {"parameters": _("This report is written as: %(formats)s.") % {"formats": ", ".join(report.formats)}}
        )
    crontab = CrontabSchedule(
        minute=schedule.minute,
        hour=schedule.hour,
        day_of_month=schedule.day_of_month,
        month_of_year=schedule.month_of_year,
        day_of_week=schedule.day_of_week,
    )
    try:
        crontab.full_clean(exclude=["timezone"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    schedule = record_save(actor=actor, instance=schedule, expected_version=expected_version)
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute=schedule.minute,
        hour=schedule.hour,
        day_of_month=schedule.day_of_month,
        month_of_year=schedule.month_of_year,
        day_of_week=schedule.day_of_week,
    )
    task = schedule.periodic_task or PeriodicTask(name=f"report-schedule-{schedule.pk}")
    task.task = "reporting.tasks.scheduled_report_task"
    task.crontab = crontab
    task.args = json.dumps([schedule.pk])
    task.enabled = schedule.enabled
    task.save()
    if schedule.periodic_task_id != task.pk:
        type(schedule).objects.filter(pk=schedule.pk).update(periodic_task=task)
        schedule.periodic_task = task
    return schedule


def scheduled_run(schedule_id: int, today: datetime.date | None = None) -> ReportRun | None:
    """What beat does at a schedule's time: run the report for the current school year as of today."""
    schedule = ReportSchedule.objects.select_related("district").filter(pk=schedule_id, enabled=True).first()
    if schedule is None:
        return None
    today = today or timezone.localdate()
    year = (
        SchoolYear.objects.filter(district=schedule.district, start_date__lte=today, end_date__gte=today).first()
        or SchoolYear.objects.filter(district=schedule.district, end_date__lt=today).order_by("-end_date").first()
    )
    if year is None:
        return None
    as_of = min(today, year.end_date)
    raw = {"school_year": year.pk, "as_of": as_of.isoformat(), **(schedule.parameters or {})}
    run, _reused = report_request(
        actor=None, report_key=schedule.report_key, district=schedule.district, raw_params=raw, schedule=schedule
    )
    return run
