"""Planning a roster import: match, check and compare every row before anything is written.

``roster_plan(actor=..., batch=...)`` reads the database (a fixed number of
queries on PostgreSQL, one per few thousand rows elsewhere, never one per
row) and returns a
``RosterPlan``: the records to create and to change, each with its audit
"before" values, the rows that change nothing, the findings (warnings), and
every problem with its file, line and column. A plan with problems is never
written.

Matching:

- a student by state id, else by an external id (source, id), else by a
  fallback id (the OneRoster ``sourcedId``), always within the row's
  district (state ids and external ids are unique per district: another
  district's students are never matched, nor named in a problem); ids naming
  different students are a problem;
- an enrollment by student, school, school year and entry date; failing that,
  the one enrollment of that student at that school in that year (an
  entry-date correction).

Scope: every matched record must be one the actor may change
(``restrict(actor, "change")``); new enrollments must be at schools where the
actor may add them; related records (districts, schools, years, students
named by id) are looked up through ``restrict(actor)``. A new student is in
scope through its enrollments, so the writer checks new students against
``restrict(actor, "add")`` once they are written, before the transaction
commits.

Validation is the models' own (``validation.RowValidator``: each field's
checks and ``clean()``); the rules that span rows (duplicates, one primary
enrollment at a time) are checked over the whole batch, since a one-row
query cannot see the other rows.
"""

from __future__ import annotations

import datetime
import json
import operator
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from core import audit, policy
from core.choices import Action
from district.models import District, School, SchoolYear

from .. import choices as c
from ..models import Enrollment, Student, StudentExternalId
from .instances import InstanceMaker, attach
from .rows import EnrollmentRow, Findings, RosterBatch, RosterProblem, StudentRow
from .validation import RowValidator

CHUNK = 5000

# Student fields a roster door may set. Everything else (household, address
# coordinates set by geocoding, ...) is only set where a door carries it.
STUDENT_FIELDS = (
    "state_id",
    "local_id",
    "legal_first_name",
    "legal_middle_name",
    "legal_last_name",
    "preferred_name",
    "birth_date",
    "sex",
    "hispanic",
    "races",
    "grade_level",
    "home_language",
    "directory_opt_out",
    "street",
    "resident_town",
    "latitude",
    "longitude",
)
STUDENT_FIELD_SET = frozenset(STUDENT_FIELDS)
# Compared to decide whether a row changes its record (clean() derives race_ethnicity).
STUDENT_COMPARED = operator.attrgetter(*STUDENT_FIELDS, "race_ethnicity")
STUDENT_REQUIRED = ("legal_first_name", "legal_last_name", "birth_date", "sex", "grade_level")
ENROLLMENT_FIELDS = ("grade_level", "entry_date", "entry_code", "exit_date", "exit_code", "is_primary")
ENROLLMENT_COMPARED = operator.attrgetter(*ENROLLMENT_FIELDS)
ENROLLMENT_FIELD_SET = frozenset(ENROLLMENT_FIELDS)
DEFAULT_ENTRY_CODE = c.EntryCode.NEW
# A row names a district the actor may not use: it matches no student.
NO_DISTRICT = 0
# A row that names no district matches students of several of the actor's districts.
AMBIGUOUS = -1


def chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def among(queryset, field: str, values) -> Iterator:
    """``queryset`` narrowed to rows whose ``field`` is one of ``values``, in as few queries as the database allows.

    On PostgreSQL the values travel as one parameter (one query per quarter
    million): text as one JSON array, which costs a third of an array of
    quoted strings to send and read; numbers as an array. Elsewhere as ``IN``
    lists of a few thousand.
    """
    values = list(set(values))
    if not values:
        return
    if connection.vendor == "postgresql":
        text = all(type(v) is str for v in values)
        for part in chunks(values, 250_000):
            subquery = (
                RawSQL("SELECT json_array_elements_text(%s::json)", (json.dumps(part),))
                if text
                else RawSQL("SELECT unnest(%s)", (part,))
            )
            yield queryset.filter(**{f"{field}__in": subquery})
    else:
        for part in chunks(values):
            yield queryset.filter(**{f"{field}__in": part})


@dataclass(eq=False)
class Change:
    """A record to write: new (``before`` is None) or changed (``before`` holds its audit values)."""

    instance: object
    before: dict | None
    file: str
    line: int

    @property
    def is_new(self) -> bool:
        return self.before is None


