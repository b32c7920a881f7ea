"""Staff sign-in through the district's OpenID Connect provider (Google Workspace, Microsoft Entra ID).

mozilla-django-oidc runs the authorization-code flow (state, nonce, PKCE, the
code exchange); this module adds what a district needs around it:

- The provider is named by its issuer (``OPS_OIDC_ISSUER``); its discovery
  document (``/.well-known/openid-configuration``) names the endpoints and
  the key set, both fetched and cached.
- ID tokens are verified here: RS256 against the key set, then issuer,
  audience, expiry and nonce. Only the signed ID token's claims are used.
- Who the person is: an (issuer, subject) pair already linked to a user
  (``ExternalIdentity``) signs that user in. Otherwise the token must carry a
  verified email (Google's ``email_verified``; for Entra ID, a tenant id listed
  in ``OPS_OIDC_TENANTS``) that belongs to exactly one active staff account,
  which is then linked and audited. Nobody is created; integration accounts
  never sign in this way; roles come from the assignments here, as always.

Each refusal carries a message for the person and is logged.
"""

from __future__ import annotations

import logging

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from . import audit
from .models import AuditEntry, ExternalIdentity

log = logging.getLogger(__name__)

ALGORITHM = "RS256"
CACHE_SECONDS = 3600
# A token naming a key the cached set lacks refetches the set, at most this often.
JWKS_REFRESH_SECONDS = 300
LEEWAY_SECONDS = 60
TENANT_PLACEHOLDER = "{tenantid}"


class SignInRefused(Exception):
    """The provider's answer does not sign anyone in; ``message`` is for the person."""

    def __init__(self, message: str, reason: str):
        super().__init__(reason)
        self.message = message
        self.reason = reason


