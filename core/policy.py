"""The access policy: who has a legitimate educational interest in what.

This module is the district's published definition of access to records, and
the code that enforces it. Every page, API view, import and export reaches
records through ``Model.objects.restrict(user, action)``, which applies the
rules below and nothing else.

A user's *scope* is the set of their role assignments. Each assignment names a
role, a district (empty only for a state role spanning every district), a
department (for department roles) and schools (empty means every school of
the district; department staff and principals must name theirs).

Records come in kinds (see ``core.choices.Kind``). The table ``RULES`` says,
for each kind, which role may read or write it and how far the grant reaches:

- ``DISTRICT``: every record in the assignment's district(s);
- ``SCHOOLS``: records at the assignment's schools (all schools when none is
  listed; records with no school are then out of reach);
- ``OWN_DEPARTMENT``: records of the assignment's own department, in its
  district;
- ``OWN_DEPARTMENT_SCHOOLS``: records of its own department at its schools,
  and its department's records that belong to no school.

A student is reached at a school only while the school serves the student.
A grant limited to schools reaches a student, and every record about the
student (household, guardians, external ids, program spells, enrollments),
while one of its schools has:

- an enrollment of the student with no exit date, or an exit date still to
  come (an upcoming enrollment counts as soon as it is recorded);
- an enrollment that ended within the district's closing grace period
  (``District.access_grace_days``, set by its administrators; 30 days unless
  they change it), so the school can finish its work;
- an accepted offer of a seat for the student, in a placement year not yet
  over (so staff can prepare over the summer).

Once the grace period has passed, a student who left is out of the school
staff's reach; district-wide grants are unaffected. A change may end the
reason for access (an enrollment closed with a past date), but may not move a
record to a school the user does not reach. School-choice applications are at
the schools their ranked choices name, and priorities, offers and waitlist
places at their program's school.

Which students a department serves, and which groups of their fields it
reads (identity and school, contacts, address, program needs), each
department declares in its app's ``access.py`` (see ``core.access``); the
declarations make one table (``student_access_table``), which the district
publishes on its student-access page. A department that declares no field
group (facilities, the COO's office) reaches no student record at all; one
that does reads, at its schools, the records its groups cover, of the
students it serves (athletics: only in its teams' grades), with the fields
of every other group hidden. Principals, executives, the state and the
program roles read every group, as the rules below say.

Sensitive data classes (meal eligibility, disability/IEP/504, health) are
protected field by field: a user sees such a field only when one of their
assignments is a program role administering that class. Everyone else,
executives included, sees those fields hidden and can count them only in
aggregates. Validation never tells a user more than they may see: a
record of a class they may not hold is refused before any check against
other rows, with the same answer as any other record out of their reach, and
keys that must be unique (a state student id) are unique within a district,
so another district's records never answer "already exists".
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from . import access
from .choices import Action, DataClass, FieldGroup, Kind, Role

if TYPE_CHECKING:  # pragma: no cover
    from django.db.models import Model


class Reach(Enum):
    DISTRICT = "district"
    SCHOOLS = "schools"
    OWN_DEPARTMENT = "own_department"
    OWN_DEPARTMENT_SCHOOLS = "own_department_schools"
    # The students its department declares it serves (core.access), at its
    # schools (all schools of the district when none is listed), and only the
    # records its declared field groups cover.
    DEPARTMENT_STUDENTS = "department_students"


READ = (Action.VIEW,)
WRITE = (Action.VIEW, Action.ADD, Action.CHANGE, Action.DELETE)
ANY_ROLE = tuple(Role)
DEPARTMENT_ROLES = (Role.DEPT_MANAGER, Role.DEPT_STAFF)
PROGRAM_ROLES = (Role.MEAL_PROGRAM, Role.STUDENT_SERVICES, Role.NURSE)

# (kind of record, actions, roles, reach). Read top to bottom as sentences.
RULES: list[tuple[str, tuple[str, ...], tuple[str, ...], Reach]] = [
    # District reference data is read by every signed-in user of the district
    # and written by its administrators.
    (Kind.REFERENCE, READ, ANY_ROLE, Reach.DISTRICT),
    (Kind.REFERENCE, WRITE, (Role.DISTRICT_ADMIN,), Reach.DISTRICT),
    # Accounts, role assignments and API tokens are managed by administrators.
    (Kind.ACCESS, WRITE, (Role.DISTRICT_ADMIN,), Reach.DISTRICT),
    # Audit and disclosure logs are read by administrators and executives.
    (Kind.AUDIT, READ, (Role.DISTRICT_ADMIN, Role.EXECUTIVE), Reach.DISTRICT),
    # A department's records: its managers everywhere, its staff at their
    # schools, its integrations everywhere; executives and the state read all;
    # principals read their own school's records across departments.
    (Kind.DEPARTMENT, WRITE, (Role.DEPT_MANAGER, Role.INTEGRATION), Reach.OWN_DEPARTMENT),
    (Kind.DEPARTMENT, WRITE, (Role.DEPT_STAFF,), Reach.OWN_DEPARTMENT_SCHOOLS),
    (Kind.DEPARTMENT, READ, (Role.EXECUTIVE, Role.STATE), Reach.DISTRICT),
    (Kind.DEPARTMENT, READ, (Role.PRINCIPAL,), Reach.SCHOOLS),
    # Shared student records are owned (written) by enrollment; read by
    # principals and the programs at the student's schools, and by each other
    # department only as far as its declaration reaches (core.access).
    (Kind.STUDENT, WRITE, (Role.DEPT_MANAGER, Role.INTEGRATION), Reach.OWN_DEPARTMENT),
    (Kind.STUDENT, WRITE, (Role.DEPT_STAFF,), Reach.OWN_DEPARTMENT_SCHOOLS),
    (Kind.STUDENT, READ, (Role.EXECUTIVE, Role.STATE), Reach.DISTRICT),
    (Kind.STUDENT, READ, (Role.PRINCIPAL, *PROGRAM_ROLES), Reach.SCHOOLS),
    (Kind.STUDENT, READ, (*DEPARTMENT_ROLES, Role.INTEGRATION), Reach.DEPARTMENT_STUDENTS),
]

# Which program role administers which sensitive data class.
CLASS_ROLES: dict[str, tuple[str, ...]] = {
    DataClass.MEALS: (Role.MEAL_PROGRAM,),
    DataClass.DISABILITY: (Role.STUDENT_SERVICES,),
    DataClass.HEALTH: (Role.NURSE,),
}

# Days a school keeps access to a student after the student's enrollment there
# ends, unless the district sets another number (District.access_grace_days).
DEFAULT_ACCESS_GRACE_DAYS = 30
MAX_ACCESS_GRACE_DAYS = 365

# Roles whose assignments must list schools (an empty list would mean "all").
SCHOOL_BOUND_ROLES = (Role.DEPT_STAFF, Role.PRINCIPAL)
# Roles that work within a department.
DEPARTMENT_BOUND_ROLES = (Role.DEPT_MANAGER, Role.DEPT_STAFF, Role.INTEGRATION)


@dataclass(frozen=True)
class AccessRule:
    """How a model's rows relate to the policy.

    ``district_path`` and ``school_path`` are ORM lookups from the model to a
    district and a school (``"pk"`` when the model is one). ``student_path``
    leads to the student a record is about (``"pk"`` for a student): a grant
    limited to schools then reaches the record only while one of its schools
    serves that student (the student model's ``served_q``; see the module's
    text). ``department`` is the code of the owning department for department
    and student records. ``multi_valued`` marks paths that cross a to-many
    relation, which are filtered through a subquery so rows are not repeated.
    """

    kind: str
    district_path: str | None = "district"
    school_path: str | None = None
    student_path: str | None = None
    department: str | None = None
    multi_valued: bool = False
    # A to-many relation whose absence makes a row visible to every holder of
    # a grant (for example, users not yet given any role, so they can be).
    unassigned_path: str | None = None
    # A field naming each row's sensitive data class (blank when none): rows of
    # a class the user does not administer are left out altogether, for
    # records whose mere existence discloses the class (an IEP, a free-meal
    # eligibility). Aggregate counts come from their own queries.
    row_class_field: str | None = None
    # Records one department keeps for others (report runs): a field naming
    # each row's serving department, and a callable giving the departments
    # such rows can name. See "Rows kept for another department" below.
    department_path: str | None = None
    path_departments: Callable[[], Iterable[str]] | None = None
    # Student records: the field groups (core.choices.FieldGroup) any of which
    # lets a department read a row at all. None: only the owning department
    # reads them (school-choice records). Fields of a group the department
    # does not hold are named in the model's ``field_groups`` and hidden.
    record_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assignment:
    role: str
    district_id: int | None
    department_code: str | None = None
    school_ids: frozenset[int] = frozenset()
    # The district's closing grace period, read with the assignment.
    access_grace_days: int = DEFAULT_ACCESS_GRACE_DAYS
    # The district's time zone (an IANA name), read with the assignment; blank for the state role.
    time_zone: str = ""


@dataclass
class Scope:
    """What one user may reach; built once per request from their assignments."""

    assignments: list[Assignment] = field(default_factory=list)
    is_superuser: bool = False

    @property
    def roles(self) -> set[str]:
        return {a.role for a in self.assignments}

    @property
    def district_ids(self) -> set[int]:
        return {a.district_id for a in self.assignments if a.district_id is not None}

    @property
    def spans_all_districts(self) -> bool:
        return any(a.district_id is None for a in self.assignments)

    def school_ids_for(self, *roles: str) -> set[int] | None:
        """School ids reached by the given roles; ``None`` when unrestricted."""
        ids: set[int] = set()
        for a in self.assignments:
            if a.role in roles:
                if not a.school_ids:
                    return None
                ids |= a.school_ids
        return ids

    def data_classes(self) -> set[str]:
        return {cls for cls, roles in CLASS_ROLES.items() if self.roles & set(roles)}

    def sees(self, data_class: str) -> bool:
        return data_class in self.data_classes()


class NoScope(Scope):
    """The scope of an anonymous visitor: nothing."""


def load_assignments(user) -> list[Assignment]:
    loader = import_string(settings.OPS_ASSIGNMENT_LOADER)
    return list(loader(user))


def scope_for(user) -> Scope:
    """The user's scope, cached on the user object for the rest of the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NoScope()
    cached = getattr(user, "_ops_scope", None)
    if cached is None:
        cached = Scope(assignments=load_assignments(user), is_superuser=user.is_superuser)
        user._ops_scope = cached
    return cached


