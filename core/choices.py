"""Choices shared by the chassis: roles, record kinds, actions, data classes."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    EXECUTIVE = "executive", _("Executive (COO and cabinet)")
    DEPT_MANAGER = "dept_manager", _("Department manager")
    DEPT_STAFF = "dept_staff", _("Department staff")
    PRINCIPAL = "principal", _("Principal")
    MEAL_PROGRAM = "meal_program", _("Meal program administrator")
    STUDENT_SERVICES = "student_services", _("Student services (IDEA and 504)")
    NURSE = "nurse", _("School nurse")
    STATE = "state", _("State agency analyst")
    INTEGRATION = "integration", _("Integration (API token)")


class DataClass(models.TextChoices):
    """Sensitive data classes, seen per student only by the program that administers them."""

    MEALS = "meals", _("Meal eligibility")
    DISABILITY = "disability", _("Disability, IEP and 504")
    HEALTH = "health", _("Health")


class Kind(models.TextChoices):
    """What kind of record a model holds, which decides the rules that apply to it."""

    REFERENCE = "reference", _("District reference data")
    ACCESS = "access", _("Accounts, roles and tokens")
    AUDIT = "audit", _("Audit and disclosure logs")
    DEPARTMENT = "department", _("Department records")
    STUDENT = "student", _("Shared student records")


class Action(models.TextChoices):
    # Verbs, as messages use them ("You may not %(action)s ..."); "change" is a noun elsewhere.
    VIEW = "view", pgettext_lazy("action", "view")
    ADD = "add", pgettext_lazy("action", "add")
    CHANGE = "change", pgettext_lazy("action", "change")
    DELETE = "delete", pgettext_lazy("action", "delete")


class Source(models.TextChoices):
    """Through which door a change came."""

    WEB = "web", _("Web page")
    API = "api", _("API")
    IMPORT = "import", _("Bulk import")
    ADMIN = "admin", _("Admin site")
    SYSTEM = "system", _("System job")


class FieldGroup(models.TextChoices):
    """Groups of a student's fields a department may be granted (see ``core.access``)."""

    IDENTITY_SCHOOL = "identity_school", _("Identity and school")
    CONTACT = "contact", _("Contacts")
    ADDRESS = "address", _("Address")
    PROGRAM_NEEDS = "program_needs", _("Program needs (such as transport needs)")
