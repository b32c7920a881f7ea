"""The admin site writes through the same services, so its changes are audited too."""

import contextlib

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services
from .models import ApiToken, AuditEntry, Disclosure, User


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        services.record_save(actor=request.user, instance=obj)

    def delete_model(self, request, obj):
        services.record_delete(actor=request.user, instance=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.record_delete(actor=request.user, instance=obj)

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user)


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class AuditedUserAdmin(UserAdmin):
    def save_model(self, request, obj, form, change):
        services.record_save(actor=request.user, instance=obj)


# The values are left out: the audit pages show them with the fields the reader may not see masked.
admin.site.register(
    AuditEntry,
    ReadOnlyAdmin,
    list_display=["timestamp", "actor_name", "token", "change", "object_repr", "source"],
    exclude=["changes"],
)
admin.site.register(
    Disclosure, ReadOnlyAdmin, list_display=["timestamp", "actor_name", "channel", "what", "student_count"]
)
admin.site.register(ApiToken, ReadOnlyAdmin, list_display=["name", "prefix", "user", "expires_at", "revoked_at"])

# Authenticator secrets stay out of the admin site: a user's app is reset,
# audited, from their page in the portal.
with contextlib.suppress(admin.sites.NotRegistered):
    admin.site.unregister(TOTPDevice)
