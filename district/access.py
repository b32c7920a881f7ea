"""Student access of the departments whose apps have not declared their own yet (see core.access).

Each is a default: the department's app, once it exists, declares its own in
its ``access.py``, which replaces the line here.
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core import access
from core.choices import DataClass, FieldGroup

from .choices import DepartmentCode


def athletics_grades():
    """Its teams' grades (the setting OPS_ATHLETICS_GRADES)."""
    return settings.OPS_ATHLETICS_GRADES


DEFAULTS = [
    access.StudentAccess(
        department=DepartmentCode.COMMUNICATIONS,
        groups=(FieldGroup.IDENTITY_SCHOOL, FieldGroup.CONTACT),
        purpose=_("Reaches families: who the students are, their school, and how to contact their guardians."),
        default=True,
    ),
    access.StudentAccess(
        department=DepartmentCode.NUTRITION,
        groups=(FieldGroup.IDENTITY_SCHOOL, FieldGroup.ADDRESS),
        data_classes=(DataClass.MEALS,),
        purpose=_(
            "Matches direct-certification lists by name, birth date and address; "
            "meal eligibility only through the meal program role."
        ),
        default=True,
    ),
    access.StudentAccess(
        department=DepartmentCode.ATHLETICS,
        groups=(FieldGroup.IDENTITY_SCHOOL,),
        grades=athletics_grades,
        purpose=_("Builds rosters and checks eligibility for the students in its teams' grades."),
        default=True,
    ),
    access.StudentAccess(
        department=DepartmentCode.FACILITIES,
        purpose=_("Keeps buildings and grounds; serves no student record."),
        default=True,
    ),
    access.StudentAccess(
        department=DepartmentCode.OPERATIONS,
        purpose=_("The COO's office reads figures, not student records."),
        default=True,
    ),
]

for declaration in DEFAULTS:
    access.register(declaration)
