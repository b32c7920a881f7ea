"""Limits on the API, counted in the cache and logged on the ``core.security`` logger.

- Failed bearer tokens, per client address (``OPS_TOKEN_FAILURE_RATE``): once
  an address has sent that many bad tokens in the window, its requests with a
  token are answered 429 before the key is looked up.
- Requests, per token for token requests and per user for signed-in sessions
  (``OPS_API_RATE``); anonymous requests per client address.

Rates read like DRF's (``"10/minute"``); an empty rate turns the limit off.
The client address is ``core.net.client_ip``.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.throttling import SimpleRateThrottle

from core.net import client_ip

log = logging.getLogger("core.security")


def _parse(rate: str | None) -> tuple[int, int] | None:
    if not rate:
        return None
    return SimpleRateThrottle.parse_rate(None, rate)


def _window(duration: int) -> tuple[int, int]:
    """The current fixed window's number and the seconds left in it."""
    now = time.time()
    return int(now // duration), max(1, int(duration - now % duration))


def _failure_key(address: str, window: int) -> str:
    return f"ops:token-failures:{address}:{window}"


def token_failures_check(request) -> None:
    """Refuse (429) a token from an address that has sent too many bad ones."""
    limit = _parse(settings.OPS_TOKEN_FAILURE_RATE)
    if limit is None:
        return
    allowed, duration = limit
    window, wait = _window(duration)
    address = client_ip(request)
    if cache.get(_failure_key(address, window), 0) >= allowed:
        if cache.add(f"{_failure_key(address, window)}:logged", 1, duration):
            log.warning("API tokens from %s refused for %ss after %s invalid tokens", address, wait, allowed)
        raise exceptions.Throttled(wait=wait, detail=_("Too many invalid API tokens from this address."))


def token_failure_record(request, *, prefix: str, reason: str) -> None:
    """Count and log one failed bearer token for the client's address."""
    address = client_ip(request)
    log.warning("Invalid API token from %s (prefix %r): %s", address, prefix[:16], reason)
    limit = _parse(settings.OPS_TOKEN_FAILURE_RATE)
    if limit is None:
        return
    _allowed, duration = limit
    window, _wait = _window(duration)
    key = _failure_key(address, window)
    cache.add(key, 0, duration + 5)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, duration + 5)


class ApiRateThrottle(SimpleRateThrottle):
    """``OPS_API_RATE`` per token, per signed-in user, or per address when anonymous."""

    cache_format = "ops:api-rate:%(scope)s:%(ident)s"

    def get_rate(self):
        return settings.OPS_API_RATE or None

    def get_cache_key(self, request, view):
        from core.models import ApiToken

        if isinstance(request.auth, ApiToken):
            scope, ident = "token", request.auth.pk
        elif request.user and request.user.is_authenticated:
            scope, ident = "user", request.user.pk
        else:
            scope, ident = "address", client_ip(request)
        return self.cache_format % {"scope": scope, "ident": ident}

    def throttle_failure(self):
        if self.cache.add(f"{self.key}:logged", 1, self.duration):
            log.warning("API rate limit of %s reached for %s", self.rate, self.key.removeprefix("ops:api-rate:"))
        return False
