from rest_framework import serializers

from core.models import ApiToken, AuditEntry, Disclosure, User

from .viewsets import MAX_ID, RestrictedModelSerializer


class IdField(serializers.IntegerField):
    """A record named by its id in a query or body that is not a related field: a whole number an id holds."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class UserSerializer(RestrictedModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "preferred_language",
            "is_active",
            "is_integration",
        ]


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "user", "scopes", "expires_at", "revoked_at", "last_used_at"]
        read_only_fields = fields


class AuditEntrySerializer(serializers.ModelSerializer):
    content_type = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "timestamp",
            "actor",
            "actor_name",
            "change",
            "content_type",
            "object_id",
            "object_repr",
            "changes",
            "request_id",
            "source",
            "token",
        ]
        read_only_fields = fields

    def get_content_type(self, obj) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}"

    def get_changes(self, obj) -> dict:
        from core.audit import visible_changes

        return visible_changes(self.context["request"].user, obj)


class DisclosureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Disclosure
        fields = [
            "id",
            "timestamp",
            "actor",
            "actor_name",
            "channel",
            "what",
            "categories",
            "student_count",
            "recipient",
            "basis",
            "request_id",
        ]
        read_only_fields = fields