@dataclass
class RosterPlan:
    problems: list[RosterProblem] = field(default_factory=list)
    findings: Findings = field(default_factory=Findings)
    students: list[Change] = field(default_factory=list)
    external_ids: list[Change] = field(default_factory=list)
    enrollments: list[Change] = field(default_factory=list)
    unchanged_students: int = 0
    unchanged_enrollments: int = 0
    # For each student row and enrollment row, in order: (instance, "created" | "updated" | "unchanged").
    student_results: list[tuple[object, str]] = field(default_factory=list)
    enrollment_results: list[tuple[object, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def is_empty(self) -> bool:
        return not (self.students or self.external_ids or self.enrollments)

    def counts(self) -> dict[str, dict[str, int]]:
        def split(changes, unchanged):
            new = sum(1 for ch in changes if ch.is_new)
            return {"created": new, "updated": len(changes) - new, "unchanged": unchanged}

        return {
            "students": split(self.students, self.unchanged_students),
            "external_ids": split(self.external_ids, 0),
            "enrollments": split(self.enrollments, self.unchanged_enrollments),
        }

    def sorted_problems(self) -> list[RosterProblem]:
        return sorted(self.problems, key=lambda p: (p.file, p.line, p.column))


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _on_school(condition: Q | None) -> Q | None:
    """Rewrite a policy filter on enrollments as the same filter on their schools.

    Enrollment's access rule reaches districts and schools only through
    ``school``, so "may add an enrollment at school S" is the enrollment
    filter with the ``school`` prefix taken off. Raises ``ValueError`` for a
    lookup that does not go through the school.
    """
    if condition is None:
        return None
    rewritten = Q(*[], _connector=condition.connector, _negated=condition.negated)
    for child in condition.children:
        if isinstance(child, Q):
            rewritten.children.append(_on_school(child))
            continue
        key, value = child
        if key == "pk__in" and not value:
            rewritten.children.append(("pk__in", []))
        elif key.startswith("school__"):
            rest = key.removeprefix("school__")
            try:
                School._meta.get_field(rest.split("__")[0])
            except FieldDoesNotExist:  # a lookup on the school itself: school__in
                rest = f"pk__{rest}"
            rewritten.children.append((rest, value))
        elif key == "school":
            rewritten.children.append(("pk", value))
        else:
            raise ValueError(key)
    return rewritten


def enrollment_school_ids(actor, action: str, school_ids: Iterable[int]) -> set[int] | None:
    """Which of these schools the actor may ``action`` enrollments at (None: not decidable here).

    By the policy's district and school conditions alone: whether a school of
    the actor's serves the enrollment's student is a condition on the
    student, checked with the student (``Planner.verify_new_enrollments``).
    """
    try:
        condition = _on_school(policy.filter_for(actor, Enrollment, action, served=False))
    except ValueError:
        return None
    schools = School.objects.filter(pk__in=list(school_ids))
    if condition is not None:
        schools = schools.filter(condition)
    return set(schools.values_list("pk", flat=True))


class Planner:
    """Plans a batch in stages, so a writer can stream records to the database as they are checked.

    ``prepare_students()`` and ``prepare_enrollments()`` run the batch-wide
    checks and the set-based queries; ``students()`` and ``enrollments()``
    then check each row through the model's rules and yield a ``Change`` for
    each record to write (also kept in the plan's lists). ``roster_plan``
    runs the stages in order without writing.
    """

    def __init__(self, actor, batch: RosterBatch):
        self.actor = actor
        self.author = actor if actor is not None and actor.pk else None
        self.batch = batch
        self.plan = RosterPlan(problems=list(batch.problems), findings=batch.findings)
        self.student_validator = RowValidator(Student, STUDENT_FIELDS)
        self.external_id_validator = RowValidator(StudentExternalId, ("source", "external_id"))
        self.enrollment_validator = RowValidator(Enrollment, ENROLLMENT_FIELDS)
        self.entry_date_field = Enrollment._meta.get_field("entry_date")
        self.planned_by_ref: dict[str, Student] = {}
        self._known_enrollments: dict[int, list[Enrollment]] | None = None  # read_enrollments()
        self.planned_by_state_id: dict[tuple[int, str], Student] = {}
        self.existing_student_ids: set[int] = set()
        self._date_memo: dict[str, object] = {}
        self.make_student = InstanceMaker(Student)
        self.make_external_id = InstanceMaker(StudentExternalId)
        self.make_enrollment = InstanceMaker(Enrollment)
        # Messages repeated on many rows, translated once.
        self.msg_default_entry_code = _("New enrollment: entry code set to E1 (first entry); correct it if needed.")
        self.msg_default_entry_date = _("No begin date: the entry date is the first day of the school year.")
        self.msg_reopened = _("No end date: the enrollment is open again and its exit code is cleared.")
        self.msg_default_exit_code = {
            code: _("Ended enrollment: exit code set to %(code)s (%(label)s); correct it if needed.")
            % {"code": code, "label": c.ExitCode(code).label}
            for code in (c.ExitCode.PROMOTED, c.ExitCode.MOVED_UNKNOWN)
        }
        # What the writer must still check against restrict() after writing:
        # the policy decides a new student's scope by its enrollments, so it
        # cannot be checked before they exist.
        self.verify_new_students = True
        self.verify_new_enrollments = False

    # -- problems -------------------------------------------------------------

    def problem(self, where: tuple[str, int, str], message: str) -> None:
        file, line, column = where
        self.plan.problems.append(RosterProblem(line=line, column=column, message=str(message), file=file))

    def finding(self, where: tuple[str, int, str], message: str) -> None:
        file, line, column = where
        self.plan.findings.add(file, line, column, message)

    # -- reference data -------------------------------------------------------

    def resolve_references(self) -> None:
        students, enrollments = self.batch.students, self.batch.enrollments
        school_keys = {r.school_key for r in enrollments if r.school_key} | {
            r.school_key for r in students if r.school_key
        }
        self.schools = {
            s.state_school_id: s
            for s in School.objects.restrict(self.actor)
            .filter(state_school_id__in=sorted(school_keys))
            .select_related("district")
        }
        district_keys = {r.district_key for r in students if r.district_key}
        self.districts = {
            d.state_lea_id: d
            for d in District.objects.restrict(self.actor).filter(state_lea_id__in=sorted(district_keys))
        }
        district_ids = {s.district_id for s in self.schools.values()}
        year_ends = {r.year_end for r in enrollments if r.year_end}
        self.years = {
            (y.district_id, y.end_year): y
            for y in SchoolYear.objects.restrict(self.actor).filter(
                district_id__in=sorted(district_ids), end_year__in=sorted(year_ends)
            )
        }
        school_pks = [s.pk for s in self.schools.values()]
        self.may_add_at = enrollment_school_ids(self.actor, Action.ADD, school_pks)
        # Where the actor reaches enrollments only through the students its schools serve, the
        # schools alone do not decide: new enrollments are also checked once written.
        self.verify_new_enrollments = self.may_add_at is None or policy.bound_to_served_students(
            self.actor, Enrollment, Action.ADD
        )
        scope = policy.scope_for(self.actor)
        own = sorted(scope.district_ids)
        self.only_district = (
            District.objects.restrict(self.actor).filter(pk=own[0]).first()
            if len(own) == 1 and not scope.spans_all_districts
            else None
        )
        # Districts a row that names none may belong to (None: any).
        self.own_districts = (
            None if scope.spans_all_districts or getattr(self.actor, "is_superuser", False) else set(own)
        )
        self.may_add_students = policy.can(self.actor, Student, Action.ADD)

    # -- students -------------------------------------------------------------

    def _row_district_id(self, row) -> int | None:
        """The district a student row belongs to as far as the row and the actor's scope say; None when not said."""
        if row.district_key:
            district = self.districts.get(row.district_key)
            return district.pk if district is not None else NO_DISTRICT
        school = self.schools.get(row.school_key) if row.school_key else None
        if school is not None:
            return school.district_id
        return self.only_district.pk if self.only_district is not None else None

    def _by_district(self, model, field: str, values, district_ids: set[int], anywhere: bool, extra=()):
        """``model``'s rows whose ``field`` is one of ``values``, in these districts (or the actor's, ``anywhere``)."""
        queryset = model._base_manager.filter(*extra)
        if anywhere and self.own_districts is None:
            pass
        else:
            wanted = district_ids | (self.own_districts if anywhere else set())
            queryset = queryset.filter(district_id__in=sorted(wanted - {NO_DISTRICT}))
        return among(queryset, field, values)

    def _pick(self, candidates: dict[int, int] | None, district_id: int | None):
        """The one record of ``candidates`` ({district: id}) in the row's district; with none said, the only one
        in the actor's districts (``AMBIGUOUS`` when several)."""
        if not candidates:
            return None
        if district_id is not None:
            return candidates.get(district_id)
        found = [pk for d, pk in candidates.items() if self.own_districts is None or d in self.own_districts]
        if len(found) > 1:
            return AMBIGUOUS
        return found[0] if found else None

    def prepare_students(self) -> None:
        """Duplicates in the batch, then match every row to an existing student (or none) in its district."""
        rows = self.batch.students
        districts = [self._row_district_id(row) for row in rows]
        bad: set[int] = set()
        seen_state: dict[tuple, StudentRow] = {}
        seen_ext: dict[tuple, StudentRow] = {}
        for i, row in enumerate(rows):
            state_id = _text(row.values.get("state_id"))
            if state_id:
                first = seen_state.get((districts[i], state_id))
                if first is not None:
                    self.problem(row.where("state_id"), _("Duplicate of line %(line)s.") % {"line": first.line})
                    bad.add(i)
                else:
                    seen_state[(districts[i], state_id)] = row
            for key in row.external_ids:
                first = seen_ext.get((districts[i], *key))
                if first is not None and first is not row:
                    self.problem(
                        row.where("external_ids"),
                        _("The %(source)s id %(id)s is also on line %(line)s.")
                        % {"source": key[0], "id": key[1], "line": first.line},
                    )
                    bad.add(i)
                else:
                    seen_ext[(districts[i], *key)] = row

        named = {d for d in districts if d is not None}
        anywhere = any(d is None for d in districts)
        by_state: dict[str, dict[int, int]] = defaultdict(dict)
        for qs in self._by_district(Student, "state_id", {key[1] for key in seen_state}, named, anywhere):
            for district_id, state_id, pk in qs.values_list("district_id", "state_id", "pk"):
                by_state[state_id][district_id] = pk
        ext_keys: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            for source, value in (*row.external_ids, *row.fallback_ids):
                ext_keys[source].add(value)
        ext_owner: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
        for source, values in ext_keys.items():
            for qs in self._by_district(
                StudentExternalId, "external_id", values, named, anywhere, extra=[Q(source=source)]
            ):
                for value, district_id, student_id in qs.values_list("external_id", "district_id", "student_id"):
                    ext_owner[(source, value)][district_id] = student_id

        matched: list[int | None] = [None] * len(rows)
        claimed: dict[int, StudentRow] = {}
        for i, row in enumerate(rows):
            if i in bad or not (by_state or ext_owner):  # (nothing to match: a first import)
                continue
            state_id = _text(row.values.get("state_id"))
            district_id = districts[i]
            by_id = self._pick(by_state.get(state_id), district_id) if state_id else None
            owners = {self._pick(ext_owner.get(k), district_id) for k in row.external_ids} - {None}
            fallback_owners = {self._pick(ext_owner.get(k), district_id) for k in row.fallback_ids} - {None}
            if AMBIGUOUS in (by_id, *owners, *fallback_owners):
                self.problem(row.where("district"), _("Say which district the student belongs to."))
                bad.add(i)
                continue
            if by_id is not None and owners - {by_id}:
                self.problem(row.where("external_ids"), _("The state id and an external id name different students."))
                bad.add(i)
                continue
            if len(owners) > 1:
                self.problem(row.where("external_ids"), _("The external ids name different students."))
                bad.add(i)
                continue
            pk = (
                by_id
                or next(iter(owners), None)
                or (next(iter(fallback_owners)) if len(fallback_owners) == 1 else None)
            )
            if pk is not None:
                first = claimed.get(pk)
                if first is not None:
                    self.problem(
                        row.where("state_id"), _("Names the same student as line %(line)s.") % {"line": first.line}
                    )
                    bad.add(i)
                    continue
                claimed[pk] = row
            matched[i] = pk

        existing: dict[int, Student] = {}
        changeable: set[int] = set()
        current_ext: dict[int, set[tuple[str, str]]] = defaultdict(set)
        for qs in among(Student._base_manager.all(), "pk", claimed):
            existing.update((s.pk, s) for s in qs)
        for qs in among(Student.objects.restrict(self.actor, Action.CHANGE), "pk", claimed):
            changeable.update(qs.values_list("pk", flat=True))
        for qs in among(StudentExternalId._base_manager.all(), "student_id", claimed):
            for student_id, source, value in qs.values_list("student_id", "source", "external_id"):
                current_ext[student_id].add((source, value))
        self._students_bad, self._students_matched = bad, matched
        self._existing_students, self._changeable_students = existing, changeable
        self._current_ext, self._ext_owner = current_ext, ext_owner
        self._row_districts = districts
        self.existing_student_ids = set(existing)
        self.new_student_rows = sum(1 for i, pk in enumerate(matched) if pk is None and i not in bad)
        # At most this many external ids are recorded: a row's own, or its fallback ids when it has no other.
        self.external_id_rows = sum(
            len(r.external_ids) or (0 if _text(r.values.get("state_id")) else len(r.fallback_ids)) for r in rows
        )

    def students(self) -> Iterator[Change]:
        """Check each student row; yield a Change for each student to create or change."""
        results = self.plan.student_results
        bad, matched = self._students_bad, self._students_matched
        existing, changeable = self._existing_students, self._changeable_students
        plan_students = self.plan.students
        for i, row in enumerate(self.batch.students):
            if i in bad:
                results.append((None, "error"))
                continue
            pk = matched[i]
            if pk is not None and pk not in changeable:
                self.problem(row.where("state_id"), _("This student is outside what you may change."))
                results.append((None, "error"))
                continue
            state_id = _text(row.values.get("state_id"))
            if pk is not None and state_id and existing[pk].state_id not in (None, state_id):
                # Found by an external id, but the record carries another state id: not the same student.
                self.problem(
                    row.where("external_ids"), _("The external id belongs to a student with another state id.")
                )
                results.append((None, "error"))
                continue
            count = len(plan_students)
            results.append(self._plan_student(row, existing.get(pk), self._current_ext.get(pk, set())))
            if len(plan_students) > count:
                yield plan_students[-1]

    def _district_for(self, row: StudentRow):
        if row.district_key:
            district = self.districts.get(row.district_key)
            if district is None:
                self.problem(
                    row.where("district"),
                    _("No district with state LEA id “%(value)s” that you may use.") % {"value": row.district_key},
                )
            return district
        if row.school_key:
            school = self.schools.get(row.school_key)
            if school is not None:
                return school.district
        if self.only_district is not None:
            return self.only_district
        self.problem(row.where("district"), _("Say which district the new student belongs to."))
        return None

    def _plan_student(self, row: StudentRow, current: Student | None, current_ext):
        values = row.values
        unknown = values.keys() - STUDENT_FIELD_SET
        if unknown:
            for name in sorted(unknown):
                self.problem(row.where(name), _("Unknown field."))
            return None, "error"
        if current is None:
            if not self.may_add_students:
                self.problem(row.where("state_id"), _("You may not add students."))
                return None, "error"
            district = self._district_for(row)
            if district is None:
                return None, "error"
        if "state_id" in values and not _text(values["state_id"]):
            values = {k: v for k, v in values.items() if k != "state_id"}  # a missing state id never clears one
        if current is None:
            student = self.make_student.new(values, {"district": district, "created_by": self.author})
        else:
            student = self.make_student.copy(current)
            student.__dict__.update(values)
        errors_before = len(self.plan.problems)
        for name, message in row.unspecified.items():
            if current is None:
                self.problem(row.where(name), _("%(reason)s A new student needs a value.") % {"reason": message})
            else:
                self.finding(row.where(name), _("%(reason)s The record keeps its value.") % {"reason": message})
        if current is None:
            for name in STUDENT_REQUIRED:
                if name not in values and name not in row.unspecified and name not in row.refused:
                    self.problem(row.where(name), _("Required for a new student; the row does not give it."))
        for name, messages in self.student_validator.errors(student).items():
            if current is None and name in STUDENT_REQUIRED and name not in values:
                continue  # already reported as not given
            if name in row.refused:
                continue  # reported by the door
            for m in messages:
                self.problem(row.where(name if name != "__all__" else ""), m)
        if len(self.plan.problems) > errors_before or row.refused:
            return None, "error"

        wanted = list(row.external_ids)
        if current is None and not student.state_id and not wanted:
            wanted = list(row.fallback_ids)
        ext_changes = []
        for source, value in wanted:
            if (source, value) in current_ext:
                continue
            owner = self._ext_owner.get((source, value), {}).get(student.district_id)
            if owner is not None and (current is None or owner != current.pk):
                self.problem(
                    row.where("external_ids"),
                    _("The %(source)s id %(id)s belongs to another student.") % {"source": source, "id": value},
                )
                continue
            ext = self.make_external_id.new(
                {"source": source, "external_id": value, "district_id": student.district_id},
                {"student": student, "created_by": self.author},
            )
            for messages in self.external_id_validator.errors(ext).values():
                for m in messages:
                    self.problem(row.where("external_ids"), f"{source}: {m}")
            ext_changes.append(Change(ext, None, row.file, row.line))
        if len(self.plan.problems) > errors_before:
            return None, "error"

        status = "unchanged"
        if current is None:
            self.plan.students.append(Change(student, None, row.file, row.line))
            status = "created"
        elif STUDENT_COMPARED(student) != STUDENT_COMPARED(current):
            student.version = current.version + 1
            self.plan.students.append(Change(student, audit.snapshot(current), row.file, row.line))
            status = "updated"
        else:
            self.plan.unchanged_students += 1
        if ext_changes:
            self.plan.external_ids.extend(ext_changes)
            if status == "unchanged":
                status = "updated"
        if row.ref:
            self.planned_by_ref[row.ref] = student
        if student.state_id:
            self.planned_by_state_id[(student.district_id, student.state_id)] = student
        return student, status

    # -- enrollments ----------------------------------------------------------

    def _date(self, raw):
        if raw is None or isinstance(raw, datetime.date):
            return raw, None
        raw = _text(raw)
        if not raw:
            return None, None
        hit = self._date_memo.get(raw)
        if hit is None:
            try:
                hit = (self.entry_date_field.to_python(raw), None)
            except ValidationError as exc:
                hit = (None, " ".join(exc.messages))
            self._date_memo[raw] = hit
        return hit

    def read_enrollments(self) -> None:
        """Read what the enrollment rows name in the database: students by id, their current enrollments.

        Needs only ``prepare_students()``, so a writer can read it before it
        starts streaming students over the connection.
        """
        rows = self.batch.enrollments
        # Students named by id rather than by a row of this batch: only those the actor may see.
        wanted_state = sorted({r.state_id for r in rows if not r.student_ref and r.state_id})
        wanted_ext: dict[str, set[str]] = defaultdict(set)
        for r in rows:
            if not r.student_ref and not r.state_id and r.source and r.external_id:
                wanted_ext[r.source].add(r.external_id)
        # Keyed by district: a row names a student of its school's district.
        visible = Student.objects.restrict(self.actor, Action.VIEW)
        by_state: dict[tuple[int, str], Student] = {}
        for qs in among(visible, "state_id", wanted_state):
            by_state.update(((s.district_id, s.state_id), s) for s in qs)
        by_ext: dict[tuple[int, str, str], Student] = {}
        for source, values in wanted_ext.items():
            owners: dict[int, list[str]] = defaultdict(list)
            for qs in among(StudentExternalId._base_manager.filter(source=source), "external_id", values):
                for student_id, value in qs.values_list("student_id", "external_id"):
                    owners[student_id].append(value)
            for qs in among(visible, "pk", owners):
                for s in qs:
                    for value in owners[s.pk]:
                        by_ext[(s.district_id, source, value)] = s
        known = self.existing_student_ids | {s.pk for s in by_state.values()} | {s.pk for s in by_ext.values()}
        existing: dict[int, list[Enrollment]] = defaultdict(list)
        for qs in among(Enrollment._base_manager.select_related("school"), "student_id", known):
            for e in qs:
                existing[e.student_id].append(e)
        self._named_by_state, self._named_by_ext, self._known_enrollments = by_state, by_ext, existing

    @property
    def has_existing_enrollments(self) -> bool:
        """Whether a student the rows name is enrolled already; with none, every enrollment row is new and
        ``prepare_enrollments()`` reads nothing more. Known after ``read_enrollments()``."""
        return bool(self._known_enrollments)

    def prepare_enrollments(self) -> None:
        """Name each row's student, school, year and dates; match existing enrollments; one primary at a time."""
        if self._known_enrollments is None:
            self.read_enrollments()
        rows = self.batch.enrollments
        n = len(rows)
        students: list[Student | None] = [None] * n
        by_state, by_ext = self._named_by_state, self._named_by_ext

        skip: set[int] = set()
        for i, row in enumerate(rows):
            school = self.schools.get(row.school_key)
            district_id = school.district_id if school is not None else None
            if row.student_ref:
                student = self.planned_by_ref.get(row.student_ref)
                if student is None:
                    skip.add(i)  # the student's own row has the problem
                    continue
            elif school is None and (row.state_id or (row.source and row.external_id)):
                skip.add(i)  # the school's problem is reported below: it names the student's district
                continue
            elif row.state_id:
                key = (district_id, row.state_id)
                student = self.planned_by_state_id.get(key) or by_state.get(key)
                if student is None:
                    self.problem(
                        row.where("state_id"),
                        _("No student with state id “%(value)s” that you may use.") % {"value": row.state_id},
                    )
                    skip.add(i)
                    continue
            elif row.source and row.external_id:
                student = by_ext.get((district_id, row.source, row.external_id))
                if student is None:
                    self.problem(
                        row.where("external_id"),
                        _("No student with %(source)s id “%(value)s” that you may use.")
                        % {"source": row.source, "value": row.external_id},
                    )
                    skip.add(i)
                    continue
            else:
                self.problem(row.where("state_id"), _("Name the student by state id, or by source and external id."))
                skip.add(i)
                continue
            students[i] = student

        existing: dict[int, list[Enrollment]] = defaultdict(list)
        known = self._known_enrollments
        for s in students:
            if s is not None and s.id in known:
                existing[s.id] = known[s.id]

        keyed: list[tuple | None] = [None] * n
        per_triple: dict[tuple, int] = defaultdict(int)  # rows per (existing student, school, year)
        reported: set[tuple] = set()
        for i, row in enumerate(rows):
            # The school and year are checked on every row, so a bad one is reported even when
            # the row's student has problems of its own.
            school = self.schools.get(row.school_key)
            if school is None:
                where = row.school_where or row.where("school")
                message = _("No school with state school id “%(value)s” that you may use.") % {"value": row.school_key}
                if (where, message) not in reported:
                    reported.add((where, message))
                    self.problem(where, message)
                skip.add(i)
                continue
            year = self.years.get((school.district_id, row.year_end))
            if year is None:
                where = row.year_where or row.where("school_year")
                message = _("%(school)s has no %(start)s-%(end)s school year that you may use.") % {
                    "school": school,
                    "start": (row.year_end or 0) - 1,
                    "end": row.year_end or "?",
                }
                if (where, message) not in reported:
                    reported.add((where, message))
                    self.problem(where, message)
                skip.add(i)
                continue
            if i in skip:
                continue
            entry, error = self._date(row.values.get("entry_date"))
            if error:
                self.problem(row.where("entry_date"), error)
                skip.add(i)
                continue
            defaulted = False
            if entry is None and row.entry_defaults_to_year_start:
                entry, defaulted = year.start_date, True
            keyed[i] = (school, year, entry, defaulted)
            if students[i].id in existing:
                per_triple[(students[i].id, school.id, year.id)] += 1

        claimed: dict[object, EnrollmentRow] = {}
        matched: list[Enrollment | None] = [None] * n
        for i, row in enumerate(rows):
            if i in skip:
                continue
            student, (school, year, entry, _defaulted) = students[i], keyed[i]
            found = None
            if student.id in existing:  # (ids are attributes here: .pk costs a call per use)
                same_place = [
                    e for e in existing[student.id] if e.school_id == school.id and e.school_year_id == year.id
                ]
                found = next((e for e in same_place if e.entry_date == entry), None)
                if found is None and len(same_place) == 1 and per_triple[(student.id, school.id, year.id)] == 1:
                    found = same_place[0]
            key = found.id if found is not None else (id(student), school.id, year.id, entry)
            first = claimed.get(key)
            if first is not None:
                self.problem(row.where("entry_date"), _("Duplicate of line %(line)s.") % {"line": first.line})
                skip.add(i)
                continue
            claimed[key] = row
            matched[i] = found

        changeable: set[int] = set()
        for qs in among(Enrollment.objects.restrict(self.actor, Action.CHANGE), "pk", [e.pk for e in matched if e]):
            changeable.update(qs.values_list("pk", flat=True))
        self._enrollment_students, self._enrollment_keys = students, keyed
        self._enrollment_skip, self._enrollments_matched = skip, matched
        self._changeable_enrollments = changeable
        self.changes_existing_enrollments = any(e is not None for e in matched)
        # Rows that break the one-primary rule are still checked, so their other problems are reported too.
        self._overlapping: set[int] = set()
        self._check_one_primary(existing)

    def _check_one_primary(self, existing: dict[int, list[Enrollment]]) -> None:
        """One primary enrollment at a time, over the student's records as they will be after the import.

        Enrollment.clean() asks the database one row at a time, which cannot
        see the other rows of the batch (a transfer closes one enrollment and
        opens the next); this is the same rule over the whole batch. The
        database's exclusion constraint (PostgreSQL) stays the last word.
        """
        rows = self.batch.enrollments
        matched = self._enrollments_matched
        replaced = {e.pk for e in matched if e is not None}
        spells: dict[int, list] = defaultdict(list)  # id(student) -> [(entry, exit, row or None, school)]
        seen: set[int] = set()
        for i, row in enumerate(rows):
            if i in self._enrollment_skip:
                continue
            current = matched[i]
            values = row.values
            primary = values.get("is_primary", current.is_primary if current is not None else True)
            if isinstance(primary, str):
                primary = primary.strip().lower() in ("true", "t", "1")
            if not primary:
                continue
            exit_raw = values.get("exit_date", current.exit_date if current else None)
            exit_date, error = self._date(exit_raw)
            if error:
                continue  # reported when the row is checked
            student = self._enrollment_students[i]
            school, _year, entry, _defaulted = self._enrollment_keys[i]
            if entry is None:
                continue  # reported when the row is checked
            spells[id(student)].append((entry, exit_date, row, school))
            if student.id in existing and id(student) not in seen:
                seen.add(id(student))
                for e in existing[student.id]:
                    if e.is_primary and e.pk not in replaced:
                        spells[id(student)].append((e.entry_date, e.exit_date, None, e.school))
        row_index: dict[int, int] = {}
        for items in spells.values():
            if len(items) < 2:
                continue
            items.sort(key=lambda item: item[0])
            latest = items[0]
            for item in items[1:]:
                entry, exit_date, row, _label = item
                latest_end = latest[1]
                if (latest_end is None or entry < latest_end) and (row or latest[2]):
                    target, other = (row, latest) if row is not None else (latest[2], item)
                    self.problem(
                        target.where("entry_date"),
                        _("The student already has a primary enrollment then: %(other)s.")
                        % {"other": f"{other[3]} ({other[0]})"},
                    )
                    if not row_index:
                        row_index.update((id(r), i) for i, r in enumerate(rows))
                    self._overlapping.add(row_index[id(target)])
                if latest_end is not None and (exit_date is None or exit_date > latest_end):
                    latest = item

    def enrollments(self) -> Iterator[Change]:
        """Check each enrollment row; yield a Change for each enrollment to create or change."""
        rows = self.batch.enrollments
        results = self.plan.enrollment_results
        plan_enrollments = self.plan.enrollments
        matched, changeable = self._enrollments_matched, self._changeable_enrollments
        for i, row in enumerate(rows):
            if i in self._enrollment_skip:
                results.append((None, "error"))
                continue
            current = matched[i]
            school, year, entry, defaulted = self._enrollment_keys[i]
            if current is not None and current.pk not in changeable:
                self.problem(row.where("school"), _("This enrollment is outside what you may change."))
                results.append((None, "error"))
                continue
            if current is None and self.may_add_at is not None and school.pk not in self.may_add_at:
                self.problem(row.where("school"), _("You may not add enrollments at %(school)s.") % {"school": school})
                results.append((None, "error"))
                continue
            if defaulted:
                self.finding(row.where("entry_date"), self.msg_default_entry_date)
            count = len(plan_enrollments)
            outcome = self._plan_enrollment(row, self._enrollment_students[i], current, school, year, entry)
            if i in self._overlapping:
                if outcome[1] == "unchanged":
                    self.plan.unchanged_enrollments -= 1
                outcome = (None, "error")
                del plan_enrollments[count:]
            results.append(outcome)
            if len(plan_enrollments) > count:
                yield plan_enrollments[-1]

    def _plan_enrollment(self, row: EnrollmentRow, student, current, school, year, entry):
        values = row.values
        if current is None:
            enrollment = self.make_enrollment.new(
                {}, {"school": school, "school_year": year, "created_by": self.author}
            )
        else:
            enrollment = self.make_enrollment.copy(current)
            attach(enrollment, "school", school)
            attach(enrollment, "school_year", year)
        for name, raw in values.items():
            if name == "entry_date":
                continue
            if name not in ENROLLMENT_FIELD_SET:
                self.problem(row.where(name), _("Unknown field."))
                return None, "error"
            if name in ("entry_code", "is_primary") and _text(raw) == "" and not isinstance(raw, bool):
                continue  # not given: keep (or default below)
            enrollment.__dict__[name] = raw
        enrollment.entry_date = entry
        if current is None and not enrollment.entry_code:
            enrollment.entry_code = DEFAULT_ENTRY_CODE
            self.finding(row.where("entry_code"), self.msg_default_entry_code)
        errors_before = len(self.plan.problems)
        if row.exit_code_not_carried:
            exit_date, error = self._date(enrollment.exit_date)
            if error:
                self.problem(row.where("exit_date"), error)
            elif exit_date and not enrollment.exit_code:
                code = c.ExitCode.PROMOTED if exit_date > year.end_date else c.ExitCode.MOVED_UNKNOWN
                enrollment.exit_code = code
                self.finding(row.where("exit_date"), self.msg_default_exit_code[code])
            elif not exit_date and enrollment.exit_code:
                enrollment.exit_code = ""
                self.finding(row.where("exit_date"), self.msg_reopened)
        # The one-primary rule was checked for the whole batch in prepare_enrollments();
        # clean()'s own one-row query would not see the other rows of the batch.
        attach(enrollment, "student", None)
        for name, messages in self.enrollment_validator.errors(enrollment).items():
            for m in messages:
                self.problem(row.where(name if name != "__all__" else ""), m)
        attach(enrollment, "student", student)
        if len(self.plan.problems) > errors_before:
            return None, "error"
        if current is None:
            self.plan.enrollments.append(Change(enrollment, None, row.file, row.line))
            return enrollment, "created"
        if ENROLLMENT_COMPARED(enrollment) != ENROLLMENT_COMPARED(current):
            enrollment.version = current.version + 1
            self.plan.enrollments.append(Change(enrollment, audit.snapshot(current), row.file, row.line))
            return enrollment, "updated"
        self.plan.unchanged_enrollments += 1
        return enrollment, "unchanged"

    def finish(self) -> RosterPlan:
        plan = self.plan
        if not plan.ok:
            plan.students, plan.external_ids, plan.enrollments = [], [], []
        return plan


def run_planner(planner: Planner) -> RosterPlan:
    """Run every stage of ``planner`` without writing."""
    planner.resolve_references()
    planner.prepare_students()
    for _change in planner.students():
        pass
    planner.prepare_enrollments()
    for _change in planner.enrollments():
        pass
    return planner.finish()


def roster_plan(*, actor, batch: RosterBatch) -> RosterPlan:
    """Match, check and compare every row of ``batch`` for ``actor``; writes nothing."""
    return run_planner(Planner(actor, batch))
