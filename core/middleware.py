"""Request middleware: request ids and the audit context (door, id, API token); no-store on the API and downloads;
the signed-in user's district time zone."""

import re
import zoneinfo

from django.conf import settings
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from . import context, policy
from .choices import Source

_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _VALID.match(incoming) else context.new_request_id()
        request.request_id = rid
        via = (
            Source.API
            if request.path.startswith("/api/")
            else Source.ADMIN
            if request.path.startswith("/admin/")
            else Source.WEB
        )
        with context.serving(via=via, rid=rid):
            response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every API response and every download.

    Student records reach people through the API and through files (exports,
    report files, roster packages); neither a browser nor a proxy may keep a
    copy. A download is any response sent as an attachment, so a new export
    is covered without its author doing anything.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith("/api/") or response.get("Content-Disposition", "").startswith("attachment"):
            add_never_cache_headers(response)
        return response


def user_time_zone(user) -> str:
    """The IANA name of the zone ``user`` reads dates and times in: their district's.

    The zone of the districts of the user's role assignments when they agree;
    the server's (``settings.TIME_ZONE``) for the state role, for anyone whose
    districts keep different zones, and for users with no role.
    """
    scope = policy.scope_for(user)
    zones = {a.time_zone for a in scope.assignments if a.district_id is not None and a.time_zone}
    if scope.spans_all_districts or len(zones) != 1:
        return settings.TIME_ZONE
    return zones.pop()


class TimeZoneMiddleware:
    """Dates and times of a signed-in user's request in their district's zone (:func:`user_time_zone`).

    Pages show, filters read and exports write times in that zone; anonymous
    visitors get the server's (``settings.TIME_ZONE``). The zone is
    deactivated after the response, so nothing carries over to the next
    request served by the same thread.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user_time_zone(user)))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
