"""The district's published student-access table: which department reads what of which students."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from core import policy
from core.choices import Action, DataClass, FieldGroup, Role
from core.models import AuditEntry

from .choices import GRADE_LABELS, DepartmentCode


def may_read_student_access(user) -> bool:
    """The privacy officer's page: for those who answer for disclosures (readers of the audit logs)."""
    return not getattr(user, "is_integration", False) and policy.can(user, AuditEntry, Action.VIEW)


def _students_text(row) -> str:
    if not row.serves_students:
        return _("None")
    if row.grades is None:
        return _("Students its schools serve")
    grades = ", ".join(str(GRADE_LABELS.get(g, g)) for g in row.grades)
    return _("Students its schools serve, in %(grades)s") % {"grades": grades}


@login_required
def student_access_page(request):
    """Department × field groups × which students, from the departments' declarations (``core.access``)."""
    if not may_read_student_access(request.user):
        raise PermissionDenied(_("The student-access table is for those who read the audit logs."))
    groups = list(FieldGroup)
    rows = []
    for row in policy.student_access_table(DepartmentCode.values):
        rows.append(
            {
                "code": row.department,
                "name": DepartmentCode(row.department).label,
                "cells": [(group.label, group.value in row.groups) for group in groups],
                "students": _students_text(row),
                "classes": [DataClass(c).label for c in row.data_classes],
                "purpose": row.purpose,
                "declared": row.declared,
            }
        )
    roles = [
        {
            "name": Role(role).label,
            "classes": [DataClass(c).label for c, rs in policy.CLASS_ROLES.items() if role in rs],
        }
        for role in policy.ALL_GROUP_ROLES
    ]
    context = {"groups": groups, "rows": rows, "roles": roles}
    return render(request, "district/student_access.html", context)
