"""Writing a roster batch: set-based, with audit rows, and a last check of scope.

On PostgreSQL (``import_copy``) new rows are streamed with ``COPY`` straight
into their tables while the planner checks them, so the database inserts one
row while Python checks the next (ids are drawn from each table's sequence
first, so students, their external ids and enrollments are linked before
anything is sent). Changed rows are streamed into a temporary table and
applied with one ``UPDATE ... FROM`` that also checks each row's version. The
audit rows are streamed with ``COPY`` too.

Other databases (``import_generic``) plan first, then use ``bulk_create``,
``bulk_update`` and ``core.audit.log_bulk``. Both write the same rows and the
same audit values.

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
import threading
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring_ascii

from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, context
from core.choices import Action
from core.models import AuditEntry

from ..models import Enrollment, Student, StudentExternalId
from .instances import attach
from .plan import ENROLLMENT_FIELDS, STUDENT_FIELDS, Change, Planner, RosterPlan, among, chunks, run_planner
from .rows import RosterProblem

COPY_CHUNK = 1 << 18
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


def verify_scope(actor, planner: Planner) -> None:
    """Rows the plan could not check before writing must be ones the actor may add, by ``restrict()``.

    The planner checked every changed record, and new enrollments where the
    policy's filter reads as a filter on schools; a new student is in scope
    through its enrollments, so it is checked here, once they are written.
    """
    plan = planner.plan
    problems = []
    checks = [(Student, plan.students)]
    if planner.verify_new_enrollments:
        checks.append((Enrollment, plan.enrollments))
    for model, changes in checks:
        ids = [ch.instance.pk for ch in changes if ch.is_new]
        if not ids:
            continue
        allowed = _in_scope_ids(model, actor, Action.ADD, ids)
        for ch in changes:
            if ch.is_new and ch.instance.pk not in allowed:
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
    verify_scope(actor, planner)
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


def _copy_options(fields) -> str:
    not_null_text = [
        connection.ops.quote_name(f.column)
        for f in fields
        if isinstance(f, (models.CharField, models.TextField)) and not f.null
    ]
    force = f", FORCE_NOT_NULL ({', '.join(not_null_text)})" if not_null_text else ""
    return f"(FORMAT csv{force})"


def _column_list(fields) -> str:
    return ", ".join(connection.ops.quote_name(f.column) for f in fields)


def _allocate(cursor, model, count: int) -> Iterator[int]:
    """``count`` new ids from the model's table sequence."""
    if count <= 0:
        return iter(())
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [model._meta.db_table, count]
    )
    return (pk for (pk,) in cursor.fetchall())


def _born(obj, pk: int, now) -> None:
    obj.__dict__["id"] = pk
    obj.created_at = obj.updated_at = now
    obj._state.adding = False


def _insert_stream(cursor, model, instances: Iterable) -> None:
    """COPY new rows (ids already given) into the model's table, as ``instances`` produces them."""
    fields = model._meta.concrete_fields
    values = operator.attrgetter(*[f.attname for f in fields])
    nullable_text = [f.attname for f in fields if isinstance(f, (models.CharField, models.TextField)) and f.null]

    def rows():
        for obj in instances:
            state = obj.__dict__
            for name in nullable_text:  # an empty value in a nullable text column is stored as NULL
                if state[name] == "":
                    state[name] = None
            yield values(obj)

    table = connection.ops.quote_name(model._meta.db_table)
    _copy(cursor, f"COPY {table} ({_column_list(fields)}) FROM STDIN WITH {_copy_options(fields)}", rows())


def _insert_copy(cursor, model, instances: list) -> None:
    if not instances:
        return
    now = timezone.now()
    for obj, pk in zip(instances, _allocate(cursor, model, len(instances)), strict=True):
        _born(obj, pk, now)
    _insert_stream(cursor, model, instances)


