"""How pages and exports show a field's value: codes by their labels.

A field with choices shows its label (``get_<name>_display``, which Django
adds); a model may give any other field a label the same way, by defining
``get_<name>_display`` itself (a list of codes in one field, such as a
student's races). Pages, lists, exports and import previews all read values
through :func:`display`, so a code never reaches a reader where a label
exists. The API keeps the codes, which integrations exchange.
"""

from __future__ import annotations

from django.db import models


def display(obj: models.Model, name: str):
    """The value of ``obj``'s field (or property) ``name`` as a reader sees it."""
    getter = getattr(obj, f"get_{name}_display", None)
    if callable(getter):
        return getter()
    return getattr(obj, name)
