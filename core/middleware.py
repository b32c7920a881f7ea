"""Request id middleware: tags the request and every audit row it writes (its door, id and API token)."""

import re

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
