"""The chassis's own pages: users, API tokens, and the audit and disclosure logs."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit, services
from .choices import Action
from .filtersets import ApiTokenFilterSet, AuditEntryFilterSet, DisclosureFilterSet, UserFilterSet
from .forms import DateTimeInput, RecordForm
from .models import ApiToken, AuditEntry, Disclosure, ExternalIdentity, User
from .registry import READ_ONLY, Pages, pages
from .views import PolicyMixin, RecordDetailView, RecordEditView

ADMIN_SECTION = gettext_lazy("Administration")


class UserForm(RecordForm):
    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "preferred_language", "is_active", "is_integration"]

    def save(self, commit=True):
        user = super().save(commit=False)
        if not user.pk and not user.password:
            user.set_unusable_password()
        if commit:
            user.save()
        return user


def scope_choices():
    labels = sorted({p.app_label for p in pages})
    return [(f"{label}:{kind}", f"{label}:{kind}") for label in labels for kind in ("read", "write")]


class ApiTokenForm(RecordForm):
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("scopes"),
        widget=forms.CheckboxSelectMultiple,
        choices=scope_choices,
        help_text=gettext_lazy("Write includes read."),
    )
    expires_at = forms.DateTimeField(
        label=gettext_lazy("expires"),
        required=False,
        widget=DateTimeInput,
    )

    class Meta:
        model = ApiToken
        fields = ["name", "user", "scopes", "expires_at"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if "user" in self.fields:
            # A token acts as its account: only integration accounts the administrator manages, never a person.
            self.fields["user"].queryset = (
                User.objects.restrict(user, Action.CHANGE)
                .filter(is_integration=True)
                .exclude(role_assignments__isnull=True)
            )
            self.fields["user"].help_text = _("An integration account; people sign in themselves.")

    def clean_expires_at(self):
        value = self.cleaned_data.get("expires_at")
        if value and value <= timezone.now():
            raise forms.ValidationError(_("The expiry must be in the future."))
        return value


class ApiTokenCreateView(RecordEditView):
    """Makes a token and shows its key once; only the key's hash is stored."""

    def post(self, request, pk=None):
        if pk is not None:
            return super().post(request, pk)
        form = self.get_form(ApiToken(), data=request.POST)
        if form.is_valid():
            token = form.save(commit=False)
            key = token.set_new_key()
            try:
                services.record_save(actor=request.user, instance=token)
            except Exception as exc:  # noqa: BLE001 - shown on the form, nothing saved
                form.add_error(None, getattr(exc, "messages", [str(exc)]))
            else:
                return render(request, "core/token_created.html", self.base_context(object=token, key=key))
        return self.render(form, ApiToken(), status=400)


class ApiTokenRevokeView(PolicyMixin, View):
    action = Action.CHANGE

    def post(self, request, pk):
        token = get_object_or_404(ApiToken.objects.restrict(request.user, Action.CHANGE), pk=pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            services.record_save(actor=request.user, instance=token)
            messages.success(request, _("Revoked %(token)s.") % {"token": token})
        return HttpResponseRedirect(reverse("core:apitoken_detail", args=[pk]))


class UserUnlinkView(PolicyMixin, View):
    """Removes one of a user's links to the identity provider; the next sign-in links again by email."""

    action = Action.CHANGE

    def post(self, request, pk):
        user = get_object_or_404(User.objects.restrict(request.user, Action.CHANGE), pk=pk)
        identity_id = request.POST.get("identity", "")
        if not identity_id.isdigit():
            raise Http404
        identity = get_object_or_404(ExternalIdentity.objects.filter(user=user), pk=int(identity_id))
        services.record_delete(actor=request.user, instance=identity)
        messages.success(request, _("Unlinked %(identity)s.") % {"identity": identity})
        return HttpResponseRedirect(reverse("core:user_detail", args=[pk]))


class UserResetSecondFactorView(PolicyMixin, View):
    """Forgets a user's authenticator app (a lost phone); they set up a new one at their next sign-in."""

    action = Action.CHANGE

    def post(self, request, pk):
        user = get_object_or_404(User.objects.restrict(request.user, Action.CHANGE), pk=pk)
        with transaction.atomic():
            for device in TOTPDevice.objects.filter(user=user).order_by("pk"):
                audit.log_change(
                    actor=request.user,
                    change=AuditEntry.Change.DELETE,
                    instance=device,
                    before={"user": user.pk, "name": device.name, "confirmed": device.confirmed},
                    after=None,
                )
                device.delete()
        messages.success(
            request, _("%(user)s will set up a new authenticator app at the next sign-in.") % {"user": user}
        )
        return HttpResponseRedirect(reverse("core:user_detail", args=[pk]))


class AuditEntryDetailView(RecordDetailView):
    """An audit entry, with the values of fields the reader may not see masked."""

    def field_value(self, obj, f):
        if f.name == "changes":
            return audit.visible_changes(self.request.user, obj)
        return super().field_value(obj, f)


pages.register(
    Pages(
        model=User,
        form=UserForm,
        section=ADMIN_SECTION,
        fields=UserForm.Meta.fields,
        list_columns=["username", "first_name", "last_name", "email", "is_active", "is_integration"],
        filterset=UserFilterSet,
        import_key="username",
        actions=frozenset({"list", "detail", "add", "edit", "import", "export"}),
        extra_views={"unlink": UserUnlinkView, "reset_second_factor": UserResetSecondFactorView},
        detail_template="core/user_detail.html",
    )
)
pages.register(
    Pages(
        model=ApiToken,
        form=ApiTokenForm,
        section=ADMIN_SECTION,
        fields=ApiTokenForm.Meta.fields,
        list_columns=["name", "prefix", "user", "expires_at", "revoked_at", "last_used_at"],
        filterset=ApiTokenFilterSet,
        actions=frozenset({"list", "detail", "add", "edit"}),
        extra_views={"add": ApiTokenCreateView, "revoke": ApiTokenRevokeView},
        detail_template="core/apitoken_detail.html",
    )
)
pages.register(
    Pages(
        model=AuditEntry,
        section=ADMIN_SECTION,
        actions=READ_ONLY,
        filterset=AuditEntryFilterSet,
        list_columns=["timestamp", "actor_name", "token", "change", "content_type", "object_repr", "source"],
        extra_views={"detail": AuditEntryDetailView},
        select_related=["content_type"],
    )
)
pages.register(
    Pages(
        model=Disclosure,
        section=ADMIN_SECTION,
        actions=READ_ONLY,
        filterset=DisclosureFilterSet,
        list_columns=["timestamp", "actor_name", "channel", "what", "student_count", "recipient"],
    )
)
