"""Sign-in: the form, the page, and the answer to a locked-out account.

django-axes counts failed sign-ins per account and client address in the
database (``AXES_FAILURE_LIMIT``, ``AXES_COOLOFF_TIME``); once an account has
failed that many times from one address, every attempt from there, the right
password included, gets the sign-in page with a lockout message and 429 until
the cool-off has passed. Administrators see the attempts in the admin site
(Axes → Access attempts) and can lift a lockout by deleting the row.
"""

import logging
import math

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import oidc

log = logging.getLogger("core.security")


class LoginForm(AuthenticationForm):
    """Sign-in form; integration accounts cannot sign in to pages."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_integration:
            raise forms.ValidationError(
                _("This is an integration account; it works only through API tokens."), code="integration"
            )


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "show_demo": settings.OPS_SHOW_DEMO_LOGINS,
            "oidc_label": oidc.button_label() if oidc.enabled() else None,
        }


def lockout_message(cool_off) -> str:
    if not cool_off:
        return str(_("Too many failed sign-in attempts. Ask an administrator to unlock this account."))
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60))
    return ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def attempt_str(username, ip_address, user_agent, path_info, request) -> str:
    """How django-axes's log lines name a sign-in attempt (``AXES_CLIENT_STR_CALLABLE``).

    The account and address are quoted, so a typed username cannot forge a log line.
    """
    return f"{{username: {username!r}, ip_address: {ip_address!r}, path: {path_info!r}}}"


def lockout_response(request, original_response=None, credentials=None):
    """The sign-in page with the lockout message, 429 (``AXES_LOCKOUT_CALLABLE``)."""
    from axes.helpers import get_client_username, get_cool_off

    username = get_client_username(request, credentials) or ""
    log.warning(
        "Sign-in locked out for %r from %s after %s failures",
        username,
        getattr(request, "axes_ip_address", None),
        getattr(request, "axes_failures_since_start", None),
    )
    form = LoginForm(request, initial={"username": username})
    form.cleaned_data = {}  # an unbound form carrying one message; its fields are not checked again
    form.add_error(None, lockout_message(get_cool_off(request)))
    context = {
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "show_demo": settings.OPS_SHOW_DEMO_LOGINS,
        "oidc_label": oidc.button_label() if oidc.enabled() else None,
    }
    return render(request, "registration/login.html", context, status=429)
