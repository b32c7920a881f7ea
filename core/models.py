"""The chassis's models: the user, the base for every record, and the logs."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import context, policy
from .choices import Action, Kind, Source


class RestrictedQuerySet(models.QuerySet):
    """A queryset that knows the access policy."""

    def restrict(self, user, action: str = Action.VIEW) -> RestrictedQuerySet:
        """Only the rows ``user`` may ``action``: the one choke point for scope."""
        condition = policy.filter_for(user, self.model, action)
        return self if condition is None else self.filter(condition)


class UserQuerySet(RestrictedQuerySet):
    pass


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person who signs in, or an integration's service account."""

    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    is_integration = models.BooleanField(
        _("integration account"),
        default=False,
        help_text=_("Service account used only through API tokens; it cannot sign in to pages."),
    )

    objects = UserManager()
    audit_exclude = ("password", "last_login")
    # Users are reached through the districts of their role assignments; a user
    # not yet given any role is visible to every administrator so they can be
    # assigned one.
    access = policy.AccessRule(
        kind=Kind.ACCESS,
        district_path="role_assignments__district",
        multi_valued=True,
        unassigned_path="role_assignments",
    )

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username

    def clean(self):
        super().clean()
        if self.pk and not self.is_integration and self.api_tokens.usable().exists():
            raise ValidationError(
                {
                    "is_integration": _(
                        "This account has API tokens that still work; revoke them before it becomes a person's account."
                    )
                }
            )


