"""What enrollment reads of the students it serves: everything, as the owner of the records (see core.access)."""

from django.utils.translation import gettext_lazy as _

from core import access
from core.choices import DataClass

from .models import DEPARTMENT

access.register(
    access.StudentAccess(
        department=DEPARTMENT,
        groups=access.ALL_GROUPS,
        data_classes=(DataClass.MEALS, DataClass.DISABILITY),
        purpose=_("Keeps the student records: who students are, where they live, who to reach, their programs."),
    )
)