def _update_copy(cursor, model, instances: list) -> None:
    if not instances:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    fields = [model._meta.get_field(name) for name in ("id", "version", *UPDATED_FIELDS[model])]
    temp = connection.ops.quote_name(f"roster_update_{model._meta.model_name}")
    cursor.execute(f"DROP TABLE IF EXISTS {temp}")
    cursor.execute(
        f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS SELECT {_column_list(fields)} FROM {table} WITH NO DATA"
    )
    _copy(
        cursor,
        f"COPY {temp} ({_column_list(fields)}) FROM STDIN WITH {_copy_options(fields)}",
        map(operator.attrgetter(*[f.attname for f in fields]), instances),
    )
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


AUDIT_FIELDS = (
    "timestamp",
    "actor",
    "actor_name",
    "change",
    "content_type",
    "object_id",
    "object_repr",
    "changes",
    "request_id",
    "source",
    "district_key",
)


def _json_text(value: str) -> str:
    return encode_basestring_ascii(value)


def _json_bool(value) -> str:
    return "true" if value else "false"


def _json_number(value) -> str:
    return str(value)


def _json_plain(value) -> str:
    return encode_basestring_ascii(str(audit._plain(value)))


class AuditValues:
    """``core.audit.snapshot``, ``diff`` and ``district_of`` for many rows of one model: the same values, faster.

    A new record's values are written straight to JSON text (the JSON that
    ``log_bulk`` would store); ``test_roster_bulk`` holds the two equal.
    """

    PLAIN = (models.DateField, models.TimeField, models.DecimalField, models.UUIDField)

    def __init__(self, model):
        skipped = audit.SKIPPED_FIELDS | set(getattr(model, "audit_exclude", ()))
        fields = [f for f in model._meta.concrete_fields if f.name not in skipped and not f.primary_key]
        self.names = [f.name for f in fields]
        self.values = operator.attrgetter(*[f.attname for f in fields])
        self.plain = [i for i, f in enumerate(fields) if isinstance(f, self.PLAIN)]
        self.encoders = [(json.dumps(f.name) + ": [null, ", self._encoder(f)) for f in fields]
        rule = getattr(model, "access", None)
        self.per_row_district = bool(rule and rule.district_path and not rule.multi_valued)

    def _encoder(self, f):
        if isinstance(f, self.PLAIN):
            return _json_plain
        if isinstance(f, models.BooleanField):
            return _json_bool
        if isinstance(f, (models.CharField, models.TextField)):
            return _json_text
        if isinstance(f, (models.IntegerField, models.ForeignKey, models.AutoField)):
            return _json_number
        return lambda value: json.dumps(audit._plain(value))

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

    def district(self, obj):
        return audit.district_of(obj) if self.per_row_district else None


# COPY's text format: backslash escapes, tab between fields, \N for NULL.
_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text_field(value) -> str:
    return "\\N" if value is None else str(value).translate(_TEXT_ESCAPES)


class AuditLines:
    """The audit rows ``core.audit.log_bulk`` would write, rendered as COPY text in a background thread.

    Rendering is Python work; while it runs, the main thread keeps the
    database busy (inserting enrollments, checking foreign keys), during
    which psycopg2 releases the interpreter lock. The thread only reads the
    planned instances, whose relations are all cached: it never queries.
    """

    BATCH = 5000

    def __init__(self, actor, groups: list[tuple[type, list[Change]]]):
        from django.contrib.contenttypes.models import ContentType

        has_actor = actor is not None and actor.pk
        # Read here, in the caller's thread: context variables do not follow into a new thread.
        self.head = "\t".join(
            _text_field(v)
            for v in (
                timezone.now().isoformat(),
                actor.pk if has_actor else None,
                actor.get_username() if has_actor else "system",
            )
        )
        self.tail = "\t".join(_text_field(v) for v in (context.request_id.get(), context.source.get()))
        self.groups = [
            (ContentType.objects.get_for_model(model).pk, AuditValues(model), changes) for model, changes in groups
        ]
        self.chunks: list[str] = []
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._render, name="roster-audit", daemon=True)

    def start(self) -> AuditLines:
        self._thread.start()
        return self

    def _render(self) -> None:
        try:
            head, tail = self.head, self.tail
            escapes, null = _TEXT_ESCAPES, _text_field(None)
            create, update = AuditEntry.Change.CREATE.value, AuditEntry.Change.UPDATE.value
            for ct, spec, changes in self.groups:
                for part in chunks(changes, self.BATCH):
                    lines = []
                    for ch in part:
                        obj = ch.instance
                        district = spec.district(obj)
                        lines.append(
                            f"{head}\t{create if ch.before is None else update}\t{ct}\t{obj.pk}\t"
                            f"{str(obj)[:200].translate(escapes)}\t"
                            f"{spec.changes_json(obj, ch.before).translate(escapes)}\t"
                            f"{tail}\t{null if district is None else district}\n"
                        )
                    self.chunks.append("".join(lines))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread by copy()
            self.error = exc

    def wait(self) -> None:
        self._thread.join()
        if self.error is not None:
            raise self.error

    def copy(self, cursor) -> None:
        """Wait for the rendering, then COPY the rows."""
        self.wait()
        fields = [AuditEntry._meta.get_field(name) for name in AUDIT_FIELDS]
        _copy(cursor, f"COPY {AuditEntry._meta.db_table} ({_column_list(fields)}) FROM STDIN", self.chunks, text=True)


