"""Bearer-token authentication for integrations."""

from __future__ import annotations

import datetime
import hmac

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from core import context
from core.models import ApiToken

from . import throttling


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <prefix>.<secret>``; the token acts as its (integration) account.

    An address that has sent too many bad tokens is refused (429) before the
    key is looked up; every bad token is counted and logged (``throttling``).
    """

    keyword = "Bearer"
    TOUCH_EVERY = datetime.timedelta(minutes=5)

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if not parts or parts[0] != self.keyword:
            return None
        throttling.token_failures_check(request)
        try:
            return self._authenticate_key(parts)
        except exceptions.AuthenticationFailed as exc:
            prefix = parts[1].split(".", 1)[0] if len(parts) > 1 else ""
            throttling.token_failure_record(request, prefix=prefix, reason=str(exc.detail))
            raise

    def _authenticate_key(self, parts: list[str]):
        if len(parts) != 2 or "." not in parts[1]:
            raise exceptions.AuthenticationFailed(_("Malformed bearer token."))
        key = parts[1]
        prefix = key.split(".", 1)[0]
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if token is None or not hmac.compare_digest(token.key_hash, ApiToken.hash_key(key)):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This token has been revoked."))
        if token.expires_at is not None and token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(_("This token has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The token's account is disabled."))
        if not token.user.is_integration:
            # Tokens act for integration accounts only, never as a person.
            raise exceptions.AuthenticationFailed(_("The token's account is not an integration account."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > self.TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        context.token_used(str(token))  # audit entries of this request name the token as well as its account
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
