"""Panels on the student page: each department's view of one student, contributed by its app.

An app declares its panels in ``panels.py`` (autodiscovered at start-up);
core knows no department and draws no panel of its own:

    from core.panels import Panel, register

    register(Panel(
        key="transportation-assignment",
        department="transportation",
        section=_("Transportation"),
        title=_("Bus stop and run"),
        reads=(RiderAssignment, BusStop),
        template="transportation/panels/assignment.html",
        build=assignment_panel,
        order=200,
    ))

A panel says which records it reads (``reads``) and, when it is about a
sensitive data class (meal application status), that class. The student page
shows a panel only to a viewer who may view every model it reads and, for a
class, administers it; everyone else never learns whether the student has
such records. A panel may also read models some of its viewers may not
(``also_reads``: guardians' contacts next to a household's address); it asks
``ctx.may_read(model)`` and leaves that part out for the others. What a
department may read of a student follows the policy's student-access table
(``core.access``): records its field groups do not cover are out of
``restrict()``, and fields of the groups it does not hold are in
``policy.hidden_fields``. ``build(ctx)`` then reads through ``ctx.rows(model)``, which is
``restrict()`` and serves only the models the panel declared, and lays out
only the fields the viewer may see (``ctx.columns`` leaves out
``policy.hidden_fields``). It returns the template's data, or ``None`` when
its department has nothing on this student (the panel is then left out). A
build costs the same number of queries however many rows the student has
(``select_related``/``prefetch_related``), so the page's cost does not grow
with a student's history.

Panels of one department are shown together under its name (``section``),
departments in the order of their first panel.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from . import policy
from .choices import Action
from .display import display


@dataclass(frozen=True)
class Panel:
    key: str  # unique; letters, digits and hyphens (it becomes part of an HTML id)
    department: str  # the code of the department that serves the student through it
    section: Any  # that department's name, the heading its panels are shown under
    title: Any
    build: Callable[[PanelContext], dict | None]
    reads: tuple[type[models.Model], ...]  # every model ``build`` reads
    # Renders ``data`` (what ``build`` returned) inside the panel; the default
    # shows ``data["tables"]`` (from ``PanelContext.table``) and ``data["note"]``.
    template: str = "core/_panel_tables.html"
    data_class: str = ""  # the sensitive data class the panel is about, if any
    order: int = 100
    # Models ``build`` reads only for viewers who may read them (see ``PanelContext.may_read``).
    also_reads: tuple[type[models.Model], ...] = ()

    def shown_to(self, user) -> bool:
        """Whether the viewer may see this panel at all (before reading any of the student's rows)."""
        if self.data_class and not policy.scope_for(user).sees(self.data_class):
            return False
        return all(policy.can(user, model, Action.VIEW) for model in self.reads)


@dataclass(frozen=True)
class Column:
    name: str
    label: Any


@dataclass
class PanelContext:
    """What a panel's ``build`` gets: the viewer, the student, the day, and restricted reads."""

    panel: Panel
    user: Any
    student: models.Model
    today: datetime.date

    def rows(self, model: type[models.Model]):
        """The rows of ``model`` the viewer may see (``restrict()``); only models the panel declared."""
        if model not in self.panel.reads and model not in self.panel.also_reads:
            raise ValueError(f"Panel {self.panel.key} reads {model.__name__} without declaring it in reads.")
        return model.objects.restrict(self.user, Action.VIEW)

    def may_read(self, model: type[models.Model]) -> bool:
        """Whether the viewer may read ``model`` at all (for a model in ``also_reads``)."""
        return policy.can(self.user, model, Action.VIEW)

    def hidden(self, model: type[models.Model]) -> set[str]:
        return policy.hidden_fields(self.user, model)

    def columns(self, model: type[models.Model], names: Iterable[str]) -> list[Column]:
        """The named fields of ``model`` the viewer may see, with their labels."""
        hidden = self.hidden(model)
        return [Column(name, model._meta.get_field(name).verbose_name) for name in names if name not in hidden]

    def values(self, obj: models.Model, columns: Iterable[Column]) -> list:
        """``obj``'s values for ``columns``, codes by their labels."""
        return [display(obj, column.name) for column in columns]

    def table(
        self,
        model: type[models.Model],
        names: Iterable[str],
        objects: Iterable[models.Model],
        caption,
        *,
        url: Callable[[Any], str] | None = None,
        extra: Iterable[tuple[Any, Callable[[Any], Any]]] = (),
        empty=None,
        caption_shown: bool = False,
    ) -> dict:
        """A table for ``core/_panel_table.html``: visible columns, one row per object, the first cell a link.

        ``extra`` adds columns that are not fields of ``model`` (label, value
        of an object), computed from what the objects already hold. The
        caption is read by screen readers, and shown as well with
        ``caption_shown`` (when a panel holds more than one table).
        """
        extra = list(extra)
        columns = self.columns(model, names) + [Column(f"extra-{i}", label) for i, (label, _f) in enumerate(extra)]
        fields = columns[: len(columns) - len(extra)]
        rows = [
            {"cells": self.values(obj, fields) + [value(obj) for _l, value in extra], "url": url(obj) if url else None}
            for obj in objects
        ]
        return {
            "caption": caption,
            "caption_shown": caption_shown,
            "columns": columns,
            "rows": rows,
            "empty": empty or _("None on record."),
        }


@dataclass
class ShownPanel:
    panel: Panel
    data: dict

    @property
    def html_id(self) -> str:
        return f"panel-{self.panel.key}"


@dataclass
class Section:
    department: str
    heading: Any
    panels: list[ShownPanel] = field(default_factory=list)

    @property
    def html_id(self) -> str:
        return f"department-{self.department}"


_panels: dict[str, Panel] = {}


def register(panel: Panel) -> Panel:
    if not panel.reads:
        raise ValueError(f"Panel {panel.key} must declare the models it reads.")
    if not panel.key.replace("-", "").isalnum():
        raise ValueError(f"Panel key {panel.key!r}: letters, digits and hyphens only.")
    if panel.key in _panels and _panels[panel.key] != panel:
        raise ValueError(f"Another panel is registered as {panel.key}.")
    for model in (*panel.reads, *panel.also_reads):
        policy.rule_for(model)  # a model with no access rule cannot be read through restrict()
    _panels[panel.key] = panel
    return panel


def unregister(key: str) -> None:
    _panels.pop(key, None)


def registered() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.key))


def sections_for(user, student: models.Model, today: datetime.date | None = None) -> list[Section]:
    """The panels the viewer may see about ``student``, built, grouped by department."""
    today = today or timezone.localdate()
    sections: dict[str, Section] = {}
    for panel in registered():
        if not panel.shown_to(user):
            continue
        data = panel.build(PanelContext(panel=panel, user=user, student=student, today=today))
        if data is None:
            continue
        section = sections.setdefault(panel.department, Section(panel.department, panel.section))
        section.panels.append(ShownPanel(panel, data))
    return list(sections.values())
