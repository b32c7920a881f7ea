"""Fields that records of several departments share, with their rules."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def latitude_field() -> models.DecimalField:
    """Degrees north (WGS 84), to about ten centimetres; optional."""
    return models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )


def longitude_field() -> models.DecimalField:
    """Degrees east (WGS 84), to about ten centimetres; optional."""
    return models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )


def check_coordinates(instance) -> None:
    """A place has both coordinates or neither (for a model's ``clean()``)."""
    if (instance.latitude is None) != (instance.longitude is None):
        raise ValidationError({"longitude": _("Give both latitude and longitude, or neither.")})
