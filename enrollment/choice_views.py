"""School-choice workflow pages: windows and lottery runs, run summaries, applications, offers.

Thin views over :mod:`enrollment.choice`: each fetches through
``restrict()`` (a record out of scope is a 404), checks the policy through
the chassis's ``PolicyMixin`` (403), calls one service, and shows the
service's ``ValidationError`` on the form it came from (400).
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.db.models.fields.json import KT
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from core import policy
from core.choices import Action
from core.registry import pages as registry
from core.views import PolicyMixin, RecordDetailView

from . import choice
from . import choices as c
from .lottery import MAX_CHOICES
from .models import (
    ApplicantPriority,
    Application,
    ApplicationWindow,
    ChoiceProgram,
    LotteryRun,
    Offer,
    Student,
    WaitlistEntry,
)


def _pages(model):
    return registry.for_model(model)


def _add_service_errors(form, exc: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's errors on the form's fields (through ``aliases``), the rest at the top."""
    aliases = aliases or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        target = aliases.get(name, name)
        form.add_error(target if target in form.fields else None, errors)


def _percent(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


# -- forms ---------------------------------------------------------------------------------------


class LotteryRunForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of run"), choices=c.RunKind.choices, initial=c.RunKind.DRY, widget=forms.RadioSelect
    )
    seed = forms.CharField(
        label=gettext_lazy("Seed"),
        required=False,
        max_length=64,
        help_text=gettext_lazy("Leave empty to draw one. A seed of digits is read as a number; it is published."),
    )
    tie_breaking = forms.ChoiceField(
        label=gettext_lazy("Tie-breaking"),
        choices=[
            ("single", gettext_lazy("Single: one lottery number per applicant")),
            ("multiple", gettext_lazy("Multiple: one number per applicant per program")),
        ],
        initial="single",
    )


