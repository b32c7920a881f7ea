"""Generic pages for registered records, and the chassis's own pages."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from . import audit, exporting, importing, policy, services, workspace
from .choices import Action
from .display import display
from .forms import ImportUploadForm, form_for
from .models import AuditEntry
from .registry import pages as registry


class PolicyMixin(LoginRequiredMixin):
    """Signs in, then checks the policy allows the action at all (else 403)."""

    pages = None
    action = Action.VIEW
    raise_exception = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if getattr(request.user, "is_integration", False):
            raise PermissionDenied(_("Integration accounts use the API only."))
        if not policy.can(request.user, self.pages.model, self.action):
            raise PermissionDenied(
                _("You do not have permission to %(action)s %(things)s.")
                % {"action": Action(self.action).label, "things": self.pages.model._meta.verbose_name_plural}
            )
        return super().dispatch(request, *args, **kwargs)

    def restricted(self, action=None):
        qs = self.pages.model.objects.restrict(self.request.user, action or self.action)
        return qs.select_related(*self.pages.fk_columns, *self.pages.select_related)

    def base_context(self, **extra):
        opts = self.pages.model._meta
        user = self.request.user
        return {
            "pages": self.pages,
            "opts": opts,
            "list_url": reverse(self.pages.url_name("list")) if "list" in self.pages.actions else None,
            "can_add": "add" in self.pages.actions and policy.can(user, self.pages.model, Action.ADD),
            "can_import": "import" in self.pages.actions and policy.can(user, self.pages.model, Action.ADD),
            **extra,
        }


def _sort_key(pages, requested: str) -> str | None:
    name = requested.lstrip("-")
    concrete = {f.name for f in pages.model._meta.concrete_fields}
    if name in pages.list_columns and name in concrete:
        return requested
    return None


def cells(pages, obj, hidden: set[str]) -> list:
    out = []
    for column in pages.list_columns:
        if column in hidden:
            out.append("•••")
            continue
        out.append(display(obj, column))
    return out


class RecordListView(PolicyMixin, View):
    def get(self, request):
        user = request.user
        queryset = self.restricted()
        filterset = (
            self.pages.filterset(request.GET or None, queryset=queryset, request=request)
            if self.pages.filterset
            else None
        )
        if filterset is not None:
            if filterset.is_bound and not filterset.is_valid():
                queryset = queryset.none()
            else:
                queryset = filterset.qs
        hidden = policy.hidden_fields(user, self.pages.model)
        sort = _sort_key(self.pages, request.GET.get("sort", "")) if request.GET.get("sort") else None
        if sort and sort.lstrip("-") in hidden:  # an order would tell what the column hides
            sort = None
        if sort:
            queryset = queryset.order_by(sort, "pk")
        fmt = request.GET.get("export")
        if fmt:
            if "export" not in self.pages.actions or fmt not in ("csv", "xlsx"):
                raise Http404
            return exporting.export_response(self.pages, user, queryset, fmt)
        page = Paginator(queryset, settings.OPS_PAGE_SIZE).get_page(request.GET.get("page"))
        columns = []
        for name in self.pages.list_columns:
            try:
                label = self.pages.model._meta.get_field(name).verbose_name
            except Exception:  # noqa: BLE001 - a property: its getter may carry a label
                attr = getattr(self.pages.model, name, None)
                label = getattr(getattr(attr, "fget", attr), "short_description", name.replace("_", " "))
            sortable = _sort_key(self.pages, name) is not None and name not in hidden
            columns.append({"name": name, "label": label, "sortable": sortable})
        rows = [{"obj": obj, "cells": cells(self.pages, obj, hidden)} for obj in page.object_list]
        query = request.GET.copy()
        query.pop("page", None)
        context = self.base_context(
            filterset=filterset,
            page=page,
            rows=rows,
            columns=columns,
            sort=sort or "",
            query=query.urlencode(),
            detail_name=self.pages.url_name("detail") if "detail" in self.pages.actions else None,
        )
        template = "core/_record_table.html" if request.htmx and not request.htmx.boosted else "core/record_list.html"
        return render(request, template, context)


class RecordDetailView(PolicyMixin, View):
    def get(self, request, pk):
        user = request.user
        obj = get_object_or_404(self.restricted(), pk=pk)
        hidden = policy.hidden_fields(user, self.pages.model)
        fields = []
        for f in self.pages.model._meta.concrete_fields:
            if f.primary_key or f.name in ("key_hash",) or f.name in self.pages.detail_exclude:
                continue
            if f.name in hidden:
                value = _("hidden (%(cls)s)") % {"cls": policy.hidden_reason(self.pages.model, f.name)}
            else:
                value = self.field_value(obj, f)
            fields.append((f.verbose_name, value))
        for f in self.pages.model._meta.many_to_many:
            fields.append((f.verbose_name, ", ".join(str(o) for o in getattr(obj, f.name).all())))
        model = self.pages.model
        can_change = "edit" in self.pages.actions and model.objects.restrict(user, Action.CHANGE).filter(pk=pk).exists()
        can_delete = (
            "delete" in self.pages.actions and model.objects.restrict(user, Action.DELETE).filter(pk=pk).exists()
        )
        history = []
        if policy.can(user, AuditEntry, Action.VIEW) or can_change:
            entries = audit.history(user, model, pk, leave_out=self.pages.detail_exclude)
            history = [(entry, audit.readable(model, values)) for entry, values in entries]
        context = self.base_context(
            object=obj,
            fields=fields,
            can_change=can_change,
            can_delete=can_delete,
            history=history,
            **self.extra_context(obj),
        )
        return render(request, self.pages.detail_template or "core/record_detail.html", context)

    def extra_context(self, obj) -> dict:
        """More for a model's own detail template (a subclass's sections and panels)."""
        return {}

    def field_value(self, obj, f):
        """A (visible) field's value as the detail page shows it: codes by their labels."""
        return display(obj, f.name)


