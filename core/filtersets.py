"""The base FilterSet, shared by pages and the API.

It applies field protection: a filter on a sensitive field the user may not
see is removed, so filtering cannot reveal a hidden value; and the choices of
related-record filters are limited to what the user may view.

It also bounds every filter on an integer field or an id (a number, or a
related record named by id) to what the column can hold, and every
date-and-time filter to times within years 1 to 9999 in UTC, so a value such
as ``?school=99999999999999999999``, ``?student=1.5`` or
``?since=9999-12-31T23:59:59-12:00`` is an invalid filter (400 in the API, an
empty list on a page) rather than a database error.

Date and date-and-time filters use the browser's pickers (ISO values in every
language) and are read in the request's time zone, the district's: a date
filter on a date-and-time column (``queued_at__date``) takes the district's
calendar day, and a date-and-time bound is the district's wall-clock time.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import fields as filter_fields
from django_filters.utils import get_model_field

from . import policy
from .forms import DateInput, DateTimeInput, IdChoicesMixin, integer_range, representable_in_utc


class IdModelChoiceField(IdChoicesMixin, filter_fields.ModelChoiceField):
    pass


class IdModelMultipleChoiceField(IdChoicesMixin, filter_fields.ModelMultipleChoiceField):
    pass


def _bound_filter(model, flt) -> None:
    """Limit a filter on an integer column (or a relation by id) to the values that column can hold,
    and a date-and-time filter to the times the database can compare."""
    if isinstance(flt, django_filters.ModelMultipleChoiceFilter):
        flt.field_class = IdModelMultipleChoiceField
    elif isinstance(flt, django_filters.ModelChoiceFilter):
        flt.field_class = IdModelChoiceField
    elif isinstance(flt, django_filters.DateTimeFilter):
        flt.extra["validators"] = [*flt.extra.get("validators", ()), representable_in_utc]
        flt.extra.setdefault("widget", DateTimeInput)
    elif isinstance(flt, django_filters.DateFilter):
        flt.extra.setdefault("widget", DateInput)
    elif isinstance(flt, django_filters.NumberFilter) and not isinstance(flt, django_filters.filters.BaseCSVFilter):
        bounds = integer_range(get_model_field(model, flt.field_name))
        if bounds is not None:
            flt.extra.setdefault("min_value", bounds[0])
            flt.extra.setdefault("max_value", bounds[1])
            flt.extra.setdefault("decimal_places", 0)


class IdsFilter(django_filters.BaseInFilter, django_filters.NumberFilter):
    """Exactly the records named, by id, separated by commas (the links of report findings use it).

    Each id is bounded like any id filter, so a number beyond 64 bits is an invalid filter.
    """

    def __init__(self, *args, **kwargs):
        low, high = -(2**63), 2**63 - 1
        kwargs.setdefault("min_value", low)
        kwargs.setdefault("max_value", high)
        kwargs.setdefault("decimal_places", 0)
        super().__init__(*args, **kwargs)


class RestrictedFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    # Subclasses list the text fields searched by ``q``.
    search_fields: tuple[str, ...] = ()

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data=data, queryset=queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        hidden = policy.hidden_fields(user, self._meta.model)
        # A search never matches on a field the user may not see.
        self.searched = tuple(f for f in self.search_fields if f.split("__")[0] not in hidden)
        for name, flt in list(self.filters.items()):
            if flt.field_name.split("__")[0] in hidden:
                del self.filters[name]
                continue
            _bound_filter(self._meta.model, flt)
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
        for field_name in self.searched:
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