class TrackedModel(models.Model):
    """Base for every record: timestamps, author, and a version for concurrency."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    objects = RestrictedQuerySet.as_manager()

    # Subclasses set: access (a policy.AccessRule), and optionally
    # sensitive_fields ({field name: DataClass}) and student_level (bool).
    sensitive_fields: dict[str, str] = {}
    student_level = False

    class Meta:
        abstract = True


class ImmutableQuerySet(RestrictedQuerySet):
    def update(self, **kwargs):
        raise PermissionDenied("Log rows are immutable.")

    def delete(self):
        raise PermissionDenied("Log rows are immutable.")


class LogJSONField(models.JSONField):
    """JSON kept as written: PostgreSQL's ``json`` (checked text) rather than ``jsonb``.

    Log rows are read whole and never searched inside, and the audit log
    takes one row per record a bulk import writes; ``json`` costs a fifth less
    to insert than ``jsonb`` and keeps the keys in the order written. Other
    databases store JSON as text either way.
    """

    def db_type(self, connection):
        return "json" if connection.vendor == "postgresql" else super().db_type(connection)

    def from_db_value(self, value, expression, connection):
        if isinstance(value, (dict, list)):  # drivers decode ``json`` columns themselves
            return value
        return super().from_db_value(value, expression, connection)


class ImmutableModel(models.Model):
    """A log row: written once, never edited, never deleted."""

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise PermissionDenied("Log rows are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Log rows are immutable.")


class AuditEntry(ImmutableModel):
    """One change to one record: who, when, what, before and after.

    The object is named by content type and id, not by a foreign key, so the
    entry outlives the record it describes.
    """

    class Change(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")

    timestamp = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # No database constraint and no cascade: the row outlives the account.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("who (as recorded)"), max_length=150, blank=True)
    change = models.CharField(_("change"), max_length=8, choices=Change.choices)
    # PROTECT is kept by Django; the database neither checks the key on every
    # insert (bulk imports write one entry per row) nor indexes it alone
    # (audit_object_idx starts with it).
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        on_delete=models.PROTECT,
        verbose_name=_("record type"),
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    changes = LogJSONField(_("values"), default=dict, help_text=_("{field: [before, after]}"))
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.WEB)
    # The API token the change was made with ("name (prefix…)"), read from the request's context.
    token = models.CharField(_("API token"), max_length=120, blank=True, default=context.current_token)
    district_key = models.BigIntegerField(_("district id"), null=True, blank=True, db_index=True)
    # The sensitive data class of the record (its access rule's row class), blank when none:
    # an entry about a record whose existence discloses a class is as hidden as the record.
    # Values touching several classes are joined with "+" and so hidden from every role.
    data_class = models.CharField(_("data class"), max_length=40, blank=True, default="", editable=False)

    access = policy.AccessRule(kind=Kind.AUDIT, district_path="district_key", row_class_field="data_class")

    class Meta:
        ordering = ["-timestamp", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["content_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.get_change_display()} {self.object_repr}"


class Disclosure(ImmutableModel):
    """One disclosure of student-level records: an export, a download or an API read."""

    class Channel(models.TextChoices):
        EXPORT = "export", _("Export from a page")
        DOWNLOAD = "download", _("File download")
        API = "api", _("API read")

    timestamp = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # No database constraint and no cascade: the row outlives the account.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("who (as recorded)"), max_length=150)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    what = models.CharField(_("what"), max_length=200)
    categories = models.JSONField(_("data categories"), default=list)
    student_count = models.PositiveIntegerField(_("students"))
    recipient = models.CharField(_("to whom"), max_length=200)
    basis = models.CharField(_("on what basis"), max_length=300)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    district_key = models.BigIntegerField(_("district id"), null=True, blank=True, db_index=True)

    access = policy.AccessRule(kind=Kind.AUDIT, district_path="district_key")

    class Meta:
        ordering = ["-timestamp", "-id"]
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")

    def __str__(self) -> str:
        return f"{self.actor_name}: {self.what} ({self.student_count})"


class ApiTokenQuerySet(RestrictedQuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(TrackedModel):
    """A key an integration presents as ``Authorization: Bearer <key>``.

    Only a SHA-256 hash of the key is stored; the key is shown once, when made.
    Scopes are ``<app>:read`` or ``<app>:write`` (write includes read).
    """

    PREFIX_LENGTH = 8

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("acts as"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the integration is, e.g. SIS nightly sync."))
    prefix = models.CharField(_("key prefix"), max_length=PREFIX_LENGTH, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()
    audit_exclude = ("key_hash", "last_used_at")
    access = policy.AccessRule(kind=Kind.ACCESS, district_path="user__role_assignments__district", multi_valued=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def clean(self):
        super().clean()
        if self.user_id is not None and not self.user.is_integration:
            raise ValidationError({"user": _("Tokens are for integration accounts only; this is a person's account.")})

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def set_new_key(self) -> str:
        """Give the token a fresh key and return it; only its hash is kept."""
        while True:
            prefix = secrets.token_hex(self.PREFIX_LENGTH // 2)
            if not ApiToken.objects.filter(prefix=prefix).exists():
                break
        key = f"{prefix}.{secrets.token_urlsafe(32)}"
        self.prefix = prefix
        self.key_hash = self.hash_key(key)
        return key

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    def allows(self, app_label: str, write: bool) -> bool:
        wanted = {f"{app_label}:write"} if write else {f"{app_label}:read", f"{app_label}:write"}
        return bool(wanted & set(self.scopes))


class ExternalIdentity(models.Model):
    """A person's account at the district's identity provider, linked to a user here.

    Linked once, on the first sign-in, by a verified email; from then on the
    provider's (issuer, subject) pair alone finds the user, whatever the email
    becomes. Roles still come from the user's assignments here.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="external_identities",
    )
    issuer = models.CharField(_("identity provider"), max_length=255)
    subject = models.CharField(_("subject at the provider"), max_length=255)
    email = models.CharField(_("email when linked"), max_length=254, blank=True)
    created_at = models.DateTimeField(_("linked"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last sign-in"), null=True, blank=True, editable=False)

    objects = RestrictedQuerySet.as_manager()
    audit_exclude = ("last_used_at",)
    access = policy.AccessRule(
        kind=Kind.ACCESS,
        district_path="user__role_assignments__district",
        multi_valued=True,
        unassigned_path="user__role_assignments",
    )

    class Meta:
        ordering = ["issuer", "subject"]
        verbose_name = _("external sign-in")
        verbose_name_plural = _("external sign-ins")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="external_identity_subject_unique"),
            models.UniqueConstraint(fields=["user", "issuer"], name="external_identity_one_per_issuer"),
        ]

    def __str__(self) -> str:
        return f"{self.email or self.subject} @ {self.issuer}"