def forget_scope(user) -> None:
    """Drop a cached scope after the user's assignments change."""
    if hasattr(user, "_ops_scope"):
        del user._ops_scope


def rule_for(model: type[Model]) -> AccessRule:
    try:
        return model.access
    except AttributeError:
        raise TypeError(f"{model.__name__} declares no access rule") from None


def _grants(scope: Scope, rule: AccessRule, action: str):
    """Yield (assignment, reach) pairs that grant ``action`` on ``rule``'s kind."""
    for kind, actions, roles, reach in RULES:
        if kind != rule.kind or action not in actions:
            continue
        for assignment in scope.assignments:
            if assignment.role not in roles:
                continue
            own_department = reach in (Reach.OWN_DEPARTMENT, Reach.OWN_DEPARTMENT_SCHOOLS)
            if own_department and (assignment.department_code is None or assignment.department_code != rule.department):
                continue
            if reach == Reach.DEPARTMENT_STUDENTS and not _declaration_reaches(assignment, rule):
                continue
            yield assignment, reach


def _declaration_reaches(assignment: Assignment, rule: AccessRule) -> bool:
    """Whether the assignment's department declares a field group that covers ``rule``'s records."""
    declaration = access.declared(assignment.department_code)
    if declaration is None or not any(declaration.holds(g) for g in rule.record_groups):
        return False
    # A department limited to some grades reaches only records that lead to a student.
    return declaration.grades is None or rule.student_path is not None


