"""One place that maps the services' exceptions to HTTP answers."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.services import StaleVersion


class StaleVersionIfMatch(StaleVersion):
    """A stale version given in the If-Match header (412 rather than 409)."""


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
    return drf_exception_handler(exc, context)
