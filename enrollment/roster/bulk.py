"""Writing a roster batch: set-based, with audit rows, and a last check of scope.

On PostgreSQL (``import_copy``) each new row and its audit row are rendered
as COPY text as soon as the planner has checked them, and handed in chunks
to a ``core.bulk.CopyPipe``: a background thread that sends them with ``COPY`` on the
same connection (so in the same transaction) and waits for the database with
the interpreter lock released, so the database inserts one chunk while
Python checks the next. Ids are drawn from each table's sequence first, so
students, their external ids and enrollments are linked before anything is
sent. Changed rows are streamed into a temporary table and applied with one
``UPDATE ... FROM`` that also checks each row's version.

Other databases (``import_generic``) plan first, then use ``bulk_create``,
``bulk_update`` and ``core.audit.log_bulk``. Both write the same rows and the
same audit values (``test_roster_bulk`` holds them to it).

Both return the plan; the caller holds the transaction and rolls it back
when the plan has problems (on PostgreSQL rows checked before the first
problem may already have been sent). Every bad row is still reported: once a
problem is found, checking goes on but writing stops.
"""

from __future__ import annotations

import csv
import io
import json
import operator
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.bulk import (
    COPY_CHUNK,
    PLAIN_FIELDS,
    AuditLines,
    CopyPipe,
    allocate_ids,
    audited_fields,
    column_list,
    json_encoder,
)
from core.choices import Action
from core.models import AuditEntry

from ..models import Enrollment, Student, StudentExternalId
from .instances import attach
from .plan import ENROLLMENT_FIELDS, STUDENT_FIELDS, Change, Planner, RosterPlan, among, chunks, run_planner
from .rows import RosterProblem

UPDATED_FIELDS = {
    Student: (*STUDENT_FIELDS, "race_ethnicity"),
    StudentExternalId: ("source", "external_id"),
    Enrollment: ENROLLMENT_FIELDS,
}


class RosterConflict(Exception):
    """A record changed between reading and writing; nothing was written."""


class RosterOutOfScope(Exception):
    """Written rows fell outside the actor's scope; nothing was written."""

    def __init__(self, problems: list[RosterProblem]):
        super().__init__(f"{len(problems)} rows outside the actor's scope")
        self.problems = problems


def _link(changes: list[Change]) -> None:
    """Point each row at its (now saved) student."""
    for ch in changes:
        attach(ch.instance, "student", ch.instance.student)  # its id, now that the student has one


def _audit_rows(changes: list[Change]):
    for ch in changes:
        yield (
            AuditEntry.Change.CREATE if ch.is_new else AuditEntry.Change.UPDATE,
            ch.instance,
            ch.before,
            audit.snapshot(ch.instance),
        )


# -- scope ---------------------------------------------------------------------


def _in_scope_ids(model, actor, action: str, ids: list[int]) -> set[int]:
    found: set[int] = set()
    for qs in among(model.objects.restrict(actor, action), "pk", ids):
        found.update(qs.values_list("pk", flat=True))
    return found


def _alike_students(plan: RosterPlan) -> list[list[Change]]:
    """New students grouped so that the policy treats every student of a group alike.

    Student's access rule reaches a row only through its district and the
    schools that serve it; a student this import creates has no records but
    the import's enrollments (and no offer), so students with the same
    district and the same schools and exit dates of their enrollments are all
    in scope or all out of it: checking one of each group checks them all.
    (With another rule, every student is its own group.)
    """
    rule = Student.access
    new = [ch for ch in plan.students if ch.is_new]
    if (rule.district_path, rule.school_path, rule.student_path, rule.row_class_field) != (
        "district",
        None,
        "pk",
        None,
    ):
        return [[ch] for ch in new]
    places: dict[int, set[tuple]] = defaultdict(set)
    for ch in plan.enrollments:
        state = ch.instance.__dict__  # (ids read straight: descriptors cost a call per row)
        places[state["student_id"]].add((state["school_id"], state["exit_date"]))
    groups: dict[tuple, list[Change]] = defaultdict(list)
    for ch in new:
        state = ch.instance.__dict__
        groups[(state["district_id"], frozenset(places[state["id"]]))].append(ch)
    return list(groups.values())