class RankedChoicesForm(forms.Form):
    """Up to 12 program codes in order of preference, checked against the window's programs."""

    def __init__(self, *args, window: ApplicationWindow, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.window = window
        self.user = user
        self.programs = {
            p.code: p for p in ChoiceProgram.objects.restrict(user).filter(window=window).select_related("school")
        }
        for n in range(1, MAX_CHOICES + 1):
            self.fields[f"choice_{n}"] = forms.CharField(
                label=_("Choice %(n)s") % {"n": n},
                required=n == 1,
                max_length=30,
                widget=forms.TextInput(attrs={"list": "program-codes", "autocomplete": "off"}),
            )

    @property
    def choice_fields(self):
        return [self[f"choice_{n}"] for n in range(1, MAX_CHOICES + 1)]

    @property
    def open_programs(self):
        return [p for p in self.programs.values() if p.is_open]

    def clean(self):
        data = super().clean()
        codes, seen = [], {}
        for n in range(1, MAX_CHOICES + 1):
            code = (data.get(f"choice_{n}") or "").strip()
            if not code:
                continue
            program = self.programs.get(code)
            if program is None:
                self.add_error(f"choice_{n}", _("No program with that code in this window."))
            elif not program.is_open:
                self.add_error(f"choice_{n}", _("%(program)s is closed to applications.") % {"program": program})
            elif code in seen:
                self.add_error(f"choice_{n}", _("Already ranked as choice %(n)s.") % {"n": seen[code]})
            seen.setdefault(code, n)
            codes.append(code)
        data["program_codes"] = codes
        return data


class ApplicationForm(RankedChoicesForm):
    student = forms.CharField(
        label=gettext_lazy("Student"),
        max_length=40,
        help_text=gettext_lazy("State id (SASID), local id, or the student's record number."),
    )
    field_order = ["student"]

    def clean_student(self):
        value = self.cleaned_data["student"].strip()
        visible = Student.objects.restrict(self.user).filter(district_id=self.window.district_id)
        found = list(visible.filter(state_id=value)[:1]) or list(visible.filter(local_id=value)[:2])
        if not found and value.isdigit():
            found = list(visible.filter(pk=int(value))[:1])
        if not found:
            raise forms.ValidationError(_("No student you may see has that id."))
        if len(found) > 1:
            raise forms.ValidationError(_("Several students have that local id; give the state id instead."))
        return found[0]


class PriorityOverrideForm(forms.Form):
    program = forms.ModelChoiceField(label=gettext_lazy("Program"), queryset=ChoiceProgram.objects.none())
    kind = forms.ChoiceField(label=gettext_lazy("Priority"), choices=c.PriorityKind.choices)
    granted = forms.TypedChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("1", gettext_lazy("Grant the priority")), ("0", gettext_lazy("Deny the priority"))],
        coerce=lambda value: value == "1",
        initial="1",
    )
    reason = forms.CharField(label=gettext_lazy("Reason, for the record"), max_length=300)

    def __init__(self, *args, application: Application, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = (
            ChoiceProgram.objects.restrict(user).filter(choices__application=application).order_by("choices__rank")
        )


# -- windows and lottery runs --------------------------------------------------------------------


class ChoiceWindowsView(PolicyMixin, View):
    """The windows a user may run the lottery on (the lottery runs' "add" page)."""

    def get(self, request):
        windows = (
            ApplicationWindow.objects.restrict(request.user)
            .select_related("school_year")
            .annotate(submitted=Count("applications", filter=Q(applications__status=c.ApplicationStatus.SUBMITTED)))
            .order_by("-opens_at", "pk")
        )
        return render(request, "enrollment/choice/windows.html", self.base_context(windows=windows, now=timezone.now()))


class WindowChoiceView(PolicyMixin, View):
    """A window's school-choice page: its figures, the run form and the runs so far."""

    def get(self, request, pk):
        window = get_object_or_404(
            ApplicationWindow.objects.restrict(request.user).select_related("school_year"), pk=pk
        )
        return self.render_page(window, LotteryRunForm())

    def render_page(self, window, form, status=200):
        user = self.request.user
        applications = Application.objects.restrict(user).filter(window=window)
        counts = applications.aggregate(
            submitted=Count("pk", filter=Q(status=c.ApplicationStatus.SUBMITTED)),
            withdrawn=Count("pk", filter=Q(status=c.ApplicationStatus.WITHDRAWN)),
        )
        seats = (
            ChoiceProgram.objects.restrict(user)
            .filter(window=window)
            .aggregate(programs=Count("pk"), seats=Sum("seats"))
        )
        runs = (
            LotteryRun.objects.restrict(user)
            .filter(window=window)
            .order_by("-ran_at", "-pk")
            .values("pk", "kind", "ran_at", "seed", "input_hash", "tie_breaking", "ran_by__username")
            .annotate(
                applicants=KT("summary__applicants"),
                match_rate=KT("summary__match_rate"),
                first_choice_rate=KT("summary__first_choice_rate"),
            )
        )
        rows = [
            {
                **run,
                "kind_label": c.RunKind(run["kind"]).label,
                "match": _percent(float(run["match_rate"])) if run["match_rate"] is not None else "—",
                "first": _percent(float(run["first_choice_rate"])) if run["first_choice_rate"] is not None else "—",
            }
            for run in runs
        ]
        context = self.base_context(
            object=window,
            window=window,
            counts=counts,
            seats=seats,
            runs=rows,
            form=form,
            is_open=timezone.now() < window.closes_at,
            can_run=policy.can(user, LotteryRun, Action.ADD),
            can_compute=policy.can(user, ApplicantPriority, Action.ADD),
            can_apply=policy.can(user, Application, Action.ADD),
        )
        return render(self.request, "enrollment/choice/window.html", context, status=status)


class LotteryRunCreateView(WindowChoiceView):
    """Runs the lottery (dry or final) on a window from the window page's form."""

    action = Action.ADD

    def post(self, request, pk):
        window = get_object_or_404(
            ApplicationWindow.objects.restrict(request.user).select_related("school_year"), pk=pk
        )
        form = LotteryRunForm(request.POST)
        if form.is_valid():
            try:
                run = choice.lottery_run(
                    actor=request.user,
                    window=window,
                    kind=form.cleaned_data["kind"],
                    seed=form.cleaned_data["seed"] or None,
                    tie_breaking=form.cleaned_data["tie_breaking"],
                )
            except ValidationError as exc:
                _add_service_errors(form, exc, {"window": "__all__"})
            else:
                messages.success(request, _("The %(kind)s is done.") % {"kind": run.get_kind_display()})
                return HttpResponseRedirect(reverse("enrollment:lotteryrun_detail", args=[run.pk]))
        return self.render_page(window, form, status=400)


class PrioritiesComputeView(PolicyMixin, View):
    """Computes sibling and resident priorities from data for a window."""

    action = Action.ADD

    def post(self, request, pk):
        window = get_object_or_404(
            ApplicationWindow.objects.restrict(request.user).select_related("school_year"), pk=pk
        )
        try:
            counts = choice.applicant_priorities_compute(actor=request.user, window=window)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Priorities computed: %(created)s added, %(removed)s removed.") % counts,
            )
        return HttpResponseRedirect(reverse("enrollment:choice_window", args=[window.pk]))


GROUP_LABELS = {
    "race_ethnicity": gettext_lazy("Race/ethnicity"),
    "sex": gettext_lazy("Sex"),
    "english_learner": gettext_lazy("English learners"),
    "disability": gettext_lazy("Students with disabilities (IDEA)"),
    "meal_eligible": gettext_lazy("Eligible for free or reduced-price meals"),
}


