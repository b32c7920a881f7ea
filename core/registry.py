"""The page registry: a model registers once and gets list, detail, add, edit,
delete, import and export pages, plus navigation entries.

    pages.register(Pages(
        model=School,
        fields=["district", "name", "state_school_id", ...],
        list_columns=["name", "state_school_id", "school_type", "district"],
        filterset=SchoolFilterSet,
        import_key="state_school_id",
        related_keys={"district": "state_lea_id"},
    ))

and in the app's ``urls.py``: ``urlpatterns = pages.urlpatterns("district")``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.urls import path
from django.utils.functional import cached_property

ALL_ACTIONS = frozenset({"list", "detail", "add", "edit", "delete", "import", "export"})
READ_ONLY = frozenset({"list", "detail", "export"})


@dataclass
class Pages:
    model: type[models.Model]
    list_columns: list[str]
    fields: list[str] = field(default_factory=list)
    filterset: type | None = None
    form: type | None = None
    actions: frozenset[str] = ALL_ACTIONS
    # Import: the column that identifies an existing row (updated rather than
    # added), and the natural key used to name each related record in a file.
    import_key: str | None = None
    import_fields: list[str] | None = None
    related_keys: dict[str, str] = field(default_factory=dict)
    detail_template: str | None = None
    # Fields the detail page and its history leave out (a student's coordinates,
    # which serve routing and maps, not a reader of the record).
    detail_exclude: frozenset[str] = frozenset()
    section: str | None = None  # navigation heading; defaults to the app's verbose name
    extra_views: dict[str, Any] = field(default_factory=dict)  # action name -> view class
    select_related: list[str] = field(default_factory=list)  # relations the rows' text needs beyond the columns
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, URL name) of workflow pages shown on the list
    # The service that saves a record from the add and edit pages, when plain
    # record_save is not enough (same keyword arguments: actor, instance, ...).
    save: Any = None

    @property
    def app_label(self) -> str:
        return self.model._meta.app_label

    @property
    def model_name(self) -> str:
        return self.model._meta.model_name

    def url_name(self, action: str) -> str:
        return f"{self.app_label}:{self.model_name}_{action}"

    @cached_property
    def fk_columns(self) -> list[str]:
        names = []
        for column in self.list_columns:
            try:
                f = self.model._meta.get_field(column)
            except Exception:  # noqa: BLE001 - a property, not a field
                continue
            if isinstance(f, models.ForeignKey):
                names.append(column)
        return names

    @cached_property
    def columns_for_import(self) -> list[str]:
        return list(self.import_fields or self.fields)


class Registry:
    def __init__(self):
        self._pages: dict[type[models.Model], Pages] = {}

    def register(self, pages: Pages) -> Pages:
        self._pages[pages.model] = pages
        return pages

    def __iter__(self):
        return iter(self._pages.values())

    def for_model(self, model) -> Pages | None:
        return self._pages.get(model)

    def urlpatterns(self, app_label: str) -> list:
        from . import views

        patterns = []
        for p in self._pages.values():
            if p.app_label != app_label:
                continue
            name = p.model_name
            kw = {"pages": p}
            table = {
                "list": (f"{name}/", views.RecordListView),
                "add": (f"{name}/add/", views.RecordEditView),
                "import": (f"{name}/import/", views.RecordImportView),
                "detail": (f"{name}/<int:pk>/", views.RecordDetailView),
                "edit": (f"{name}/<int:pk>/edit/", views.RecordEditView),
                "delete": (f"{name}/<int:pk>/delete/", views.RecordDeleteView),
            }
            for action, (route, view) in table.items():
                if action in p.actions:
                    view = p.extra_views.get(action, view)
                    patterns.append(path(route, view.as_view(**kw), name=f"{name}_{action}"))
            for action, view in p.extra_views.items():
                if action not in table:
                    patterns.append(path(f"{name}/<int:pk>/{action}/", view.as_view(**kw), name=f"{name}_{action}"))
        return patterns


pages = Registry()


@dataclass(frozen=True)
class NavLink:
    """A workflow page in the navigation, shown to users who may view ``model``."""

    section: Any
    label: Any
    url_name: str
    model: type[models.Model]


nav_links: list[NavLink] = []