ScopeChecks = list[tuple[type, list[list[Change]]]]


def scope_checks(planner: Planner) -> ScopeChecks:
    """The new rows the planner could not check before writing, in groups the policy treats alike.

    The planner checked every changed record, and new enrollments where the
    policy's filter reads as a filter on schools; a new student is in scope
    through its enrollments, so it is checked once they are written.
    """
    plan = planner.plan
    checks = [(Student, _alike_students(plan))]
    if planner.verify_new_enrollments:
        checks.append((Enrollment, [[ch] for ch in plan.enrollments if ch.is_new]))
    return checks


def verify_scope(actor, checks: ScopeChecks) -> None:
    """The written rows of ``checks`` must be ones the actor may add, by ``restrict()``; one row per group is read."""
    problems = []
    for model, groups in checks:
        if not groups:
            continue
        allowed = _in_scope_ids(model, actor, Action.ADD, [group[0].instance.pk for group in groups])
        for group in groups:
            if group[0].instance.pk in allowed:
                continue
            for ch in group:
                problems.append(
                    RosterProblem(
                        line=ch.line,
                        column="",
                        file=ch.file,
                        message=_("This %(thing)s would fall outside what you may add.")
                        % {"thing": model._meta.verbose_name},
                    )
                )
    if problems:
        raise RosterOutOfScope(problems)


# -- any database ----------------------------------------------------------------


def _write_generic(model, changes: list[Change]) -> None:
    new = [ch.instance for ch in changes if ch.is_new]
    changed = [ch.instance for ch in changes if not ch.is_new]
    if changed:
        current: dict[int, int] = {}
        for part in chunks([obj.pk for obj in changed]):
            current.update(model._base_manager.filter(pk__in=part).values_list("pk", "version"))
        if any(current.get(obj.pk) != obj.version - 1 for obj in changed):
            raise RosterConflict(_("Some records changed while the file was being imported; import it again."))
        now = timezone.now()
        for obj in changed:
            obj.updated_at = now
        model._base_manager.bulk_update(changed, [*UPDATED_FIELDS[model], "version", "updated_at"], batch_size=500)
    if new:
        model._base_manager.bulk_create(new, batch_size=500)


def import_generic(actor, batch) -> RosterPlan:
    """Plan the whole batch, then write it with bulk_create and bulk_update (any database)."""
    planner = Planner(actor, batch)
    plan = run_planner(planner)
    if not plan.ok or plan.is_empty:
        return plan
    _write_generic(Student, plan.students)
    _link(plan.external_ids)
    _link(plan.enrollments)
    _write_generic(StudentExternalId, plan.external_ids)
    _write_generic(Enrollment, [ch for ch in plan.enrollments if not ch.is_new])
    _write_generic(Enrollment, [ch for ch in plan.enrollments if ch.is_new])
    for changes in (plan.students, plan.external_ids, plan.enrollments):
        if changes:
            audit.log_bulk(actor=actor, rows=_audit_rows(changes))
    verify_scope(actor, scope_checks(planner))
    return plan


# -- PostgreSQL: COPY ------------------------------------------------------------


class _RowStream(io.TextIOBase):
    """A file ``copy_expert`` reads from, formatting CSV rows only as it is read."""

    error: Exception | None = None

    def __init__(self, rows, text: bool = False):
        self._rows = iter(rows)
        self._buffer = io.StringIO()
        # CSV rows (values) or, with ``text``, lines already in COPY's text format.
        self._writer = self._buffer if text else csv.writer(self._buffer, lineterminator="\n")
        self._write = self._buffer.write if text else self._writer.writerow

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        buffer, write = self._buffer, self._write
        want = COPY_CHUNK if size is None or size < 0 else size
        try:
            for row in self._rows:
                write(row)
                if buffer.tell() >= want:
                    break
        except Exception as exc:  # noqa: BLE001 - psycopg2 would swallow it; re-raised by _copy
            self.error = exc
            return ""
        data = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return data

    readline = read


def _copy(cursor, sql: str, rows, text: bool = False) -> None:
    stream = _RowStream(rows, text)
    try:
        cursor.cursor.copy_expert(sql, stream, size=COPY_CHUNK)
    finally:
        if stream.error is not None:
            raise stream.error