def can(user, model: type[Model], action: str, *, department: str | None = None) -> bool:
    """Whether the user may perform ``action`` on at least some rows of ``model``.

    ``department``: for a model whose rows name a department (``department_path``),
    on rows naming that department.
    """
    scope = scope_for(user)
    if scope.is_superuser:
        return action == Action.VIEW or rule_for(model).kind != Kind.AUDIT
    rule = rule_for(model)
    if any(True for _ in _grants(scope, rule, action)):
        return True
    return any(department in (None, a.department_code) for a in _department_path_grants(scope, rule, action))


def _path_q(path: str, values) -> Q:
    return Q(**{f"{path}__in": sorted(values)})


@functools.cache
def _student_model(model: type[Model], path: str) -> type[Model]:
    """The model at the end of ``path`` (the student model, which supplies ``served_q``)."""
    for hop in path.split("__"):
        if hop != "pk":
            model = model._meta.get_field(hop).related_model
    return model


def served_since(assignment: Assignment, today: datetime.date | None = None) -> datetime.date:
    """Enrollments that ended after this day still count: today less the district's grace period."""
    return (today or timezone.localdate()) - datetime.timedelta(days=assignment.access_grace_days)


def _served_q(model, rule: AccessRule, assignment: Assignment) -> Q:
    students = _student_model(model, rule.student_path)
    return students._default_manager.served_q(
        rule.student_path, sorted(assignment.school_ids), since=served_since(assignment)
    )


