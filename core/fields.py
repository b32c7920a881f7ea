"""Fields that records of several departments share, with their rules."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def _degrees(label, limit: int) -> models.DecimalField:
    """An optional angle in degrees (WGS 84) within ±``limit``, to about ten centimetres."""
    return models.DecimalField(
        label,
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-limit), MaxValueValidator(limit)],
    )


def latitude_field() -> models.DecimalField:
    return _degrees(_("latitude"), 90)


def longitude_field() -> models.DecimalField:
    return _degrees(_("longitude"), 180)


def check_coordinates(instance) -> None:
    """A place has both coordinates or neither (for a model's ``clean()``)."""
    if (instance.latitude is None) != (instance.longitude is None):
        raise ValidationError({"longitude": _("Give both latitude and longitude, or neither.")})
