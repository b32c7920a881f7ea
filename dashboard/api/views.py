"""The dashboard's API: KPI definitions, current values, snapshot history by scope, targets, refresh, packet."""

from __future__ import annotations

import datetime

from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.serializers import IdField
from core.api.viewsets import RestrictedModelViewSet
from core.choices import Action

from .. import packet, registry, selectors, services
from ..choices import Scope
from ..filtersets import KpiRefreshFilterSet, KpiSnapshotFilterSet, KpiTargetFilterSet
from ..forms import PACKET_FORMATS
from ..models import KpiRefresh, KpiSnapshot, KpiTarget
from .serializers import (
    CurrentValueSerializer,
    KpiDefinitionSerializer,
    KpiRefreshInputSerializer,
    KpiRefreshSerializer,
    KpiSnapshotSerializer,
    KpiTargetInputSerializer,
    KpiTargetSerializer,
)


def _definition(kpi: registry.Kpi) -> dict:
    return {
        "key": kpi.key,
        "name": str(kpi.name),
        "department": kpi.department,
        "priority": kpi.priority,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "definition": str(kpi.definition),
        "formula": str(kpi.formula),
        "source": str(kpi.source),
        "version": kpi.version,
        "has_schools": kpi.has_schools,
        "has_groups": kpi.has_groups,
        "suppress": kpi.suppress,
    }


class KpiDefinitionsView(APIView):
    """Every registered KPI: what it measures, its formula and source, unit, direction and version."""

    queryset = KpiSnapshot.objects.all()  # the permission check reads the model: readers of snapshots

    @extend_schema(responses=KpiDefinitionSerializer(many=True))
    def get(self, request):
        return Response([_definition(k) for k in registry.all_kpis()])


class KpiDefinitionView(APIView):
    """One registered KPI's definition."""

    queryset = KpiSnapshot.objects.all()

    @extend_schema(responses=KpiDefinitionSerializer)
    def get(self, request, key):
        kpi = registry.get(key)
        if kpi is None:
            raise Http404
        return Response(_definition(kpi))