def _assignment_q(model, rule: AccessRule, assignment: Assignment, reach: Reach, served: bool) -> Q:
    q = _reach_q(model, rule, assignment, reach, served)
    if reach == Reach.DEPARTMENT_STUDENTS:
        grades = access.declared(assignment.department_code).grade_list()
        if grades is not None:
            students = _student_model(model, rule.student_path)
            q &= students._default_manager.in_grades_q(rule.student_path, grades)
    return q


def _reach_q(model, rule: AccessRule, assignment: Assignment, reach: Reach, served: bool) -> Q:
    district_q = Q()
    if assignment.district_id is not None:
        district_q = Q(**{rule.district_path: assignment.district_id})
    if reach in (Reach.DISTRICT, Reach.OWN_DEPARTMENT) or not assignment.school_ids:
        return district_q
    if rule.school_path is None and rule.student_path is None:
        # A record with no school: a department's own staff see their department's
        # district-wide records; someone limited to schools outside it does not.
        return district_q if reach == Reach.OWN_DEPARTMENT_SCHOOLS else Q(pk__in=[])
    q = district_q
    if rule.school_path is not None:
        q &= _path_q(rule.school_path, assignment.school_ids)
    if rule.student_path is not None and served:
        q &= _served_q(model, rule, assignment)
    return q