def _csv_copy_sql(table: str, fields) -> str:
    """COPY of CSV rows into ``table`` (quoted) for ``fields``; empty text in a NOT NULL column stays empty."""
    not_null_text = [
        connection.ops.quote_name(f.column)
        for f in fields
        if isinstance(f, (models.CharField, models.TextField)) and not f.null
    ]
    force = f", FORCE_NOT_NULL ({', '.join(not_null_text)})" if not_null_text else ""
    return f"COPY {table} ({column_list(fields)}) FROM STDIN WITH (FORMAT csv{force})"


def _row_values(model):
    """The COPY statement for new rows of ``model``, and a function giving a new instance's values for it.

    An empty value in a nullable text column is stored as NULL (and set so on the instance).
    """
    fields = model._meta.concrete_fields
    values = operator.attrgetter(*[f.attname for f in fields])
    nullable_text = [f.attname for f in fields if isinstance(f, (models.CharField, models.TextField)) and f.null]

    def row(obj):
        state = obj.__dict__
        for name in nullable_text:
            if state[name] == "":
                state[name] = None
        return values(obj)

    return _csv_copy_sql(connection.ops.quote_name(model._meta.db_table), fields), row


def _born(obj, pk: int, now) -> None:
    obj.__dict__["id"] = pk
    obj.created_at = obj.updated_at = now
    obj._state.adding = False


def _insert_stream(cursor, model, instances: Iterable) -> None:
    """COPY new rows (ids already given) into the model's table, as ``instances`` produces them."""
    sql, row = _row_values(model)
    _copy(cursor, sql, map(row, instances))


def _insert_copy(cursor, model, instances: list) -> None:
    if not instances:
        return
    now = timezone.now()
    for obj, pk in zip(instances, allocate_ids(cursor, model, len(instances)), strict=True):
        _born(obj, pk, now)
    _insert_stream(cursor, model, instances)