def _check_deferred(cursor) -> None:
    """Check the deferred foreign keys of the rows written so far, then defer again."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def import_copy(actor, batch) -> RosterPlan:
    """Plan and write the batch on PostgreSQL, streaming new rows with COPY as they are checked."""
    planner = Planner(actor, batch)
    plan = planner.plan
    planner.resolve_references()
    planner.prepare_students()
    now = timezone.now()
    with connection.cursor() as cursor:
        ids = _allocate(cursor, Student, planner.new_student_rows)

        def new_students():
            for ch in planner.students():
                if ch.is_new and plan.ok:
                    _born(ch.instance, next(ids), now)
                    yield ch.instance

        _insert_stream(cursor, Student, new_students())
        student_audit = None
        if plan.ok:
            _update_copy(cursor, Student, [ch.instance for ch in plan.students if not ch.is_new])
            _link(plan.external_ids)
            _insert_copy(cursor, StudentExternalId, [ch.instance for ch in plan.external_ids])
            # Rendered while the enrollments are checked and inserted.
            student_audit = AuditLines(actor, [(Student, plan.students), (StudentExternalId, plan.external_ids)])
            student_audit.start()
        planner.prepare_enrollments()
        if planner.changes_existing_enrollments or not plan.ok:
            # Changes first, so an enrollment closed by this import frees its dates for the next one.
            changes = list(planner.enrollments())
            if plan.ok:
                _link(changes)
                _update_copy(cursor, Enrollment, [ch.instance for ch in changes if not ch.is_new])
                _insert_copy(cursor, Enrollment, [ch.instance for ch in changes if ch.is_new])
        else:
            ids = _allocate(cursor, Enrollment, len(batch.enrollments))

            def new_enrollments():
                for ch in planner.enrollments():
                    if plan.ok:
                        attach(ch.instance, "student", ch.instance.student)
                        _born(ch.instance, next(ids), now)
                        yield ch.instance

            _insert_stream(cursor, Enrollment, new_enrollments())
        plan = planner.finish()
        if not plan.ok or plan.is_empty:
            if student_audit is not None:
                student_audit.wait()  # nothing of it is written
            return plan
        enrollment_audit = AuditLines(actor, [(Enrollment, plan.enrollments)]).start()
        _check_deferred(cursor)  # the database checks the new rows' foreign keys while the audit is rendered
        if student_audit is not None:
            student_audit.copy(cursor)
        enrollment_audit.copy(cursor)
    verify_scope(actor, planner)
    return plan


def import_batch(actor, batch) -> RosterPlan:
    """Plan and write ``batch`` in the caller's transaction; the caller rolls back a plan with problems."""
    if connection.vendor == "postgresql":
        return import_copy(actor, batch)
    return import_generic(actor, batch)
