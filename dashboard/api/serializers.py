from rest_framework import serializers

from district.models import District, SchoolYear

from ..models import KpiRefresh, KpiSnapshot, KpiTarget


class KpiDefinitionSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    department = serializers.CharField()
    priority = serializers.CharField()
    unit = serializers.CharField()
    direction = serializers.CharField()
    definition = serializers.CharField()
    formula = serializers.CharField()
    source = serializers.CharField()
    version = serializers.IntegerField()
    has_schools = serializers.BooleanField()
    has_groups = serializers.BooleanField()
    suppress = serializers.BooleanField(help_text="Whether small cells are withheld.")


class KpiSnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = KpiSnapshot
        fields = [
            "id",
            "kpi_key",
            "version",
            "district",
            "scope",
            "school",
            "dimension",
            "group",
            "value",
            "numerator",
            "denominator",
            "suppressed",
            "as_of",
            "computed_at",
            "note",
        ]
        read_only_fields = fields


class CurrentValueSerializer(KpiSnapshotSerializer):
    """A snapshot with its age and its status against the school year's target."""

    age_seconds = serializers.IntegerField(read_only=True)
    target = serializers.FloatField(read_only=True, allow_null=True)
    status = serializers.CharField(read_only=True)

    class Meta(KpiSnapshotSerializer.Meta):
        fields = [*KpiSnapshotSerializer.Meta.fields, "age_seconds", "target", "status"]
        read_only_fields = fields


class KpiTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = KpiTarget
        fields = [
            "id",
            "district",
            "kpi_key",
            "school_year",
            "target",
            "on_track_at",
            "watch_at",
            "direction",
            "reason",
            "version",
            "updated_at",
        ]
        read_only_fields = fields


class KpiTargetInputSerializer(serializers.Serializer):
    """What an integration or a page posts to set a target; the service checks the rest."""

    district = serializers.PrimaryKeyRelatedField(queryset=District.objects.none())
    kpi_key = serializers.CharField(max_length=60)
    school_year = serializers.PrimaryKeyRelatedField(queryset=SchoolYear.objects.none())
    target = serializers.DecimalField(max_digits=12, decimal_places=2)
    on_track_at = serializers.DecimalField(max_digits=12, decimal_places=2)
    watch_at = serializers.DecimalField(max_digits=12, decimal_places=2)
    reason = serializers.CharField(max_length=300)
    version = serializers.IntegerField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["district"].queryset = District.objects.restrict(request.user)
            self.fields["school_year"].queryset = SchoolYear.objects.restrict(request.user)


class KpiRefreshSerializer(serializers.ModelSerializer):
    class Meta:
        model = KpiRefresh
        fields = [
            "id",
            "district",
            "as_of",
            "status",
            "progress",
            "log",
            "snapshots",
            "created_at",
            "started_at",
            "finished_at",
            "error",
        ]
        read_only_fields = fields


class KpiRefreshInputSerializer(serializers.Serializer):
    district = serializers.PrimaryKeyRelatedField(queryset=District.objects.none())
    as_of = serializers.DateField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["district"].queryset = District.objects.restrict(request.user)
