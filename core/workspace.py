"""Department workspaces: each department's home page, assembled from what apps contribute.

An app declares in ``workspace.py`` (autodiscovered at start-up) its
department, the queues of what needs action, its main actions, and blocks
(the dashboard's tiles of the department's KPIs); core knows no department:

    from core import workspace

    workspace.register_department(workspace.Department(
        code="enrollment", label=DepartmentCode.ENROLLMENT.label, apps=("enrollment",), order=10,
    ))
    workspace.register_queue(workspace.Queue(
        key="offers-expiring",
        department="enrollment",
        title=_("Offers about to expire"),
        model=Offer,
        select=offers_expiring,             # (ctx, restricted queryset) -> queryset
        columns=((_("Student"), lambda o: o.application.student), ...),
        url=lambda o: reverse("enrollment:offer_detail", args=[o.pk]),
    ))
    workspace.register_action(workspace.WorkAction(
        key="roster-sync", department="enrollment", label=_("Sync the roster"),
        url_name="enrollment:roster_sync", model=Enrollment, action=Action.ADD,
    ))

A queue lists rows of one model, read through ``restrict(user, queue.action)``:
``select`` only narrows and orders what the policy lets the viewer reach, so
a school's staff see only their schools' rows. A queue, an action or a block
is shown only to a viewer the policy lets perform its action on its model at
all; a department's workspace is open to a viewer who is shown at least one
of its queues or actions. A queue costs two queries (its count and its first
rows, with what ``select`` joins), however many rows it holds.

The department's record tables (the registered pages of its ``apps``) are
listed in the navigation under its "Records"; reference data under
"Administration".
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.urls import reverse
from django.utils import timezone

from . import policy
from .choices import Action, Role

QUEUE_ROWS = 10  # rows shown per queue; the count says how many there are in all


@dataclass(frozen=True)
class Department:
    code: str  # the department's code (a district.choices.DepartmentCode value)
    label: Any
    apps: tuple[str, ...] = ()  # app labels whose record tables are this department's
    order: int = 100


@dataclass
class WorkspaceContext:
    """What a queue's ``select`` or a block's ``build`` gets: the viewer, the department and the day."""

    user: Any
    department: str
    today: datetime.date


@dataclass(frozen=True)
class Queue:
    key: str  # unique; letters, digits and hyphens (part of an HTML id)
    department: str
    title: Any
    model: type[models.Model]
    select: Callable[[WorkspaceContext, models.QuerySet], models.QuerySet]
    columns: tuple[tuple[Any, Callable[[Any], Any]], ...]  # (label, value of a row)
    description: Any = ""  # what the queue asks of its reader
    url: Callable[[Any], str] | None = None  # the row's page (the first cell links to it)
    more_url: Callable[[WorkspaceContext], str] | None = None  # the page to work through all of them
    more_label: Any = ""  # that link's text
    action: str = Action.VIEW  # the action its rows are read for (restrict(user, action))
    empty: Any = ""
    order: int = 100

    def shown_to(self, user) -> bool:
        return policy.can(user, self.model, self.action)


@dataclass(frozen=True)
class WorkAction:
    """A main action of the department (a workflow page), shown to who may perform it."""

    key: str
    department: str
    label: Any
    url_name: str
    model: type[models.Model]
    action: str = Action.VIEW
    order: int = 100

    def shown_to(self, user) -> bool:
        return policy.can(user, self.model, self.action)

    @property
    def url(self) -> str:
        return reverse(self.url_name)


@dataclass(frozen=True)
class Block:
    """A part of the workspace rendered by its app (the dashboard's KPI tiles).

    ``department`` empty: contributed to every department's workspace; ``build``
    returns the template's data, or ``None`` when it has nothing for the
    department (the block is then left out).
    """

    key: str
    title: Any
    template: str
    build: Callable[[WorkspaceContext], dict | None]
    model: type[models.Model]
    department: str = ""
    action: str = Action.VIEW
    order: int = 100

    def shown_to(self, user) -> bool:
        return policy.can(user, self.model, self.action)


@dataclass
class ShownQueue:
    queue: Queue
    count: int
    rows: list[dict]
    more_url: str | None = None

    @property
    def html_id(self) -> str:
        return f"queue-{self.queue.key}"

    @property
    def columns(self) -> list:
        return [label for label, _value in self.queue.columns]


@dataclass
class ShownBlock:
    block: Block
    data: dict

    @property
    def html_id(self) -> str:
        return f"block-{self.block.key}"


@dataclass
class Workspace:
    department: Department
    queues: list[ShownQueue] = field(default_factory=list)
    actions: list[WorkAction] = field(default_factory=list)
    blocks: list[ShownBlock] = field(default_factory=list)


_departments: dict[str, Department] = {}
_queues: dict[str, Queue] = {}
_actions: dict[str, WorkAction] = {}
_blocks: dict[str, Block] = {}


def _check_key(key: str) -> None:
    if not key.replace("-", "").isalnum():
        raise ValueError(f"Workspace key {key!r}: letters, digits and hyphens only.")


def _put(table: dict, key: str, item) -> None:
    _check_key(key)
    if key in table and table[key] != item:
        raise ValueError(f"Another workspace entry is registered as {key}.")
    table[key] = item


def register_department(department: Department) -> Department:
    _put(_departments, department.code, department)
    return department


def register_queue(queue: Queue) -> Queue:
    policy.rule_for(queue.model)  # a model with no access rule cannot be read through restrict()
    _put(_queues, queue.key, queue)
    return queue


def register_action(action: WorkAction) -> WorkAction:
    policy.rule_for(action.model)
    _put(_actions, action.key, action)
    return action


def register_block(block: Block) -> Block:
    policy.rule_for(block.model)
    _put(_blocks, block.key, block)
    return block


def unregister(key: str) -> None:
    for table in (_departments, _queues, _actions, _blocks):
        table.pop(key, None)


def departments() -> list[Department]:
    return sorted(_departments.values(), key=lambda d: (d.order, d.code))


def department(code: str) -> Department | None:
    return _departments.get(code)


def department_of_app(app_label: str) -> Department | None:
    return next((d for d in departments() if app_label in d.apps), None)


def _ordered(items: Iterable, code: str) -> list:
    return sorted((i for i in items if i.department == code), key=lambda i: (i.order, i.key))


def queues_for(code: str) -> list[Queue]:
    return _ordered(_queues.values(), code)


def actions_for(code: str) -> list[WorkAction]:
    return _ordered(_actions.values(), code)


def shown_actions(user, code: str) -> list[WorkAction]:
    return [a for a in actions_for(code) if a.shown_to(user)]


def reachable(user, code: str) -> bool:
    """Whether the viewer is shown some queue or action of the department (its workspace is then open)."""
    if code not in _departments:
        return False
    return any(q.shown_to(user) for q in queues_for(code)) or bool(shown_actions(user, code))


def reachable_departments(user) -> list[Department]:
    return [d for d in departments() if reachable(user, d.code)]


def url_for(code: str) -> str:
    return reverse("workspace", args=[code])


def _show_queue(queue: Queue, ctx: WorkspaceContext) -> ShownQueue:
    rows = queue.select(ctx, queue.model.objects.restrict(ctx.user, queue.action))
    count = rows.count()
    shown = []
    for obj in rows[:QUEUE_ROWS]:
        cells = [value(obj) for _label, value in queue.columns]
        shown.append({"cells": cells, "url": queue.url(obj) if queue.url else None})
    return ShownQueue(queue, count, shown, queue.more_url(ctx) if queue.more_url else None)


def build(user, code: str, today: datetime.date | None = None) -> Workspace | None:
    """The department's workspace as the viewer may see it; ``None`` when it is not open to them."""
    dept = _departments.get(code)
    if dept is None or not reachable(user, code):
        return None
    ctx = WorkspaceContext(user=user, department=code, today=today or timezone.localdate())
    space = Workspace(department=dept, actions=shown_actions(user, code))
    space.queues = [_show_queue(q, ctx) for q in queues_for(code) if q.shown_to(user)]
    for block in sorted(_blocks.values(), key=lambda b: (b.order, b.key)):
        if block.department not in ("", code) or not block.shown_to(user):
            continue
        data = block.build(ctx)
        if data is not None:
            space.blocks.append(ShownBlock(block, data))
    return space


# -- landing -------------------------------------------------------------------------------------------

# Which role's page a user with several roles lands on, first match first.
LANDING_ORDER = (Role.EXECUTIVE, Role.STATE, Role.DEPT_MANAGER, Role.DEPT_STAFF, Role.PRINCIPAL)
DEPARTMENT_LANDING_ROLES = (Role.DEPT_MANAGER, Role.DEPT_STAFF)

_landings: dict[str, Callable[[Any], str | None]] = {}


def register_landing(role: str, url: Callable[[Any], str | None]) -> None:
    """The page a role lands on (the dashboard for executives), given by the app that draws it."""
    _landings[role] = url


def landing_url(user) -> str | None:
    """Where the user lands after sign-in: their department's workspace or their role's page.

    ``None``: the start page (administrators, program roles, users with no role).
    """
    scope = policy.scope_for(user)
    for role in LANDING_ORDER:
        for assignment in scope.assignments:
            if assignment.role != role:
                continue
            if role in DEPARTMENT_LANDING_ROLES:
                if assignment.department_code and reachable(user, assignment.department_code):
                    return url_for(assignment.department_code)
                continue
            if role in _landings:
                url = _landings[role](user)
                if url:
                    return url
    return None
