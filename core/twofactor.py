"""A second factor for district-wide roles: a time-based one-time code (django-otp's TOTP).

With ``OPS_REQUIRE_TOTP`` on, a signed-in district administrator, executive,
state analyst or superuser (however they signed in: password or the district's
identity provider) reaches no page until a code from their authenticator app
has been checked in this session. Someone without an app yet enrols first: the
page shows the secret, its ``otpauth://`` address and a QR code of it, and the
first right code confirms the app. API calls with a bearer token are not
affected; session calls to the API are refused until the code is checked.
"""

from __future__ import annotations

import base64

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit, policy
from .choices import Role
from .models import AuditEntry

# Roles whose reach spans a district (or several): these need the second factor.
DISTRICT_WIDE_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.EXECUTIVE, Role.STATE})
# Pages reachable before the code is checked.
EXEMPT_URL_NAMES = frozenset({"two_factor_verify", "two_factor_enrol", "logout", "set_language", "health"})


def required_for(user) -> bool:
    """Whether ``user`` must give a one-time code before using the portal."""
    if not settings.OPS_REQUIRE_TOTP or not user.is_authenticated or getattr(user, "is_integration", False):
        return False
    scope = policy.scope_for(user)
    return scope.is_superuser or bool(scope.roles & DISTRICT_WIDE_ROLES)


def _is_verified(user) -> bool:
    return bool(getattr(user, "is_verified", None) and user.is_verified())


class TwoFactorMiddleware:
    """Sends a user who needs a second factor, and has not given it this session, to give it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.OPS_REQUIRE_TOTP:
            return None
        match = request.resolver_match
        if match is not None and match.url_name in EXEMPT_URL_NAMES:
            return None
        user = request.user
        if not user.is_authenticated or _is_verified(user) or not required_for(user):
            return None
        if request.path.startswith("/api/"):
            if request.headers.get("Authorization", "").startswith("Bearer "):
                return None  # a token call: the token, not this session, speaks
            return JsonResponse({"detail": _("Give the one-time code from your authenticator app first.")}, status=403)
        return HttpResponseRedirect(f"{reverse('two_factor_verify')}?{urlencode({'next': request.get_full_path()})}")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Six-digit code from your authenticator app"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def __init__(self, *args, device: TOTPDevice, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == self.device.digits):
            raise forms.ValidationError(
                _("Enter the %(digits)s digits the app shows.") % {"digits": self.device.digits}
            )
        allowed, _details = self.device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError(_("Too many wrong codes. Wait a little, then try the newest code."))
        if not self.device.verify_token(code):
            raise forms.ValidationError(
                _("That code is not right, or it was used already. Try the newest code the app shows.")
            )
        return code


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if safe:
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def _verified(request, device: TOTPDevice, next_url: str):
    request.session.cycle_key()  # a session that gained a factor gets a new key
    otp_login(request, device)
    return HttpResponseRedirect(next_url)


def qr_svg(uri: str) -> str:
    """The ``otpauth://`` address as an inline SVG QR code (no script, no image request)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@login_required
def enrol(request):
    """Shows a new authenticator secret; the first right code confirms it."""
    user = request.user
    next_url = _next_url(request)
    if not required_for(user):
        return HttpResponseRedirect(next_url)
    if _confirmed_device(user) is not None:
        return HttpResponseRedirect(_with_next("two_factor_verify", next_url))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    form = CodeForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit.log_change(
            actor=user,
            change=AuditEntry.Change.CREATE,
            instance=device,
            before=None,
            after={"user": user.pk, "name": device.name, "confirmed": True},
        )
        messages.success(request, _("Your authenticator app is set up. It will ask for a code at each sign-in."))
        return _verified(request, device, next_url)
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": next_url,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "otpauth_uri": device.config_url,
        # Markup that qrcode generated from our own address: no user input reaches it.
        "qr": mark_safe(qr_svg(device.config_url)),
    }
    return render(request, "core/two_factor_enrol.html", context, status=400 if form.errors else 200)


@login_required
def verify(request):
    """Asks for the current code from the user's authenticator app."""
    user = request.user
    next_url = _next_url(request)
    if not required_for(user) or _is_verified(user):
        return HttpResponseRedirect(next_url)
    device = _confirmed_device(user)
    if device is None:
        return HttpResponseRedirect(_with_next("two_factor_enrol", next_url))
    form = CodeForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        return _verified(request, device, next_url)
    return render(
        request, "core/two_factor_verify.html", {"form": form, "next": next_url}, status=400 if form.errors else 200
    )