def _update_copy(cursor, model, instances: list) -> None:
    if not instances:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    fields = [model._meta.get_field(name) for name in ("id", "version", *UPDATED_FIELDS[model])]
    temp = connection.ops.quote_name(f"roster_update_{model._meta.model_name}")
    cursor.execute(f"DROP TABLE IF EXISTS {temp}")
    cursor.execute(f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS SELECT {column_list(fields)} FROM {table} WITH NO DATA")
    _copy(cursor, _csv_copy_sql(temp, fields), map(operator.attrgetter(*[f.attname for f in fields]), instances))
    now = timezone.now()
    assignments = ", ".join(
        f"{connection.ops.quote_name(f.column)} = u.{connection.ops.quote_name(f.column)}" for f in fields[1:]
    )
    cursor.execute(
        f"UPDATE {table} AS r SET {assignments}, updated_at = %s FROM {temp} AS u "
        f"WHERE r.id = u.id AND r.version = u.version - 1",
        [now],
    )
    if cursor.rowcount != len(instances):
        raise RosterConflict(_("Some records changed while the file was being imported; import it again."))
    for obj in instances:
        obj.updated_at = now


class AuditValues:
    """``core.audit.snapshot`` and ``diff`` for many rows of one model: the same values, faster.

    A new record's values are written straight to JSON text (the JSON that
    ``log_bulk`` would store); ``test_roster_bulk`` holds the two equal.
    """

    def __init__(self, model):
        fields = audited_fields(model)
        self.names = [f.name for f in fields]
        self.values = operator.attrgetter(*[f.attname for f in fields])
        self.plain = [i for i, f in enumerate(fields) if isinstance(f, PLAIN_FIELDS)]
        self.encoders = [(json.dumps(f.name) + ": [null, ", json_encoder(f)) for f in fields]

    def snapshot(self, obj) -> dict:
        values = list(self.values(obj))
        for i in self.plain:
            values[i] = audit._plain(values[i])
        return dict(zip(self.names, values, strict=True))

    def changes_json(self, obj, before: dict | None) -> str:
        """The entry's ``changes`` as JSON: every value of a new record, or what changed."""
        if before is not None:
            return json.dumps(audit.diff(before, self.snapshot(obj)))
        parts = [
            prefix + encode(value) + "]"
            for (prefix, encode), value in zip(self.encoders, self.values(obj), strict=True)
            if value is not None
        ]
        return "{" + ", ".join(parts) + "}"


class AuditRows:
    """The audit rows of roster changes, as COPY text lines (``core.bulk.AuditLines`` with each record's values)."""

    CREATE, UPDATE = AuditEntry.Change.CREATE.value, AuditEntry.Change.UPDATE.value

    def __init__(self, actor, models_: tuple[type, ...]):
        self.lines = AuditLines(actor, models_)
        self.sql = self.lines.sql
        self._models = {model: (self.lines.content_type(model), AuditValues(model)) for model in models_}

    def line(self, change: Change) -> str:
        obj = change.instance
        ct, spec = self._models[type(obj)]
        return (
            self.lines.line(
                self.CREATE if change.before is None else self.UPDATE,
                ct,
                obj.pk,
                str(obj),
                spec.changes_json(obj, change.before),
                audit.district_of(obj),
                audit.row_class_of(obj),
            )
            + "\n"
        )


class TableChunks:
    """New rows of one table (ids given) rendered as CSV and sent through a CopyPipe every ``size`` rows.

    ``after``: the chunks of the table these rows refer to, sent first, since
    foreign keys are checked as the rows arrive.
    """

    def __init__(self, pipe: CopyPipe, model, size: int = 20_000, after: TableChunks | None = None):
        self.pipe, self.size, self.after = pipe, size, after
        self.sql, self.row = _row_values(model)
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        self.count = 0

    def add(self, obj) -> None:
        self.writer.writerow(self.row(obj))
        self.count += 1
        if self.count >= self.size:
            self.flush()

    def flush(self) -> None:
        if self.count:
            if self.after is not None:
                self.after.flush()
            self.pipe.send(self.sql, self.buffer.getvalue())
            self.buffer = io.StringIO()
            self.writer = csv.writer(self.buffer, lineterminator="\n")
            self.count = 0


class AuditChunks:
    """Audit rows rendered and sent through a CopyPipe every ``size`` rows."""

    def __init__(self, pipe: CopyPipe, rows: AuditRows, size: int = 20_000):
        self.pipe, self.size, self.rows = pipe, size, rows
        self.sql = rows.sql
        self.lines: list[str] = []

    def add(self, change: Change) -> None:
        self.lines.append(self.rows.line(change))
        if len(self.lines) >= self.size:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.pipe.send(self.sql, "".join(self.lines))
            self.lines = []


def _deferred_constraints(cursor, models_) -> list[str]:
    """The deferred constraints (Django's foreign keys) of these models' tables."""
    cursor.execute(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.conname) FROM pg_constraint c "
        "JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE c.conrelid = ANY(%s::regclass[]) AND c.condeferrable AND c.condeferred ORDER BY 1",
        [[model._meta.db_table for model in models_]],
    )
    return [name for (name,) in cursor.fetchall()]


WRITTEN = (Student, StudentExternalId, Enrollment, AuditEntry)


def import_copy(actor, batch) -> RosterPlan:
    """Plan and write the batch on PostgreSQL: rows and their audit go out with COPY as they are checked.

    The tables' foreign keys, deferred to the commit by default, are checked
    as the rows arrive instead: then the database checks them in the
    background while Python checks the next rows, not all at the end.
    """
    planner = Planner(actor, batch)
    planner.resolve_references()
    planner.prepare_students()
    now = timezone.now()
    with connection.cursor() as cursor:
        deferred = ", ".join(_deferred_constraints(cursor, WRITTEN))
        if deferred:
            cursor.execute(f"SET CONSTRAINTS {deferred} IMMEDIATE")
        plan, checks = _write_copy(cursor, actor, batch, planner, now)
        if deferred:
            cursor.execute(f"SET CONSTRAINTS {deferred} DEFERRED")
    if not plan.ok or plan.is_empty:
        return plan
    verify_scope(actor, checks or scope_checks(planner))
    return plan


