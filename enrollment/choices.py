"""Code lists for enrollment and school choice (federal codes where they exist)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.choices import DataClass
from district.choices import GRADE_CODES, GRADE_LABELS


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")
    NONBINARY = "X", _("Nonbinary")


class Race(models.TextChoices):
    """The federal race categories a student may carry (one or more)."""

    AMERICAN_INDIAN = "AM7", _("American Indian or Alaska Native")
    ASIAN = "AS7", _("Asian")
    BLACK = "BL7", _("Black or African American")
    PACIFIC_ISLANDER = "PI7", _("Native Hawaiian or Other Pacific Islander")
    WHITE = "WH7", _("White")


class RaceEthnicity(models.TextChoices):
    """The seven federal reporting categories (EDFacts RACE7)."""

    AMERICAN_INDIAN = "AM7", _("American Indian or Alaska Native")
    ASIAN = "AS7", _("Asian")
    BLACK = "BL7", _("Black or African American")
    HISPANIC = "HI7", _("Hispanic/Latino")
    PACIFIC_ISLANDER = "PI7", _("Native Hawaiian or Other Pacific Islander")
    WHITE = "WH7", _("White")
    MULTIRACIAL = "MU7", _("Two or more races")


# Stored and exchanged as the EDFacts code ("04"), shown by its label ("Grade 4").
GradeLevel = models.TextChoices("GradeLevel", [(code, (code, GRADE_LABELS[code])) for code in GRADE_CODES])


class Program(models.TextChoices):
    ENGLISH_LEARNER = "el", _("English learner")
    IDEA = "idea", _("Students with disabilities (IDEA)")
    SECTION_504 = "section_504", _("Section 504")
    MEALS = "meals", _("School meal eligibility")


PROGRAM_CLASS = {
    Program.ENGLISH_LEARNER: "",
    Program.IDEA: DataClass.DISABILITY,
    Program.SECTION_504: DataClass.DISABILITY,
    Program.MEALS: DataClass.MEALS,
}


class MealStatus(models.TextChoices):
    FREE = "free", _("Free")
    REDUCED = "reduced", _("Reduced price")


class MealSource(models.TextChoices):
    DIRECT_CERTIFICATION = "direct_cert", _("Direct certification")
    APPLICATION = "application", _("Household application")
    COMMUNITY_ELIGIBILITY = "cep", _("Community eligibility provision")


class EntryCode(models.TextChoices):
    NEW = "E1", _("First entry into the district")
    TRANSFER_IN_DISTRICT = "E2", _("Transfer from a school in the district")
    TRANSFER_FROM_OUT = "E3", _("Transfer from outside the district")
    RETURN = "R1", _("Re-entry after withdrawal")
    CHOICE = "C1", _("Entry through the school-choice lottery")


class ExitCode(models.TextChoices):
    TRANSFER_IN_DISTRICT = "T1", _("Transfer to another school in the district")
    TRANSFER_OUT = "T2", _("Transfer out of the district")
    GRADUATED = "G1", _("Graduated")
    PROMOTED = "P1", _("End of year, continuing")
    DROPPED_OUT = "D1", _("Dropped out")
    MOVED_UNKNOWN = "M1", _("Moved, not known to be continuing")
    DECEASED = "X1", _("Deceased")


class ExternalSource(models.TextChoices):
    SIS = "sis", _("Student information system")
    LOTTERY = "lottery", _("Regional school-choice lottery")
    ONEROSTER = "oneroster", _("OneRoster feed")
    OTHER_DISTRICT = "other_district", _("Another district")


class PriorityKind(models.TextChoices):
    SIBLING = "sibling", _("Sibling attending")
    ZONE = "zone", _("Lives in the zone")
    STAFF_CHILD = "staff_child", _("Child of staff")
    RESIDENT = "resident", _("District resident")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class OfferStatus(models.TextChoices):
    PENDING = "pending", _("Offered, awaiting answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    SUPERSEDED = "superseded", _("Replaced by a better offer")


class RunKind(models.TextChoices):
    DRY = "dry", _("What-if (writes nothing but its summary)")
    FINAL = "final", _("Final (writes offers and waitlists)")