def filter_for(user, model: type[Model], action: str, *, served: bool = True) -> Q | None:
    """The filter that limits ``model``'s rows to what ``user`` may ``action``.

    Returns ``None`` when every row is allowed, and a filter matching nothing
    when none is. With ``served=False`` the condition that a school serves
    the record's student is left out, leaving where the user's grants reach
    by district and school alone: for aggregate counts at the user's schools,
    for deciding at which schools the user may act, and for checking that a
    change did not move a record out of the user's schools.
    """
    scope = scope_for(user)
    rule = rule_for(model)
    if scope.is_superuser:
        if not can(user, model, action):
            return Q(pk__in=[])
        if rule.row_class_field:
            return Q(**{f"{rule.row_class_field}__in": ["", *sorted(scope.data_classes())]})
        return None
    parts, seen = [], set()
    for a, reach in _grants(scope, rule, action):
        # One filter per assignment and reach; a read and a write grant of the same schools are one.
        if reach == Reach.DEPARTMENT_STUDENTS and _grade_bound(a):
            key = (a, reach)
        elif reach in (Reach.DISTRICT, Reach.OWN_DEPARTMENT) or not a.school_ids:
            key = (a, Reach.DISTRICT)
        elif rule.school_path is not None or rule.student_path is not None:
            key = (a, Reach.SCHOOLS)
        else:
            key = (a, reach)
        if key not in seen:
            seen.add(key)
            parts.append(_assignment_q(model, rule, a, reach, served))
    parts += [_department_path_q(rule, a) for a in _department_path_grants(scope, rule, action)]
    if not parts:
        return Q(pk__in=[])
    class_q = Q()
    if rule.row_class_field:
        class_q = Q(**{f"{rule.row_class_field}__in": ["", *sorted(scope.data_classes())]})
    if any(not part for part in parts):  # an empty Q: no limit but the row classes
        return class_q or None
    combined = reduce(or_, parts)
    if rule.unassigned_path:
        combined |= Q(**{f"{rule.unassigned_path}__isnull": True})
    if rule.multi_valued:
        return Q(pk__in=model._base_manager.filter(combined).values("pk")) & class_q
    return combined & class_q


# Rows kept for another department. A department may keep records on behalf
# of the others (the reporting office runs every department's reports). Such
# a model names each row's serving department in ``department_path``; the
# managers of that department (and its integrations), who hold the
# own-department grants on their own records, hold the same grants on these
# rows, in their district. ``path_departments`` lists the departments rows
# can name, so a department with no such rows gets no grant at all.


def _grade_bound(assignment: Assignment) -> bool:
    declaration = access.declared(assignment.department_code)
    return declaration is not None and declaration.grades is not None


def _department_path_grants(scope: Scope, rule: AccessRule, action: str):
    """Yield the assignments granted ``action`` on rows naming their own department."""
    if not rule.department_path or rule.path_departments is None:
        return
    served = set(rule.path_departments())
    for kind, actions, roles, reach in RULES:
        if kind != rule.kind or action not in actions or reach != Reach.OWN_DEPARTMENT:
            continue
        for assignment in scope.assignments:
            code = assignment.department_code
            if assignment.role in roles and code and code != rule.department and code in served:
                yield assignment


def _department_path_q(rule: AccessRule, assignment: Assignment) -> Q:
    q = Q(**{rule.department_path: assignment.department_code})
    if assignment.district_id is not None:
        q &= Q(**{rule.district_path: assignment.district_id})
    return q


def _school_bound(assignment: Assignment, reach: Reach) -> bool:
    return bool(assignment.school_ids) and reach not in (Reach.DISTRICT, Reach.OWN_DEPARTMENT)


def bound_to_served_students(user, model: type[Model], action: str) -> bool:
    """Whether some grant of the user reaches ``model``'s rows only through students its schools serve."""
    rule = rule_for(model)
    if rule.student_path is None:
        return False
    return any(_school_bound(a, reach) for a, reach in _grants(scope_for(user), rule, action))


def limited_to_schools(user, model: type[Model], action: str) -> bool:
    """Whether the user may ``action`` ``model``'s rows at some schools only, not at every school of a district.

    Workflows that write such rows at every school at once (a district's
    lottery) are for roles that reach them all.
    """
    scope = scope_for(user)
    if scope.is_superuser:
        return False
    grants = list(_grants(scope, rule_for(model), action))
    return bool(grants) and all(_school_bound(a, reach) for a, reach in grants)


def row_class(instance: Model) -> str:
    """The sensitive class of a (possibly unsaved) record, from its own values; blank for none."""
    rule = rule_for(type(instance))
    if not rule.row_class_field:
        return ""
    derive = getattr(instance, "derived_row_class", None)
    return derive() if derive is not None else getattr(instance, rule.row_class_field) or ""


