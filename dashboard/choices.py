"""Code lists of the dashboard: the four priorities, directions, statuses, scopes and student groups."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Priority(models.TextChoices):
    """The district's four priorities, in the order the COO reviews them."""

    TEACHING_LEARNING = "teaching_learning", _("Teaching & Learning")
    FAMILY_COMMUNITY = "family_community", _("Family & Community Partnerships")
    OPERATIONAL = "operational", _("Operational Effectiveness")
    CULTURE_CLIMATE = "culture_climate", _("School Culture & Climate")


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