class ValuesQuery(serializers.Serializer):
    district = IdField(required=False)
    scope = serializers.ChoiceField(choices=Scope.choices, required=False, default=Scope.DISTRICT)
    school = IdField(required=False)
    kpi = serializers.CharField(required=False)
    as_of = serializers.DateField(required=False)

    def validate_kpi(self, value):
        if registry.get(value) is None:
            raise serializers.ValidationError(_("No KPI %(key)s.") % {"key": value})
        return value

    def validate_as_of(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError(_("The date is in the future."))
        return value


def _district(request, wanted):
    districts = selectors.dashboard_districts(request.user)
    if wanted is not None:
        return get_object_or_404(districts, pk=wanted)
    district = districts.first()
    if district is None:
        raise Http404
    return district


class CurrentValuesView(APIView):
    """The latest snapshot on or before ``as_of`` (default today) for a scope, with its age and status."""

    queryset = KpiSnapshot.objects.all()

    @extend_schema(parameters=[ValuesQuery], responses=CurrentValueSerializer(many=True))
    def get(self, request):
        query = ValuesQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        user = request.user
        district = _district(request, params.get("district"))
        on = params.get("as_of") or timezone.localdate()
        key = ":".join(
            str(p)
            for p in (
                "dashboard:values", district.pk, on, params["scope"], params.get("school") or "",
                params.get("kpi") or "", selectors.generation(district.pk), selectors.scope_signature(user),
            )
        )  # fmt: skip
        rows = cache.get(key)
        if rows is None:
            rows = self._values(user, district, on, params)
            cache.set(key, rows, selectors.CACHE_SECONDS)
        now = timezone.now()
        for row in rows:  # the age is always today's, even for a reused answer
            row["age_seconds"] = int((now - datetime.datetime.fromisoformat(row["computed_at"])).total_seconds())
        return Response(rows)

    @staticmethod
    def _values(user, district, on, params) -> list[dict]:
        as_of = selectors.latest_date(user, district, on)
        if as_of is None:
            return []
        rows = selectors.snapshots(user).filter(district=district, as_of=as_of, scope=params["scope"])
        if params.get("school"):
            rows = rows.filter(school_id=params["school"])
        if params.get("kpi"):
            rows = rows.filter(kpi_key=params["kpi"])
        targets = selectors.targets_for(user, district, selectors.school_year_on(district, as_of))
        out = []
        for r in rows.order_by("kpi_key", "school_id", "dimension", "group"):
            kpi = registry.get(r.kpi_key)
            target = targets.get(r.kpi_key)
            r.age_seconds = 0
            r.target = float(target.target) if target else None
            r.status = selectors.status_of(r.value, target, kpi.direction if kpi else "context")
            out.append(r)
        return [dict(row) for row in CurrentValueSerializer(out, many=True).data]


class KpiSnapshotViewSet(RestrictedModelViewSet):
    """Snapshot history: filter by KPI, scope, school, student group and dates."""

    queryset = KpiSnapshot.objects.all()
    serializer_class = KpiSnapshotSerializer
    filterset_class = KpiSnapshotFilterSet
    http_method_names = ["get", "head", "options"]


class ServiceWriteMixin:
    """Writes here go through services that check who may manage the district themselves."""

    @property
    def policy_action(self):
        return Action.VIEW


class KpiTargetViewSet(ServiceWriteMixin, RestrictedModelViewSet):
    """Targets per KPI and school year; POST sets or changes one, with the reason kept in the audit log."""

    queryset = KpiTarget.objects.all()
    serializer_class = KpiTargetSerializer
    filterset_class = KpiTargetFilterSet
    http_method_names = ["get", "post", "head", "options"]
    select_related = ("school_year",)

    @extend_schema(request=KpiTargetInputSerializer, responses={200: KpiTargetSerializer})
    def create(self, request, *args, **kwargs):
        data = KpiTargetInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        target = services.kpi_target_save(
            actor=request.user,
            district=values["district"],
            kpi_key=values["kpi_key"],
            school_year=values["school_year"],
            target=values["target"],
            on_track_at=values["on_track_at"],
            watch_at=values["watch_at"],
            reason=values["reason"],
            expected_version=values.get("version"),
        )
        return Response(KpiTargetSerializer(target).data, status=status.HTTP_200_OK)


class KpiRefreshViewSet(ServiceWriteMixin, RestrictedModelViewSet):
    """ "Refresh now" jobs: POST queues one (202), GET follows its progress."""

    queryset = KpiRefresh.objects.all()
    serializer_class = KpiRefreshSerializer
    filterset_class = KpiRefreshFilterSet
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(request=KpiRefreshInputSerializer, responses={202: KpiRefreshSerializer, 200: KpiRefreshSerializer})
    def create(self, request, *args, **kwargs):
        data = KpiRefreshInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        job, reused = services.kpi_refresh_request(
            actor=request.user, district=data.validated_data["district"], as_of=data.validated_data.get("as_of")
        )
        job.refresh_from_db()
        return Response(
            KpiRefreshSerializer(job).data,
            status=status.HTTP_200_OK if reused else status.HTTP_202_ACCEPTED,
            headers={"Location": f"{request.path}{job.pk}/"},
        )


class PacketQuery(serializers.Serializer):
    district = IdField(required=False)
    as_of = serializers.DateField()
    fmt = serializers.ChoiceField(choices=PACKET_FORMATS, default="pdf")

    def validate_as_of(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError(_("The date is in the future."))
        return value


class BoardPacketView(APIView):
    """The board packet as of a date: ``fmt=pdf`` (with the charts) or ``fmt=xlsx``."""

    queryset = KpiSnapshot.objects.all()

    @extend_schema(parameters=[PacketQuery], responses={(200, "application/octet-stream"): bytes})
    def get(self, request):
        query = PacketQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        if not selectors.reads_district_scope(request.user):
            return Response({"detail": "The board packet holds district-wide figures."}, status=403)
        params = query.validated_data
        district = _district(request, params.get("district"))
        data = packet.packet_data(request.user, district, params["as_of"])
        if params["fmt"] == "xlsx":
            body, kind = packet.xlsx(data), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            body, kind = packet.pdf(data), "application/pdf"
        response = HttpResponse(body, content_type=kind)
        stamp = (data.overview.as_of or params["as_of"]).isoformat()
        response["Content-Disposition"] = (
            f'attachment; filename="board-packet-{district.state_lea_id}-{stamp}.{params["fmt"]}"'
        )
        return response
