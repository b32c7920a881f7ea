from rest_framework import mixins, viewsets

from core import services
from core.filtersets import ApiTokenFilterSet, AuditEntryFilterSet, DisclosureFilterSet, UserFilterSet
from core.models import ApiToken, AuditEntry, Disclosure, User

from . import serializers as s
from .viewsets import IdLookupMixin, RestrictedModelViewSet


class UserViewSet(RestrictedModelViewSet):
    queryset = User.objects.all()
    serializer_class = s.UserSerializer
    filterset_class = UserFilterSet
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def perform_create(self, serializer):
        data, _m2m = self._split(serializer)
        user = User(**data)
        user.set_unusable_password()  # people set their own through a reset; integrations use tokens
        serializer.instance = services.record_save(actor=self.request.user, instance=user)


class ReadOnlyRestrictedViewSet(
    IdLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Read-only lists (logs and tokens); the policy still applies through restrict()."""

    select_related: tuple[str, ...] = ()

    def get_queryset(self):
        return self.queryset.model.objects.restrict(self.request.user).select_related(*self.select_related)


class ApiTokenViewSet(ReadOnlyRestrictedViewSet):
    queryset = ApiToken.objects.all()
    serializer_class = s.ApiTokenSerializer
    filterset_class = ApiTokenFilterSet


class AuditEntryViewSet(ReadOnlyRestrictedViewSet):
    queryset = AuditEntry.objects.all()
    serializer_class = s.AuditEntrySerializer
    filterset_class = AuditEntryFilterSet
    select_related = ("content_type",)


class DisclosureViewSet(ReadOnlyRestrictedViewSet):
    queryset = Disclosure.objects.all()
    serializer_class = s.DisclosureSerializer
    filterset_class = DisclosureFilterSet
