"""The API base: one viewset class that applies ``restrict()`` and the services."""

from __future__ import annotations

import copy

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound

from core import audit, policy, services
from core.choices import Action
from core.models import Disclosure

from .exceptions import StaleVersionIfMatch

VIEW_ACTIONS = {
    "list": Action.VIEW,
    "retrieve": Action.VIEW,
    "create": Action.ADD,
    "update": Action.CHANGE,
    "partial_update": Action.CHANGE,
    "destroy": Action.DELETE,
}


MAX_ID = 2**63 - 1  # ids are 64-bit integers on every database


def lookup_id(value) -> int:
    """A record id from an API path; anything but a whole number in range is a 404 that says so."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        raise NotFound(_("No such record: record ids are whole numbers."))
    return int(text)


class IdLookupMixin:
    """Fetches the record an API path names by id, through the view's (restricted) queryset."""

    def get_object(self):
        obj = get_object_or_404(self.filter_queryset(self.get_queryset()), pk=lookup_id(self.kwargs["pk"]))
        self.check_object_permissions(self.request, obj)
        return obj


class RestrictedModelSerializer(serializers.ModelSerializer):
    """Drops the sensitive fields the requesting user may not see; exposes the version."""

    version = serializers.IntegerField(
        required=False, help_text="The version you read; a stale one is refused with 409."
    )

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for name in policy.hidden_fields(user, self.Meta.model):
            fields.pop(name, None)
        for f in fields.values():
            queryset = getattr(f, "queryset", None)
            if queryset is not None and hasattr(queryset, "restrict") and user is not None:
                f.queryset = queryset.restrict(user)
            child = getattr(f, "child_relation", None)
            if child is not None and hasattr(child.queryset, "restrict") and user is not None:
                child.queryset = child.queryset.restrict(user)
        return fields

    def to_internal_value(self, data):
        """The fields' values; a record of a sensitive class the user may not hold is refused here.

        Before the validators and the model's checks read other rows, so the
        answer is the same whether or not hidden rows exist (403, as
        ``record_save`` refuses any record out of reach).
        """
        values = super().to_internal_value(data)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        model = self.Meta.model
        if user is not None and policy.rule_for(model).row_class_field:
            plain = {k: v for k, v in values.items() if k not in {f.name for f in model._meta.many_to_many}}
            plain.pop("version", None)
            if self.instance is not None:
                probe = copy.copy(self.instance)
                for name, value in plain.items():
                    setattr(probe, name, value)
            else:
                probe = model(**plain)
            if not policy.may_hold(user, probe):
                raise services.out_of_reach(Action.CHANGE if self.instance is not None else Action.ADD)
        return values


class RestrictedModelViewSet(viewsets.ModelViewSet):
    """List, read, create, update and delete through the policy and the services.

    Subclasses name ``queryset``, ``serializer_class`` and ``filterset_class``.
    """

    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    # The service that saves a record (same keyword arguments as record_save).
    save_service = staticmethod(services.record_save)

    @property
    def policy_action(self):
        return VIEW_ACTIONS.get(getattr(self, "action", None) or "list", Action.VIEW)

    def get_queryset(self):
        model = self.queryset.model
        qs = model.objects.restrict(self.request.user, Action.VIEW)
        return qs.select_related(*self.select_related).prefetch_related(*self.prefetch_related)

    def get_object(self):
        queryset = self.filter_queryset(self.get_queryset()) if self.action == "retrieve" else self.get_queryset()
        obj = get_object_or_404(queryset, pk=lookup_id(self.kwargs["pk"]))
        action = self.policy_action
        if (
            action != Action.VIEW
            and not type(obj).objects.restrict(self.request.user, action).filter(pk=obj.pk).exists()
        ):
            raise PermissionDenied(
                _("You may view this record but not %(action)s it.") % {"action": Action(action).label}
            )
        return obj

    def _expected_version(self, serializer):
        header = self.request.headers.get("If-Match", "").strip().strip('"').removeprefix("W/").strip('"')
        if header:
            if not header.isdigit():
                raise serializers.ValidationError({"If-Match": "Give the record's version, as in its ETag."})
            return int(header), True
        body = serializer.validated_data.get("version")
        return body, False

    def _split(self, serializer):
        model = serializer.Meta.model
        m2m_names = {f.name for f in model._meta.many_to_many}
        data = dict(serializer.validated_data)
        data.pop("version", None)
        m2m = {k: data.pop(k) for k in list(data) if k in m2m_names}
        return data, m2m

    def perform_create(self, serializer):
        data, m2m = self._split(serializer)
        instance = serializer.Meta.model(**data)
        serializer.instance = self.save_service(actor=self.request.user, instance=instance, m2m=m2m)

    def perform_update(self, serializer):
        expected, from_header = self._expected_version(serializer)
        data, m2m = self._split(serializer)
        instance = serializer.instance
        for name, value in data.items():
            setattr(instance, name, value)
        try:
            serializer.instance = self.save_service(
                actor=self.request.user, instance=instance, expected_version=expected, m2m=m2m
            )
        except services.StaleVersion as exc:
            if from_header:
                raise StaleVersionIfMatch(exc.current) from exc
            raise

    def perform_destroy(self, instance):
        services.record_delete(actor=self.request.user, instance=instance)

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        version = response.data.get("version") if hasattr(response, "data") else None
        if version is not None:
            response["ETag"] = f'"{version}"'
        self._disclose([self.kwargs["pk"]])
        return response

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._listed = queryset if page is None else [obj.pk for obj in page]
        return page

    def list(self, request, *args, **kwargs):
        self._listed = None
        response = super().list(request, *args, **kwargs)
        if self._listed is not None:
            self._disclose(self._listed)
        return response

    def _disclose(self, records) -> None:
        """Log the read of ``records`` (ids, or a queryset) as disclosures, one per district."""
        model = self.queryset.model
        if not getattr(model, "student_level", False):
            return
        rows = records if hasattr(records, "model") else model._base_manager.filter(pk__in=records)
        hidden = policy.hidden_fields(self.request.user, model)
        audit.log_disclosures(
            actor=self.request.user,
            channel=Disclosure.Channel.API,
            what=f"{model._meta.verbose_name_plural} via {self.request.path}"[:200],
            categories=[f.name for f in model._meta.concrete_fields if f.name not in hidden],
            counts=audit.district_counts(rows),
        )


def viewset_for(model, serializer, filterset, base=RestrictedModelViewSet, **attrs):
    """A plain record's viewset: the model, its serializer and its FilterSet (plus any attributes)."""
    return type(
        f"{model.__name__}ViewSet",
        (base,),
        {"queryset": model.objects.all(), "serializer_class": serializer, "filterset_class": filterset, **attrs},
    )
