"""The OpenAPI schema and its two documentation pages (Swagger UI, Redoc), served offline.

They need a signed-in user (a session or a token) unless
``settings.OPS_API_DOCS_PUBLIC`` is on; a browser that is not signed in is
sent to the sign-in page. Swagger UI loads its start-up script from a URL of
its own, so the project's Content-Security-Policy holds on its page; Redoc
injects its styles and runs its search in a worker, which its page allows.
"""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import exceptions, permissions


class DocsPermission(permissions.BasePermission):
    def has_permission(self, request, view):
        return settings.OPS_API_DOCS_PUBLIC or bool(request.user and request.user.is_authenticated)


class SchemaView(SpectacularAPIView):
    permission_classes = [DocsPermission]


class _DocsPage:
    permission_classes = [DocsPermission]

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


class SwaggerView(_DocsPage, SpectacularSwaggerSplitView):
    pass


class RedocView(_DocsPage, SpectacularRedocView):
    pass


REDOC_POLICY = {"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]}

schema_view = SchemaView.as_view()
swagger_view = SwaggerView.as_view(url_name="api-schema")
redoc_view = csp_update(REDOC_POLICY)(RedocView.as_view(url_name="api-schema"))
