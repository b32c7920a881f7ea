from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from . import oidc


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
