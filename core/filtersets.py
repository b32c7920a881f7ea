"""The base FilterSet, shared by pages and the API.

It applies field protection: a filter on a sensitive field the user may not
see is removed, so filtering cannot reveal a hidden value; and the choices of
related-record filters are limited to what the user may view.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import policy


class RestrictedFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    # Subclasses list the text fields searched by ``q``.
    search_fields: tuple[str, ...] = ()

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data=data, queryset=queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        hidden = policy.hidden_fields(user, self._meta.model)
        for name, flt in list(self.filters.items()):
            if flt.field_name.split("__")[0] in hidden:
                del self.filters[name]
                continue
            queryset = getattr(flt, "queryset", None)
            if queryset is not None and not callable(queryset) and hasattr(queryset, "restrict"):
                flt.queryset = queryset.restrict(user)
        if not self.search_fields:
            self.filters.pop("q", None)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field_name in self.search_fields:
            condition |= Q(**{f"{field_name}__icontains": value})
        return queryset.filter(condition)


class UserFilterSet(RestrictedFilterSet):
    search_fields = ("username", "first_name", "last_name", "email")

    class Meta:
        from .models import User

        model = User
        fields = ["is_active", "is_integration"]


class AuditEntryFilterSet(RestrictedFilterSet):
    search_fields = ("object_repr", "actor_name", "request_id")
    since = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte", label=_("Since"))

    class Meta:
        from .models import AuditEntry

        model = AuditEntry
        fields = ["change", "source", "content_type"]


class DisclosureFilterSet(RestrictedFilterSet):
    search_fields = ("what", "actor_name", "recipient")

    class Meta:
        from .models import Disclosure

        model = Disclosure
        fields = ["channel"]


class ApiTokenFilterSet(RestrictedFilterSet):
    search_fields = ("name", "prefix")
    revoked = django_filters.BooleanFilter(
        field_name="revoked_at", lookup_expr="isnull", exclude=True, label=_("Revoked")
    )

    class Meta:
        from .models import ApiToken

        model = ApiToken
        fields = ["user"]
