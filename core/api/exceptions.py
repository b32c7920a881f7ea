"""One place that maps the services' exceptions to HTTP answers."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.services import StaleVersion


class StaleVersionIfMatch(StaleVersion):
    """A stale version given in the If-Match header (412 rather than 409)."""


logger = logging.getLogger(__name__)
# PostgreSQL's codes for a number or a date and time out of range.
OUT_OF_RANGE = {"22003", "22008"}


def _out_of_range(exc) -> bool:
    """A number or date the database cannot hold or compare (SQLite says OverflowError, PostgreSQL a DataError)."""
    if isinstance(exc, OverflowError):
        return True
    return isinstance(exc, DataError) and getattr(exc.__cause__, "pgcode", None) in OUT_OF_RANGE


def exception_handler(exc, context):
    if isinstance(exc, StaleVersion):
        code = status.HTTP_412_PRECONDITION_FAILED if isinstance(exc, StaleVersionIfMatch) else status.HTTP_409_CONFLICT
        return Response(
            {"detail": "The record was changed by someone else.", "current_version": exc.current},
            status=code,
            headers={"ETag": f'"{exc.current}"'},
        )
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            body = {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
        else:
            body = {"non_field_errors": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"detail": str(exc) or "Permission denied."}, status=status.HTTP_403_FORBIDDEN)
    if _out_of_range(exc):
        # A value no parameter's own validation caught: still the caller's input, so a 400, logged to be bounded.
        logger.warning("Out-of-range value in %s: %s", context["request"].path, exc)
        set_rollback()
        return Response(
            {"detail": _("A number or date in the request is out of range.")}, status=status.HTTP_400_BAD_REQUEST
        )
    return drf_exception_handler(exc, context)