class RecordEditView(PolicyMixin, View):
    """Add (no pk) or edit (pk) one record."""

    def dispatch(self, request, *args, **kwargs):
        self.action = Action.CHANGE if "pk" in kwargs else Action.ADD
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, obj, data=None):
        form_class = form_for(self.pages, self.request.user)
        return form_class(data=data, instance=obj, user=self.request.user)

    def get_object(self, pk):
        if pk is None:
            return self.pages.model()
        return get_object_or_404(self.restricted(Action.VIEW), pk=pk)

    def _check_change(self, obj):
        if (
            obj.pk
            and not self.pages.model.objects.restrict(self.request.user, Action.CHANGE).filter(pk=obj.pk).exists()
        ):
            raise PermissionDenied(_("You may view this record but not change it."))

    def get(self, request, pk=None):
        obj = self.get_object(pk)
        self._check_change(obj)
        return self.render(self.get_form(obj), obj)

    def post(self, request, pk=None):
        obj = self.get_object(pk)
        self._check_change(obj)
        form = self.get_form(obj, data=request.POST)
        if form.is_valid():
            instance = form.save(commit=False)
            m2m = {
                f.name: form.cleaned_data[f.name]
                for f in self.pages.model._meta.many_to_many
                if f.name in form.cleaned_data
            }
            try:
                (self.pages.save or services.record_save)(
                    actor=request.user,
                    instance=instance,
                    expected_version=form.cleaned_data.get("version") if pk else None,
                    m2m=m2m,
                )
            except services.StaleVersion:
                form.add_error(
                    None,
                    _("Someone else changed this record while you were editing it. Reload it and change it again."),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Saved %(object)s.") % {"object": instance})
                return HttpResponseRedirect(reverse(self.pages.url_name("detail"), args=[instance.pk]))
        return self.render(form, obj, status=400)

    def render(self, form, obj, status=200):
        return render(self.request, "core/record_form.html", self.base_context(form=form, object=obj), status=status)


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class RecordDeleteView(PolicyMixin, View):
    action = Action.DELETE

    def get_object(self, pk):
        obj = get_object_or_404(self.restricted(Action.VIEW), pk=pk)
        if not self.pages.model.objects.restrict(self.request.user, Action.DELETE).filter(pk=pk).exists():
            raise PermissionDenied(_("You may view this record but not delete it."))
        return obj

    def get(self, request, pk):
        return render(request, "core/record_delete.html", self.base_context(object=self.get_object(pk)))

    def post(self, request, pk):
        obj = self.get_object(pk)
        try:
            services.record_delete(actor=request.user, instance=obj)
        except ValidationError as exc:
            return render(
                request, "core/record_delete.html", self.base_context(object=obj, errors=exc.messages), status=400
            )
        messages.success(request, _("Deleted %(object)s.") % {"object": obj})
        return HttpResponseRedirect(reverse(self.pages.url_name("list")))


class RecordImportView(PolicyMixin, View):
    """Upload, preview (with every problem listed), then commit all or nothing."""

    action = Action.ADD
    PREVIEW_ROWS = 20

    def _key(self, token):
        return f"import:{self.request.user.pk}:{self.pages.model._meta.label_lower}:{token}"

    def get(self, request):
        return render(
            request, "core/record_import.html", self.base_context(form=ImportUploadForm(), **self.help_context())
        )

    def help_context(self):
        return {
            "columns": self.pages.columns_for_import,
            "import_key": self.pages.import_key,
            "related_keys": self.pages.related_keys,
        }

    def post(self, request):
        token = request.POST.get("token")
        if token:
            stored = cache.get(self._key(token))
            if stored is None:
                messages.error(request, _("That preview has expired; upload the file again."))
                return HttpResponseRedirect(request.path)
            data, filename = stored
            plan = importing.plan_import(self.pages, request.user, data, filename)
            if plan.ok:
                try:
                    added, updated = importing.commit_import(plan, request.user)
                except (ValidationError, PermissionDenied) as exc:
                    messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
                else:
                    cache.delete(self._key(token))
                    messages.success(
                        request,
                        _("Imported %(added)s new and %(updated)s updated records.")
                        % {"added": added, "updated": updated},
                    )
                    return HttpResponseRedirect(reverse(self.pages.url_name("list")))
            return self.render_plan(plan, None)
        form = ImportUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(
                request, "core/record_import.html", self.base_context(form=form, **self.help_context()), status=400
            )
        upload = form.cleaned_data["file"]
        data = upload.read()
        plan = importing.plan_import(self.pages, request.user, data, upload.name)
        token = None
        if plan.ok:
            token = uuid.uuid4().hex
            cache.set(self._key(token), (data, upload.name), 3600)
        return self.render_plan(plan, token)

    def render_plan(self, plan, token):
        hidden = policy.hidden_fields(self.request.user, self.pages.model)
        preview = []
        for line, obj, _m2m, is_new in plan.rows[: self.PREVIEW_ROWS]:
            values = []
            for name in plan.columns:
                if name in hidden:
                    values.append("•••")
                else:
                    f = self.pages.model._meta.get_field(name)
                    values.append("" if f.many_to_many else display(obj, name))
            preview.append({"line": line, "values": values, "is_new": is_new})
        context = self.base_context(
            form=ImportUploadForm(), plan=plan, preview=preview, token=token, **self.help_context()
        )
        return render(self.request, "core/record_import.html", context, status=200 if plan.ok else 400)


def home(request):
    """Where a signed-in user lands: their role's page (see ``workspace.landing_url``), else a start page."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("login"))
    landing = workspace.landing_url(request.user)
    if landing:
        return HttpResponseRedirect(landing)
    scope = policy.scope_for(request.user)
    sections: dict[str, list] = {}
    for p in registry:
        if "list" in p.actions and policy.can(request.user, p.model, Action.VIEW):
            heading = p.section or str(p.model._meta.app_config.verbose_name)
            sections.setdefault(heading, []).append(
                {
                    "label": p.model._meta.verbose_name_plural,
                    "url": reverse(p.url_name("list")),
                    "can_add": "add" in p.actions and policy.can(request.user, p.model, Action.ADD),
                }
            )
    roles = sorted({a.role for a in scope.assignments})
    from .choices import Role

    context = {
        "sections": sections,
        "role_labels": [Role(r).label for r in roles],
        "principal_school_ids": sorted(scope.school_ids_for(Role.PRINCIPAL) or []) if Role.PRINCIPAL in roles else [],
        "data_classes": sorted(scope.data_classes()),
    }
    return render(request, "core/home.html", context)


def department_workspace(request, department):
    """A department's home: its queues of what needs action, its KPI tiles and its main actions."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(f"{reverse('login')}?next={request.path}")
    if getattr(request.user, "is_integration", False):
        raise PermissionDenied(_("Integration accounts use the API only."))
    if workspace.department(department) is None:
        raise Http404
    space = workspace.build(request.user, department)
    if space is None:
        raise PermissionDenied(_("You have no work in this department."))
    return render(request, "core/workspace.html", {"space": space})


def _health_details_allowed(request) -> bool:
    """The parts are shown to signed-in staff (anyone with a role), or to all with ``OPS_HEALTH_DETAILS``."""
    if settings.OPS_HEALTH_DETAILS:
        return True
    user = request.user
    if not user.is_authenticated or getattr(user, "is_integration", False):
        return False
    return user.is_superuser or bool(policy.scope_for(user).assignments)


def health(request):
    """The overall status for load balancers (200 or 503); the parts for staff and operators."""
    status = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001
        status["database"] = {"ok": False, "error": exc.__class__.__name__}
    try:
        key = f"health:{uuid.uuid4().hex}"
        cache.set(key, "1", 5)
        status["cache"] = {
            "ok": cache.get(key) == "1",
            "backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        }
    except Exception as exc:  # noqa: BLE001
        status["cache"] = {"ok": False, "error": exc.__class__.__name__}
    if settings.CELERY_TASK_ALWAYS_EAGER:
        status["broker"] = {"ok": True, "mode": "in-process"}
    else:
        from ops_portal.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            status["broker"] = {"ok": True, "mode": "redis"}
        except Exception as exc:  # noqa: BLE001
            status["broker"] = {"ok": False, "error": exc.__class__.__name__}
    healthy = all(part["ok"] for part in status.values())
    body = {"status": "ok" if healthy else "degraded"}
    if _health_details_allowed(request):
        body.update(status)
    if "text/html" in request.headers.get("Accept", "") and request.GET.get("format") != "json":
        return render(request, "core/health.html", {"status": body}, status=200 if healthy else 503)
    return JsonResponse(body, status=200 if healthy else 503)
