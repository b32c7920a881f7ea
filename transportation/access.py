"""What transportation reads of the students it serves (see core.access)."""

from django.utils.translation import gettext_lazy as _

from core import access
from core.choices import FieldGroup

access.register(
    access.StudentAccess(
        department="transportation",
        groups=(FieldGroup.IDENTITY_SCHOOL, FieldGroup.ADDRESS, FieldGroup.PROGRAM_NEEDS),
        purpose=_(
            "Plans stops and runs from where students live, which school they attend and what they need to ride; "
            "never the disability itself."
        ),
    )
)