def may_hold(user, instance: Model) -> bool:
    """Whether the user may hold a record of this one's sensitive class at all.

    Checked before any validation that reads other rows, so a record of a
    class the user may not hold is refused the same way whether or not the
    student has other records of that class.
    """
    cls = row_class(instance)
    return not cls or cls in scope_for(user).data_classes()


def hidden_fields(user, model: type[Model]) -> set[str]:
    """Names of the model's fields this user may not see per record.

    A sensitive field of a class the user does not administer, and a field of
    a group (``model.field_groups``) the user's departments do not hold.
    """
    hidden: set[str] = set()
    sensitive = getattr(model, "sensitive_fields", {})
    if sensitive:
        classes = scope_for(user).data_classes()
        hidden |= {name for name, data_class in sensitive.items() if data_class not in classes}
    grouped = getattr(model, "field_groups", {})
    if grouped:
        groups = student_groups(user)
        if groups is not None:
            hidden |= {name for name, group in grouped.items() if group not in groups}
    return hidden


def hidden_reason(model: type[Model], name: str) -> str:
    """Why a hidden field is hidden, in words: its sensitive class or its field group."""
    sensitive = getattr(model, "sensitive_fields", {})
    if name in sensitive:
        return str(DataClass(sensitive[name]).label)
    group = getattr(model, "field_groups", {}).get(name)
    return str(FieldGroup(group).label) if group else ""


# Roles that read every field group of the students they reach (the rules above).
ALL_GROUP_ROLES = (Role.EXECUTIVE, Role.STATE, Role.PRINCIPAL, *PROGRAM_ROLES)


def student_groups(user) -> set[str] | None:
    """The field groups the user reads of the students they reach; ``None`` for every group.

    Principals, executives, the state and the program roles read every
    group; a department's people the groups their department declares
    (``core.access``). One assignment granting every group is enough: what a
    field shows is decided per model, not per row, as for the sensitive classes.
    """
    scope = scope_for(user)
    if scope.is_superuser:
        return None
    groups: set[str] = set()
    for a in scope.assignments:
        if a.role in ALL_GROUP_ROLES:
            return None
        if a.role in DEPARTMENT_BOUND_ROLES:
            declaration = access.declared(a.department_code)
            if declaration is not None:
                groups |= set(declaration.groups)
    return groups


@dataclass(frozen=True)
class StudentAccessRow:
    """One department's line of the student-access table."""

    department: str
    groups: tuple[str, ...]
    grades: list[str] | None
    data_classes: tuple[str, ...]
    purpose: object
    declared: bool  # False: no app declares it, so it serves no student

    @property
    def serves_students(self) -> bool:
        return bool(self.groups)


def student_access_table(departments: Iterable[str]) -> list[StudentAccessRow]:
    """The declarations as one table, a row for each of ``departments`` (declared or not)."""
    rows = []
    for code in departments:
        d = access.declared(code)
        if d is None:
            rows.append(StudentAccessRow(code, (), None, (), "", False))
        else:
            groups = tuple(g for g in FieldGroup.values if d.holds(g))
            rows.append(StudentAccessRow(code, groups, d.grade_list(), d.data_classes, d.purpose, True))
    return rows


def assignment_problems(role: str, district_id, department_code, school_ids) -> dict[str, str]:
    """Field errors for an assignment that would not make sense under the rules."""
    from django.utils.translation import gettext as _

    problems: dict[str, str] = {}
    if district_id is None and role != Role.STATE:
        problems["district"] = _("Only a state role may span every district.")
    if role in DEPARTMENT_BOUND_ROLES and not department_code:
        problems["department"] = _("This role works within a department; choose one.")
    if role not in DEPARTMENT_BOUND_ROLES and department_code:
        problems["department"] = _("This role is not tied to a department; leave it empty.")
    if role in SCHOOL_BOUND_ROLES and not school_ids:
        problems["schools"] = _("This role needs at least one school.")
    return problems