def enabled() -> bool:
    return bool(settings.OPS_OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


def button_label() -> str:
    if settings.OPS_OIDC_BUTTON_LABEL:
        return settings.OPS_OIDC_BUTTON_LABEL
    return {
        "google": _("Sign in with Google"),
        "entra": _("Sign in with Microsoft"),
    }.get(settings.OPS_OIDC_PROVIDER, _("Sign in with your district account"))


def _unreachable(reason: str) -> SignInRefused:
    return SignInRefused(_("The district's sign-in service cannot be reached just now. Please try again."), reason)


def _invalid_token(reason: str) -> SignInRefused:
    return SignInRefused(_("The answer from the district's sign-in service could not be trusted."), reason)


def _fetch_json(url: str) -> dict:
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise _unreachable(f"fetching {url}: {exc}") from exc
    if not isinstance(data, dict):
        raise _unreachable(f"{url} did not answer a JSON object")
    return data


def _issuer_matches(configured: str, published: str) -> bool:
    if configured.rstrip("/") == published.rstrip("/"):
        return True
    # Entra ID's multi-tenant endpoints (organizations, common) publish a
    # template; each token's issuer is then checked against its own tenant.
    return settings.OPS_OIDC_PROVIDER == "entra" and TENANT_PLACEHOLDER in published


def discovery() -> dict:
    """The provider's discovery document, checked and cached."""
    issuer = settings.OPS_OIDC_ISSUER
    key = f"oidc:discovery:{issuer}"
    doc = cache.get(key)
    if doc is not None:
        return doc
    doc = _fetch_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    published = doc.get("issuer")
    if not isinstance(published, str) or not _issuer_matches(issuer, published):
        raise _unreachable(f"discovery names issuer {published!r}, not {issuer!r}")
    secure = issuer.startswith("https://")
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        url = doc.get(name)
        if not isinstance(url, str) or not url.startswith("https://" if secure else ("https://", "http://")):
            raise _unreachable(f"discovery lacks a usable {name}: {url!r}")
    cache.set(key, doc, CACHE_SECONDS)
    return doc


def _key_set(jwks_uri: str, *, refresh: bool = False) -> list[dict]:
    key = f"oidc:jwks:{jwks_uri}"
    keys = None if refresh else cache.get(key)
    if keys is None:
        keys = _fetch_json(jwks_uri).get("keys")
        if not isinstance(keys, list):
            raise _unreachable(f"{jwks_uri} holds no key list")
        cache.set(key, keys, CACHE_SECONDS)
    return keys


def _pick_key(keys: list[dict], kid: str | None) -> dict | None:
    usable = [
        k
        for k in keys
        if isinstance(k, dict)
        and k.get("kty") == "RSA"
        and k.get("use", "sig") == "sig"
        and k.get("alg", ALGORITHM) == ALGORITHM
    ]
    if kid is None:
        return usable[0] if len(usable) == 1 else None
    return next((k for k in usable if k.get("kid") == kid), None)


def signing_key(jwks_uri: str, kid: str | None):
    """The public key the token names, from the provider's key set (refetched once if the key is new)."""
    jwk = _pick_key(_key_set(jwks_uri), kid)
    if jwk is None and cache.add(f"oidc:jwks-refreshed:{jwks_uri}", True, JWKS_REFRESH_SECONDS):
        jwk = _pick_key(_key_set(jwks_uri, refresh=True), kid)
    if jwk is None:
        raise _invalid_token(f"no signing key {kid!r} in the provider's key set")
    try:
        return jwt.PyJWK(jwk, algorithm=ALGORITHM).key
    except jwt.PyJWTError as exc:
        raise _invalid_token(f"unusable key {kid!r}: {exc}") from exc


def expected_issuer(published: str, claims: dict) -> str:
    """The issuer a token must name: the published one, or Entra's template filled with the token's tenant."""
    if TENANT_PLACEHOLDER in published:
        tenant = claims.get("tid")
        if not isinstance(tenant, str) or not tenant:
            raise _invalid_token("token from a multi-tenant issuer names no tenant")
        return published.replace(TENANT_PLACEHOLDER, tenant)
    return published


def verify_id_token(token: str, *, nonce: str | None) -> dict:
    """The ID token's claims once its signature, issuer, audience, expiry and nonce hold."""
    doc = discovery()
    client_id = settings.OIDC_RP_CLIENT_ID
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, TypeError) as exc:
        raise _invalid_token(f"unreadable ID token: {exc}") from exc
    if header.get("alg") != ALGORITHM:
        raise _invalid_token(f"ID token signed with {header.get('alg')!r}, not {ALGORITHM}")
    key = signing_key(doc["jwks_uri"], header.get("kid"))
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[ALGORITHM],
            audience=client_id,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "sub", "aud", "exp", "iat"], "verify_iss": False},
        )
    except jwt.PyJWTError as exc:
        raise _invalid_token(f"ID token refused: {exc}") from exc
    if claims["iss"] != expected_issuer(doc["issuer"], claims):
        raise _invalid_token(f"ID token from issuer {claims['iss']!r}")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if ("azp" in claims or len(audiences) > 1) and claims.get("azp") != client_id:
        raise _invalid_token(f"ID token authorised for {claims.get('azp')!r}")
    if not nonce or claims.get("nonce") != nonce:
        raise _invalid_token("ID token nonce does not match the sign-in request")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise _invalid_token("ID token names no subject")
    return claims


def _check_tenant(claims: dict) -> None:
    if settings.OPS_OIDC_PROVIDER != "entra":
        return
    if claims.get("tid") not in settings.OPS_OIDC_TENANTS:
        raise SignInRefused(
            _("Your organisation's directory is not one this portal accepts."),
            f"tenant {claims.get('tid')!r} is not allowed",
        )


def _claimed_email(claims: dict) -> str:
    email = claims.get("email")
    if not email and settings.OPS_OIDC_PROVIDER == "entra":
        email = claims.get("preferred_username")
    return email.strip() if isinstance(email, str) and "@" in email else ""


def _email_verified(claims: dict) -> bool:
    if settings.OPS_OIDC_PROVIDER == "entra":
        return True  # vouched for by the tenant check
    return claims.get("email_verified") in (True, "true")


def _check_may_sign_in(user) -> None:
    if user.is_integration:
        raise SignInRefused(
            _("Integration accounts work only through API tokens; they cannot sign in."),
            f"{user.username} is an integration account",
        )
    if not user.is_active:
        raise SignInRefused(
            _("This account is not active. Ask your district administrator."), f"{user.username} is inactive"
        )


def _link(user, claims: dict, email: str) -> ExternalIdentity:
    with transaction.atomic():
        identity = ExternalIdentity.objects.create(
            user=user, issuer=claims["iss"], subject=claims["sub"], email=email, last_used_at=timezone.now()
        )
        audit.log_change(
            actor=user,
            change=AuditEntry.Change.CREATE,
            instance=identity,
            before=None,
            after=audit.snapshot(identity),
        )
    log.info("linked %s to subject %s at %s", user.username, claims["sub"], claims["iss"])
    return identity