def _group_value_label(dimension: str, value: str) -> str:
    if value == "unknown":
        return _("Not reported")
    if dimension == "race_ethnicity":
        return str(dict(c.RaceEthnicity.choices).get(value, value))
    if dimension == "sex":
        return str(dict(c.Sex.choices).get(value, value))
    return _("Yes") if value == "yes" else _("No")


class LotteryRunSummaryView(PolicyMixin, View):
    """A run's summary: headline rates, seats left, and the breakdowns by program and student group.

    Everything shown comes from the run's stored summary (one row), so the
    page costs the same whatever the number of programs.
    """

    def get(self, request, pk):
        run = get_object_or_404(self.restricted(), pk=pk)
        s = run.summary or {}
        groups = []
        for block in s.get("groups", []):
            dim = block["dimension"]
            groups.append(
                {
                    "label": GROUP_LABELS.get(dim, dim),
                    "rows": [
                        {
                            **row,
                            "label": _group_value_label(dim, row["value"]),
                            "match": _percent(row.get("match_rate")),
                            "first": _percent(row.get("first_choice_rate")),
                            "top3": _percent(row.get("top3_rate")),
                        }
                        for row in block["groups"]
                    ],
                }
            )
        context = self.base_context(
            object=run,
            run=run,
            s=s,
            rates={
                "match": _percent(s.get("match_rate")),
                "first": _percent(s.get("first_choice_rate")),
                "top3": _percent(s.get("top3_rate")),
            },
            programs=s.get("programs", []),
            groups=groups,
            seed_json=_seed_literal(s.get("seed", run.seed)),
        )
        return render(request, "enrollment/choice/run_summary.html", context)


def _seed_literal(seed) -> str:
    """The seed as it is passed to ``run_lottery``: a number, or a quoted string."""
    return json.dumps(seed)


# -- applications --------------------------------------------------------------------------------


class ApplicationSubmitView(PolicyMixin, View):
    """Staff enter an application: pick the window, then the student and up to 12 ranked programs."""

    action = Action.ADD

    def window(self, value):
        if not value or not str(value).isdigit():
            return None
        return get_object_or_404(ApplicationWindow.objects.restrict(self.request.user), pk=int(value))

    def get(self, request):
        window = self.window(request.GET.get("window"))
        if window is None:
            now = timezone.now()
            windows = ApplicationWindow.objects.restrict(request.user).filter(opens_at__lte=now, closes_at__gte=now)
            return render(request, "enrollment/choice/window_pick.html", self.base_context(windows=windows))
        initial = {"student": request.GET.get("student", "")}
        return self.render_form(ApplicationForm(initial=initial, window=window, user=request.user), window)

    def post(self, request):
        window = self.window(request.POST.get("window"))
        if window is None:
            return HttpResponseRedirect(reverse("enrollment:application_add"))
        form = ApplicationForm(request.POST, window=window, user=request.user)
        if form.is_valid():
            try:
                application = choice.application_submit(
                    actor=request.user,
                    window=window,
                    student=form.cleaned_data["student"],
                    program_codes=form.cleaned_data["program_codes"],
                )
            except ValidationError as exc:
                _add_service_errors(form, exc, {"program_codes": "choice_1"})
            except PermissionDenied as exc:
                form.add_error("student", str(exc))
            else:
                messages.success(
                    request, _("Application submitted for %(student)s.") % {"student": application.student}
                )
                return HttpResponseRedirect(reverse("enrollment:application_detail", args=[application.pk]))
        return self.render_form(form, window, status=400)

    def render_form(self, form, window, status=200, application=None):
        context = self.base_context(form=form, window=window, application=application, object=application)
        return render(self.request, "enrollment/choice/application_form.html", context, status=status)


