"""The roster sync page: upload a OneRoster package or an enrollment file, preview, commit; export a package.

Upload and preview write nothing: the preview lists every problem (file,
line, column, reason) and every finding, and what would be added and
changed. Committing plans the file again (the records may have changed
meanwhile) and writes it all or nothing.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from core import policy
from core.choices import Action
from core.views import PolicyMixin

from ..models import Enrollment
from .enrollment_csv import COLUMNS as ENROLLMENT_COLUMNS
from .enrollment_csv import read_enrollment_file
from .forms import RosterExportForm, RosterUploadForm
from .oneroster import read_package
from .rows import RosterBatch
from .services import RosterRejected, roster_export, roster_import, roster_preview

TEMPLATE = "enrollment/roster/sync.html"
SHOWN_PROBLEMS = 500
SHOWN_CHANGES = 20


def read_upload(data: bytes, filename: str) -> RosterBatch:
    """A OneRoster package (.zip) or an enrollment file (.csv, .xlsx), read into roster rows."""
    if filename.lower().endswith(".zip"):
        return read_package(data, filename)
    return read_enrollment_file(data, filename)


class RosterPage(PolicyMixin, View):
    def context(self, **extra):
        user = self.request.user
        return self.base_context(
            may_import=policy.can(user, Enrollment, Action.ADD),
            upload_form=extra.pop("upload_form", None) or RosterUploadForm(),
            export_form=extra.pop("export_form", None) or RosterExportForm(user=user),
            enrollment_columns=ENROLLMENT_COLUMNS,
            **extra,
        )


class RosterSyncView(RosterPage):
    """Readers of enrollments see the export; writers also import."""

    def dispatch(self, request, *args, **kwargs):
        self.action = Action.ADD if request.method == "POST" else Action.VIEW
        return super().dispatch(request, *args, **kwargs)

    def _key(self, token: str) -> str:
        return f"roster:{self.request.user.pk}:{token}"

    def get(self, request):
        return render(request, TEMPLATE, self.context())

    def post(self, request):
        token = request.POST.get("token")
        if token:
            return self.commit(token)
        form = RosterUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, TEMPLATE, self.context(upload_form=form), status=400)
        upload = form.cleaned_data["file"]
        data = upload.read()
        plan = roster_preview(actor=request.user, batch=read_upload(data, upload.name))
        token = None
        if plan.ok and not plan.is_empty:
            token = uuid.uuid4().hex
            cache.set(self._key(token), (data, upload.name), 3600)
        return self.render_plan(plan, upload.name, token)

    def commit(self, token):
        request = self.request
        stored = cache.get(self._key(token))
        if stored is None:
            messages.error(request, _("That preview has expired; upload the file again."))
            return HttpResponseRedirect(request.path)
        data, filename = stored
        try:
            plan = roster_import(actor=request.user, batch=read_upload(data, filename))
        except RosterRejected as exc:
            return self.render_plan(exc.plan, filename, None)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(request.path)
        cache.delete(self._key(token))
        counts = plan.counts()
        messages.success(
            request,
            _(
                "Imported %(file)s: %(s_new)s students added, %(s_upd)s changed; "
                "%(e_new)s enrollments added, %(e_upd)s changed; %(same)s rows already up to date."
            )
            % {
                "file": filename,
                "s_new": counts["students"]["created"],
                "s_upd": counts["students"]["updated"],
                "e_new": counts["enrollments"]["created"],
                "e_upd": counts["enrollments"]["updated"],
                "same": counts["students"]["unchanged"] + counts["enrollments"]["unchanged"],
            },
        )
        return HttpResponseRedirect(request.path)

    def render_plan(self, plan, filename: str, token: str | None):
        problems = plan.sorted_problems()
        changes = {
            "students": [(ch.is_new, ch.instance) for ch in plan.students[:SHOWN_CHANGES]],
            "enrollments": [(ch.is_new, ch.instance) for ch in plan.enrollments[:SHOWN_CHANGES]],
        }
        context = self.context(
            plan=plan,
            filename=filename,
            token=token,
            counts=plan.counts(),
            problems=problems[:SHOWN_PROBLEMS],
            problem_count=len(problems),
            findings=list(plan.findings),
            changes=changes,
        )
        return render(self.request, TEMPLATE, context, status=200 if plan.ok else 400)


class RosterExportView(RosterPage):
    """Download a OneRoster 1.2 package of one school year, within the user's scope (logged as a disclosure)."""

    action = Action.VIEW

    def get(self, request):
        form = RosterExportForm(request.GET, user=request.user)
        if not form.is_valid():
            return render(request, TEMPLATE, self.context(export_form=form), status=400)
        year = form.cleaned_data["year"]
        data, _count = roster_export(actor=request.user, end_year=year)
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="oneroster-{year - 1}-{year}.zip"'
        return response