def user_for_claims(claims: dict):
    """The user these verified claims sign in, linking the account on a first sign-in."""
    _check_tenant(claims)
    identity = (
        ExternalIdentity.objects.select_related("user").filter(issuer=claims["iss"], subject=claims["sub"]).first()
    )
    if identity is not None:
        _check_may_sign_in(identity.user)
        ExternalIdentity.objects.filter(pk=identity.pk).update(last_used_at=timezone.now())
        return identity.user

    email = _claimed_email(claims)
    if not email:
        raise SignInRefused(
            _("Your district account shares no email address, so it cannot be matched to an account here."),
            "no email claim",
        )
    if not _email_verified(claims):
        raise SignInRefused(
            _("Your identity provider has not verified the email address %(email)s, so it cannot be used.")
            % {"email": email},
            f"email {email} is not verified",
        )
    matches = list(get_user_model().objects.filter(email__iexact=email))
    staff = [u for u in matches if u.is_active and not u.is_integration]
    if not staff:
        if any(u.is_integration for u in matches):
            _check_may_sign_in(next(u for u in matches if u.is_integration))
        raise SignInRefused(
            _(
                "No staff account here uses %(email)s. Ask your district administrator to add you; "
                "accounts are not created at sign-in."
            )
            % {"email": email},
            f"no active staff account with email {email}",
        )
    if len(staff) > 1:
        raise SignInRefused(
            _("More than one account here uses %(email)s. Ask your district administrator to correct it.")
            % {"email": email},
            f"{len(staff)} accounts share email {email}",
        )
    user = staff[0]
    if ExternalIdentity.objects.filter(user=user, issuer=claims["iss"]).exists():
        raise SignInRefused(
            _(
                "Your account here is already linked to another sign-in at this provider. "
                "Ask your district administrator to unlink it."
            ),
            f"{user.username} is already linked at {claims['iss']}",
        )
    try:
        _link(user, claims, email)
    except IntegrityError:  # the same person's sign-in in another tab linked first
        if not ExternalIdentity.objects.filter(user=user, issuer=claims["iss"], subject=claims["sub"]).exists():
            raise
    return user


class OidcBackend(OIDCAuthenticationBackend):
    """The library's code-flow backend, with discovery, our token checks and linking rules."""

    def __init__(self, *args, **kwargs):
        # The endpoints come from discovery when a sign-in starts, not from settings.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        # Only the callback view passes a nonce: password sign-ins never reach the provider.
        if request is None or "nonce" not in kwargs or not enabled():
            return None
        try:
            self.OIDC_OP_TOKEN_ENDPOINT = discovery()["token_endpoint"]
            self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
            self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
            return super().authenticate(request, **kwargs)
        except SignInRefused as exc:
            refusal = exc
        except (requests.RequestException, ValueError, KeyError) as exc:
            refusal = _unreachable(f"code exchange failed: {exc}")
        log.warning("OpenID Connect sign-in refused: %s", refusal.reason)
        request.oidc_refusal = refusal.message
        return None

    def verify_token(self, token, **kwargs):
        return verify_id_token(token, nonce=kwargs.get("nonce"))

    def get_or_create_user(self, access_token, id_token, payload):
        return user_for_claims(payload)


class AuthenticateView(OIDCAuthenticationRequestView):
    """Starts a sign-in: redirects to the provider's authorization endpoint from discovery."""

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)  # the library's reads endpoint settings we do not keep

    def get(self, request):
        if not enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = discovery()["authorization_endpoint"]
        except SignInRefused as exc:
            log.warning("OpenID Connect sign-in not started: %s", exc.reason)
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("login"))
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """Ends a sign-in; a refusal goes back to the sign-in page with its reason."""

    def get(self, request):
        if not enabled():
            raise Http404
        try:
            return super().get(request)
        except SuspiciousOperation as exc:  # an unknown or reused state
            log.warning("OpenID Connect callback refused: %s", exc)
            return self.login_failure()

    def login_failure(self):
        if self.request.GET.get("error"):
            log.warning("OpenID Connect provider answered %s", self.request.GET.get("error"))
        message = getattr(self.request, "oidc_refusal", None) or _(
            "Signing in with your district account did not complete. Please try again."
        )
        messages.error(self.request, message)
        return HttpResponseRedirect(reverse("login"))