class ApplicationDetailView(PolicyMixin, View):
    """An application: its ranked choices with priorities, offers and places in line; staff actions."""

    def get(self, request, pk):
        return self.render_page(self.get_application(pk))

    def get_application(self, pk):
        return get_object_or_404(
            Application.objects.restrict(self.request.user).select_related("student", "window__school_year"), pk=pk
        )

    def render_page(self, application, override_form=None, status=200):
        user = self.request.user
        priorities: dict[int, list] = {}
        for p in ApplicantPriority.objects.restrict(user).filter(application=application).order_by("kind"):
            priorities.setdefault(p.program_id, []).append(p)
        choices_ = [
            {"rank": ch.rank, "program": ch.program, "priorities": priorities.get(ch.program_id, [])}
            for ch in application.choices.select_related("program__school").order_by("rank")
        ]
        offers = Offer.objects.restrict(user).filter(application=application).select_related("program__school")
        lines = WaitlistEntry.objects.restrict(user).filter(application=application).select_related("program__school")
        window = application.window
        writable = Application.objects.restrict(user, Action.CHANGE).filter(pk=application.pk).exists()
        can_change = (
            writable and application.status == c.ApplicationStatus.SUBMITTED and timezone.now() <= window.closes_at
        )
        can_override = policy.can(user, ApplicantPriority, Action.ADD) and not (
            LotteryRun.objects.filter(window=window, kind=c.RunKind.FINAL).exists()
        )
        if can_override and override_form is None:
            override_form = PriorityOverrideForm(application=application, user=user)
        context = self.base_context(
            object=application,
            application=application,
            ranked=choices_,
            offers=offers,
            lines=lines.order_by("rank"),
            can_change=can_change,
            override_form=override_form if can_override else None,
        )
        return render(self.request, "enrollment/choice/application_detail.html", context, status=status)


class ApplicationChoicesView(ApplicationSubmitView):
    """Replace an application's ranked choices before the deadline."""

    action = Action.CHANGE

    def get_application(self, pk):
        application = get_object_or_404(
            Application.objects.restrict(self.request.user).select_related("student", "window"), pk=pk
        )
        if not Application.objects.restrict(self.request.user, Action.CHANGE).filter(pk=pk).exists():
            raise PermissionDenied(_("You may view this application but not change it."))
        return application

    def get(self, request, pk):
        application = self.get_application(pk)
        codes = list(application.choices.order_by("rank").values_list("program__code", flat=True))
        initial = {f"choice_{n}": code for n, code in enumerate(codes, start=1)}
        form = RankedChoicesForm(initial=initial, window=application.window, user=request.user)
        return self.render_form(form, application.window, application=application)

    def post(self, request, pk):
        application = self.get_application(pk)
        form = RankedChoicesForm(request.POST, window=application.window, user=request.user)
        if form.is_valid():
            try:
                choice.application_update(
                    actor=request.user, application=application, program_codes=form.cleaned_data["program_codes"]
                )
            except ValidationError as exc:
                _add_service_errors(form, exc, {"program_codes": "choice_1"})
            else:
                messages.success(request, _("Choices saved."))
                return HttpResponseRedirect(reverse("enrollment:application_detail", args=[application.pk]))
        return self.render_form(form, application.window, status=400, application=application)


class ApplicationWithdrawView(ApplicationChoicesView):
    def get(self, request, pk):
        return HttpResponseRedirect(reverse("enrollment:application_detail", args=[pk]))

    def post(self, request, pk):
        application = self.get_application(pk)
        try:
            choice.application_withdraw(actor=request.user, application=application)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Application withdrawn."))
        return HttpResponseRedirect(reverse("enrollment:application_detail", args=[pk]))


class PriorityOverrideView(ApplicationDetailView):
    """Grant or deny a priority on an application, with the reason."""

    def get(self, request, pk):
        return HttpResponseRedirect(reverse("enrollment:application_detail", args=[pk]))

    def post(self, request, pk):
        application = self.get_application(pk)
        form = PriorityOverrideForm(request.POST, application=application, user=request.user)
        if form.is_valid():
            try:
                choice.applicant_priority_override(actor=request.user, application=application, **form.cleaned_data)
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                messages.success(request, _("Priority recorded."))
                return HttpResponseRedirect(reverse("enrollment:application_detail", args=[pk]))
        return self.render_page(application, override_form=form, status=400)


# -- offers --------------------------------------------------------------------------------------


class OfferDetailView(RecordDetailView):
    """The generic detail page, with accept and decline buttons while the offer is pending."""

    def base_context(self, **extra):
        context = super().base_context(**extra)
        offer = extra.get("object")
        if offer is not None:
            context["can_answer"] = (
                offer.status == c.OfferStatus.PENDING
                and Offer.objects.restrict(self.request.user, Action.CHANGE).filter(pk=offer.pk).exists()
            )
        return context


class OfferAnswerView(PolicyMixin, View):
    action = Action.CHANGE
    service = None

    def get(self, request, pk):
        return HttpResponseRedirect(reverse("enrollment:offer_detail", args=[pk]))

    def post(self, request, pk):
        offer = get_object_or_404(Offer.objects.restrict(request.user), pk=pk)
        try:
            answered = self.service(actor=request.user, offer=offer)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Offer %(status)s.") % {"status": answered.get_status_display().lower()})
        return HttpResponseRedirect(reverse("enrollment:offer_detail", args=[pk]))


class OfferAcceptView(OfferAnswerView):
    service = staticmethod(choice.offer_accept)


class OfferDeclineView(OfferAnswerView):
    service = staticmethod(choice.offer_decline)