def _write_copy(cursor, actor, batch, planner: Planner, now) -> tuple[RosterPlan, ScopeChecks | None]:
    """Send the students with their external ids, then the enrollments, each with its audit rows.

    When none of the batch's students has an enrollment yet (a first import),
    every enrollment row is new: the enrollments follow the students through
    the same pipe, so the database is still writing students while Python
    checks enrollments. Otherwise the pipe is drained first, changed students
    are applied, and the enrollments are matched and written.
    """
    plan = planner.plan
    planner.read_enrollments()  # (queries: before the pipe holds the connection)
    streaming = not planner.has_existing_enrollments
    student_ids = allocate_ids(cursor, Student, planner.new_student_rows)
    external_ids = allocate_ids(cursor, StudentExternalId, planner.external_id_rows)
    enrollment_ids = allocate_ids(cursor, Enrollment, len(batch.enrollments)) if streaming else None
    pipe = CopyPipe(cursor)
    try:
        students = TableChunks(pipe, Student)
        externals = TableChunks(pipe, StudentExternalId, after=students)
        audit_rows = AuditChunks(pipe, AuditRows(actor, (Student, StudentExternalId, Enrollment)))
        sent = 0  # external ids handled so far

        def send_external_ids():
            nonlocal sent
            for ch in plan.external_ids[sent:]:
                attach(ch.instance, "student", ch.instance.student)  # its id, now that the student has one
                _born(ch.instance, next(external_ids), now)
                externals.add(ch.instance)
                audit_rows.add(ch)
            sent = len(plan.external_ids)

        for ch in planner.students():
            if not plan.ok:
                continue  # checking goes on, writing stops
            if ch.is_new:
                _born(ch.instance, next(student_ids), now)
                students.add(ch.instance)
            audit_rows.add(ch)
            send_external_ids()
        if plan.ok:
            send_external_ids()
            students.flush()
            externals.flush()
        checks = None
        if streaming:
            planner.prepare_enrollments()  # reads nothing more: every enrollment row is new
            _stream_enrollments(pipe, planner, enrollment_ids, audit_rows, now)
            if plan.ok:
                audit_rows.flush()
                checks = scope_checks(planner)  # while the database writes the last chunks
        elif plan.ok:
            audit_rows.flush()
    finally:
        pipe.drain()
    if plan.ok:
        _update_copy(cursor, Student, [ch.instance for ch in plan.students if not ch.is_new])
    if streaming:
        return planner.finish(), checks
    planner.prepare_enrollments()
    if not planner.changes_existing_enrollments:
        # The students had enrollments, but no row of the batch changes one: all new, streamed.
        enrollment_ids = allocate_ids(cursor, Enrollment, len(batch.enrollments))
        pipe = CopyPipe(cursor)
        try:
            audit_rows = AuditChunks(pipe, AuditRows(actor, (Enrollment,)))
            _stream_enrollments(pipe, planner, enrollment_ids, audit_rows, now)
            if plan.ok:
                audit_rows.flush()
        finally:
            pipe.drain()
        return planner.finish(), None
    # Changes first, so an enrollment closed by this import frees its dates for the next one.
    changes = list(planner.enrollments())
    if plan.ok and changes:
        _link(changes)
        _update_copy(cursor, Enrollment, [ch.instance for ch in changes if not ch.is_new])
        _insert_copy(cursor, Enrollment, [ch.instance for ch in changes if ch.is_new])
        rows = AuditRows(actor, (Enrollment,))
        _copy(cursor, rows.sql, (rows.line(ch) for ch in changes), text=True)
    return planner.finish(), None


def _stream_enrollments(pipe, planner: Planner, ids, audit_rows, now) -> None:
    """Check the enrollment rows (all new) and send each, with its audit row, as it passes."""
    plan = planner.plan
    enrollments = TableChunks(pipe, Enrollment)
    for ch in planner.enrollments():
        if plan.ok:
            attach(ch.instance, "student", ch.instance.student)
            _born(ch.instance, next(ids), now)
            enrollments.add(ch.instance)
            audit_rows.add(ch)
    if plan.ok:
        enrollments.flush()


def import_batch(actor, batch) -> RosterPlan:
    """Plan and write ``batch`` in the caller's transaction; the caller rolls back a plan with problems."""
    if connection.vendor == "postgresql":
        return import_copy(actor, batch)
    return import_generic(actor, batch)
