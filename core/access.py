"""Which students each department serves, and which groups of a student's fields it reads.

Least privilege, declared by the departments themselves. An app states in
``access.py`` (autodiscovered at start-up) what its department needs of the
shared student records; core knows no department and grants a department
nothing it has not declared:

    from core import access
    from core.choices import FieldGroup

    access.register(access.StudentAccess(
        department="transportation",
        groups=(FieldGroup.IDENTITY_SCHOOL, FieldGroup.ADDRESS, FieldGroup.PROGRAM_NEEDS),
        purpose=_("Plans stops and runs from where students live and what they need to ride."),
    ))

The policy (``core.policy``) collects the declarations into one table, shown
to the district on its student-access page. For a department's roles:

- a department with no declaration, or one naming no field group, serves no
  student: its people reach no student record at all;
- a department reads the student records (student, household, guardians,
  enrollments, program spells) whose record groups it holds, only for the
  students it serves: those its schools serve (see ``core.policy``), and,
  when ``grades`` is given, only those in these grades;
- within such a record, the fields of a group it does not hold are hidden,
  through the same mechanism as the sensitive classes
  (``policy.hidden_fields``): pages, lists, exports, API and panels leave
  them out.

The sensitive classes (meal eligibility, disability, health) stay with the
program roles that administer them: a declaration may name the classes its
work touches (``data_classes``), which the table shows, but grants none.

An app's declaration replaces a default one (``default=True``), so a
department keeps its defaults until its own app arrives, whatever the order
in which apps load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .choices import FieldGroup

ALL_GROUPS = tuple(FieldGroup.values)


@dataclass(frozen=True)
class StudentAccess:
    department: str  # a department code
    groups: tuple[str, ...] = ()  # FieldGroup values it reads; none: it serves no student
    # Only students in these grades (grade codes); ``None``: every grade.
    grades: Callable[[], Iterable[str]] | None = None
    # Sensitive classes its work touches, seen per student only through the class's program role.
    data_classes: tuple[str, ...] = ()
    purpose: Any = ""  # plain words: why it needs what it reads
    default: bool = False  # a default for a department whose app has not declared its own

    def __post_init__(self):
        unknown = set(self.groups) - set(ALL_GROUPS)
        if unknown:
            raise ValueError(f"{self.department}: unknown field groups {sorted(unknown)}")

    @property
    def serves_students(self) -> bool:
        return bool(self.groups)

    def holds(self, group: str) -> bool:
        return group in self.groups

    def grade_list(self) -> list[str] | None:
        """The grades it is limited to, sorted; ``None`` when it serves every grade."""
        return sorted(set(self.grades())) if self.grades is not None else None


_declarations: dict[str, StudentAccess] = {}


def register(declaration: StudentAccess) -> StudentAccess:
    existing = _declarations.get(declaration.department)
    if existing is not None and existing != declaration:
        if declaration.default:
            return existing  # an app's own declaration (or an earlier default) stands
        if not existing.default:
            raise ValueError(f"Student access of {declaration.department} is declared twice.")
    _declarations[declaration.department] = declaration
    return declaration


def unregister(department: str) -> None:
    """For tests that declare a department of their own."""
    _declarations.pop(department, None)


def declared(department: str | None) -> StudentAccess | None:
    return _declarations.get(department) if department else None


def declarations() -> list[StudentAccess]:
    return sorted(_declarations.values(), key=lambda d: d.department)
