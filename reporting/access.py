"""What the reporting office reads of students to compile and check the state's reports (see core.access)."""

from django.utils.translation import gettext_lazy as _

from core import access
from core.choices import DataClass, FieldGroup

from .models import DEPARTMENT

access.register(
    access.StudentAccess(
        department=DEPARTMENT,
        groups=(FieldGroup.IDENTITY_SCHOOL, FieldGroup.PROGRAM_NEEDS),
        data_classes=(DataClass.MEALS, DataClass.DISABILITY),
        purpose=_(
            "Compiles and checks the state's reports: who is enrolled where, in which grade and program; "
            "sensitive programs as counts."
        ),
    )
)
