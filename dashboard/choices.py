"""Code lists of the dashboard: the four priorities, directions, statuses, scopes and student groups."""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from district.choices import DepartmentCode


class Priority(models.TextChoices):
    """The district's four priorities, in the order the COO reviews them."""

    TEACHING_LEARNING = "teaching_learning", _("Teaching & Learning")
    FAMILY_COMMUNITY = "family_community", _("Family & Community Partnerships")
    OPERATIONAL = "operational", _("Operational Effectiveness")
    CULTURE_CLIMATE = "culture_climate", _("School Culture & Climate")


# The departments whose work feeds each priority, the ones still to be built included: a priority
# with no KPI yet names them, so the COO sees who will bring its figures.
PRIORITY_DEPARTMENTS = {
    Priority.TEACHING_LEARNING: (DepartmentCode.TRANSPORTATION, DepartmentCode.NUTRITION, DepartmentCode.FACILITIES),
    Priority.FAMILY_COMMUNITY: (DepartmentCode.ENROLLMENT, DepartmentCode.COMMUNICATIONS, DepartmentCode.FACILITIES),
    Priority.OPERATIONAL: (
        DepartmentCode.ENROLLMENT,
        DepartmentCode.TRANSPORTATION,
        DepartmentCode.FACILITIES,
        DepartmentCode.NUTRITION,
        DepartmentCode.REPORTING,
    ),
    Priority.CULTURE_CLIMATE: (DepartmentCode.ATHLETICS, DepartmentCode.FACILITIES, DepartmentCode.TRANSPORTATION),
}


def priority_without_kpis(priority: str, department: str | None = None) -> str:
    """What a priority with no KPI says: the departments that will feed it, or that the chosen one has none here."""
    if department:
        label = DepartmentCode(department).label if department in DepartmentCode.values else department
        return gettext("%(department)s has no KPI for this priority yet.") % {"department": label}
    names = ", ".join(str(DepartmentCode(code).label) for code in PRIORITY_DEPARTMENTS.get(priority, ()))
    if not names:
        return gettext("No KPI is registered for this priority yet.")
    text = gettext("No KPI yet. The departments that will feed this priority: %(departments)s.")
    return text % {"departments": names}


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")
    CONTEXT = "context", _("Context measure (no better direction)")


class Unit(models.TextChoices):
    PERCENT = "percent", _("percent")
    COUNT = "count", _("count")


class Status(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    WATCH = "watch", _("Watch")
    OFF_TRACK = "off_track", _("Off track")
    NO_TARGET = "no_target", _("No target set")
    CONTEXT = "context", _("Context measure")
    NO_DATA = "no_data", _("No data")


class Scope(models.TextChoices):
    DISTRICT = "district", _("District")
    SCHOOL = "school", _("School")
    GROUP = "group", _("Student group")


class Dimension(models.TextChoices):
    """Student groups, from the student record and dated program participation (aggregates only)."""

    RACE_ETHNICITY = "race_ethnicity", _("Race/ethnicity")
    SEX = "sex", _("Sex")
    ENGLISH_LEARNER = "english_learner", _("English learners")
    DISABILITY = "disability", _("Students with disabilities")
    MEAL_ELIGIBLE = "meal_eligible", _("Eligible for free or reduced-price meals")


# How the values of the yes/no dimensions read.
YES_NO = {"yes": _("Yes"), "no": _("No"), "unknown": _("Not recorded")}


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
