"""Request middleware: request ids and the audit context (door, id, API token); no-store on the API and downloads."""

import re

from django.utils.cache import add_never_cache_headers

from . import context
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
