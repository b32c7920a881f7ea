"""Code lists for district reference data (EDFacts permitted values where they exist)."""

from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


class SchoolType(models.TextChoices):
    NEIGHBORHOOD = "neighborhood", _("Neighborhood")
    MAGNET = "magnet", _("Magnet")
    CHARTER = "charter", _("Charter")
    TECHNICAL = "technical", _("Technical and career")
    ALTERNATIVE = "alternative", _("Alternative")
    SPECIAL_EDUCATION = "special_ed", _("Special education")


class DepartmentCode(models.TextChoices):
    ENROLLMENT = "enrollment", _("Enrollment and School Choice")
    TRANSPORTATION = "transportation", _("Transportation")
    FACILITIES = "facilities", _("Facilities")
    NUTRITION = "nutrition", _("Food and Child Nutrition Services")
    ATHLETICS = "athletics", _("Athletics")
    COMMUNICATIONS = "communications", _("Communications and Marketing")
    REPORTING = "reporting", _("Reporting and Accountability")
    OPERATIONS = "operations", _("Operations (the COO's office)")


# EDFacts grade level codes, in order.
GRADE_CODES = ["PK", "KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "UG", "AE"]
# How readers see them.
GRADE_LABELS = {
    "PK": _("Pre-kindergarten"),
    "KG": _("Kindergarten"),
    **{f"{n:02d}": format_lazy(_("Grade {n}"), n=n) for n in range(1, 14)},
    "UG": _("Ungraded"),
    "AE": _("Adult education"),
}


class TitleIStatus(models.TextChoices):
    TARGETED_ELIGIBLE_NO_PROGRAM = "TGELGBNOPROG", _("Targeted assistance eligible, no program")
    TARGETED_PROGRAM = "TGELGBTGPROG", _("Targeted assistance program")
    SCHOOLWIDE_ELIGIBLE_TARGETED = "SWELIGTGPROG", _("Schoolwide eligible, targeted program")
    SCHOOLWIDE_ELIGIBLE_NO_PROGRAM = "SWELIGNOPROG", _("Schoolwide eligible, no program")
    SCHOOLWIDE_PROGRAM = "SWELIGSWPROG", _("Schoolwide program")
    NOT_ELIGIBLE = "NOTTITLE1ELIG", _("Not eligible for Title I")


class NslpStatus(models.TextChoices):
    CEP = "NSLPCEO", _("Community eligibility provision")
    PROVISION_2 = "NSLPPRO2", _("Provision 2")
    PROVISION_3 = "NSLPPRO3", _("Provision 3")
    NO_PROVISION = "NSLPWOPRO", _("Participating without a provision")
    NOT_PARTICIPATING = "NSLPNO", _("Not participating")


class VirtualStatus(models.TextChoices):
    FULL = "FULLVIRTUAL", _("Full virtual")
    FACE = "FACEVIRTUAL", _("Face-to-face with virtual options")
    SUPPLEMENTAL = "SUPPVIRTUAL", _("Supplemental virtual")
    NONE = "NOTVIRTUAL", _("Not virtual")
