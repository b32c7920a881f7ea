from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from core import oidc, twofactor
from core import views as core_views
from core.api import docs as api_docs
from core.auth import LoginView

urlpatterns = [
    path("", core_views.home, name="home"),
    path("workspace/<slug:department>/", core_views.department_workspace, name="workspace"),
    path("health/", core_views.health, name="health"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("oidc/authenticate/", oidc.AuthenticateView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.CallbackView.as_view(), name="oidc_authentication_callback"),
    path("account/two-factor/", twofactor.verify, name="two_factor_verify"),
    path("account/two-factor/enrol/", twofactor.enrol, name="two_factor_enrol"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("core/", include("core.urls")),
    path("district/", include("district.urls")),
    path("enrollment/", include("enrollment.urls")),
    path("reporting/", include("reporting.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("api/core/", include("core.api.urls")),
    path("api/district/", include("district.api.urls")),
    path("api/enrollment/", include("enrollment.api.urls")),
    path("api/reporting/", include("reporting.api.urls")),
    path("api/dashboard/", include("dashboard.api.urls")),
    path("api/schema/", api_docs.schema_view, name="api-schema"),
    path("api/docs/", api_docs.swagger_view, name="api-docs"),
    path("api/redoc/", api_docs.redoc_view, name="api-redoc"),
]
