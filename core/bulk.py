"""Writing many rows at once on PostgreSQL with COPY, their audit rows included.

The pieces every bulk writer shares (the roster import, the lottery's
offers and waitlists):

- ``allocate_ids``: new ids drawn from a table's sequence before the rows
  are sent, so related rows can be linked first;
- ``copy_text`` and ``copy_value``: values in COPY's text format;
- ``json_encoder``: a field's values as the JSON text ``core.audit`` stores;
- ``AuditLines``: the audit rows ``core.audit.log_bulk`` would write, as COPY
  text lines;
- ``copy_lines``: lines already in COPY's text format into a table;
- ``insert_rows`` and ``insert_rows_audited``: tuples of values into a
  table, with their audit rows, without a model instance per row (COPY on
  PostgreSQL, ``bulk_create`` elsewhere);
- ``CopyPipe``: COPY statements sent by a background thread while the
  caller checks the next rows.
"""

from __future__ import annotations

import io
import json
import queue
import threading
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring_ascii

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

from . import audit, context
from .models import AuditEntry

COPY_CHUNK = 1 << 18  # characters handed to the driver at a time
NULL = "\\N"
BACKSLASH, DOUBLE_BACKSLASH = "\\", "\\\\"


def copy_text(value: str) -> str:
    """``value`` escaped for COPY's text format (four replaces cost a sixth of one ``str.translate``)."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_value(value) -> str:
    return NULL if value is None else copy_text(str(value))


def allocate_ids(cursor, model: type[models.Model], count: int) -> Iterator[int]:
    """``count`` new ids from the model's table sequence.

    The ids are drawn in one statement (the sequence named by a subquery,
    looked up once rather than once per id). When nothing else drew from the
    sequence meanwhile (the usual case) they form one range and only its ends
    are read back; otherwise the list of ids drawn.
    """
    if count <= 0:
        return iter(())
    cursor.execute(
        "WITH drawn AS (SELECT nextval((SELECT pg_get_serial_sequence(%s, 'id'))) AS id "
        "FROM generate_series(1, %s)) "
        "SELECT min(id), max(id), "
        "CASE WHEN max(id) - min(id) + 1 = count(*) THEN NULL ELSE array_agg(id) END FROM drawn",
        [model._meta.db_table, count],
    )
    low, high, scattered = cursor.fetchone()
    return iter(range(low, high + 1) if scattered is None else scattered)


def column_list(columns) -> str:
    """Quoted column names (fields or names)."""
    return ", ".join(connection.ops.quote_name(getattr(c, "column", c)) for c in columns)


def copy_lines(cursor, model: type[models.Model], columns, lines: list[str], chunk: int = 50_000) -> None:
    """COPY lines already in PostgreSQL's text format (no line ends) into the model's table."""
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({column_list(columns)}) FROM STDIN"
    for start in range(0, len(lines), chunk):
        # (The read size goes by position: Django's debugging cursor takes no keywords here.)
        cursor.copy_expert(sql, io.StringIO("\n".join(lines[start : start + chunk]) + "\n"), COPY_CHUNK)


# -- audit values as JSON text -----------------------------------------------------------

PLAIN_FIELDS = (models.DateField, models.TimeField, models.DecimalField, models.UUIDField)
_BOOLEANS = {True: "true", False: "false"}


def memo(convert: Callable[[object], str]) -> Callable[[object], str]:
    """``convert`` remembering its answers (dates and codes repeat across rows)."""
    seen: dict = {}

    def memoized(value):
        try:
            return seen[value]
        except KeyError:
            seen[value] = answer = convert(value)
            return answer

    return memoized


def json_encoder(field: models.Field) -> Callable[[object], str]:
    """How a (non-null) value of ``field`` is written as JSON in an audit entry: as ``core.audit`` stores it."""
    if _is_integer(field):
        return str
    if isinstance(field, models.BooleanField):
        return _BOOLEANS.__getitem__
    if isinstance(field, (models.CharField, models.TextField)):
        return encode_basestring_ascii
    if isinstance(field, PLAIN_FIELDS):
        return memo(lambda value: encode_basestring_ascii(str(audit._plain(value))))
    return lambda value: json.dumps(audit._plain(value))


def audited_fields(model: type[models.Model]) -> list[models.Field]:
    """The fields ``core.audit.snapshot`` records, in order."""
    skipped = audit.SKIPPED_FIELDS | set(getattr(model, "audit_exclude", ()))
    return [f for f in model._meta.concrete_fields if f.name not in skipped and not f.primary_key]


def copy_converter(field: models.Field) -> Callable[[object], str]:
    """How values of ``field`` are written in COPY's text format."""
    if _is_integer(field):
        return lambda value: NULL if value is None else str(value)
    if isinstance(field, models.BooleanField):
        return lambda value: NULL if value is None else ("t" if value else "f")
    if isinstance(field, models.DateField):  # (and DateTimeField)
        return memo(lambda value: NULL if value is None else value.isoformat())
    if isinstance(field, models.JSONField):
        return lambda value: NULL if value is None else copy_text(json.dumps(value))
    return memo(copy_value) if field.choices else copy_value


def _is_integer(field: models.Field) -> bool:
    return isinstance(field, (models.IntegerField, models.AutoField)) or field.is_relation


# -- audit rows --------------------------------------------------------------------------

AUDIT_COLUMNS = (
    "timestamp",
    "actor_id",
    "actor_name",
    "change",
    "content_type_id",
    "object_id",
    "object_repr",
    "changes",
    "request_id",
    "source",
    "token",
    "district_key",
    "data_class",
)


class AuditLines:
    """Audit rows as COPY text lines: the rows ``core.audit.log_bulk`` would write, one per record.

    Who, when, the request, the door and the API token are read once, when it
    is made (so rendering never queries, and may run while a ``CopyPipe``
    holds the connection); ``line()`` adds the record's part: its district
    and its data class (:func:`core.audit.row_class_of`).
    """

    def __init__(self, actor, models_: tuple[type[models.Model], ...] = ()):
        has_actor = actor is not None and actor.pk
        self.timestamp = timezone.now()
        self.head = "\t".join(
            copy_value(v)
            for v in (
                self.timestamp.isoformat(),
                actor.pk if has_actor else None,
                actor.get_username() if has_actor else "system",
            )
        )
        self.tail = "\t".join(
            copy_value(v) for v in (context.request_id.get(), context.source.get(), context.token.get())
        )
        self.content_types = {model: ContentType.objects.get_for_model(model).pk for model in models_}
        self.sql = (
            f"COPY {connection.ops.quote_name(AuditEntry._meta.db_table)} ({column_list(AUDIT_COLUMNS)}) FROM STDIN"
        )

    def content_type(self, model: type[models.Model]) -> int:
        found = self.content_types.get(model)
        if found is None:
            found = self.content_types[model] = ContentType.objects.get_for_model(model).pk
        return found

    def line(
        self, change: str, content_type: int, pk, name: str, changes_json: str, district, data_class: str = ""
    ) -> str:
        """One entry (no line end): ``changes_json`` is JSON text, whose control characters JSON escapes already."""
        return (
            f"{self.head}\t{change}\t{content_type}\t{pk}\t{copy_text(name[:200])}\t"
            f"{changes_json.replace(BACKSLASH, DOUBLE_BACKSLASH)}\t"
            f"{self.tail}\t{NULL if district is None else district}\t{copy_text(data_class)}"
        )


# -- streaming -----------------------------------------------------------------------------


class CopyPipe:
    """COPY statements sent by a background thread on the caller's connection, while the caller checks the next rows.

    The caller renders rows to COPY text and hands them over in chunks; the
    thread sends each chunk's COPY on the same connection (so in the same
    transaction) and waits for the database with the interpreter lock
    released. So Python checks and renders the next rows while the database
    inserts these. The caller must not use the connection until ``drain()``.
    """

    def __init__(self, cursor, depth: int = 4):
        self._raw = cursor.cursor
        self._jobs: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="copy-pipe", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self.error is None:
                sql, text = job
                try:
                    self._raw.copy_expert(sql, io.StringIO(text), size=COPY_CHUNK)
                except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread
                    self.error = exc

    def send(self, sql: str, text: str) -> None:
        if self.error is not None:
            self._raise()
        self._jobs.put((sql, text))

    def drain(self) -> None:
        """Wait for every chunk sent; raise the first error (as Django's database error)."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()
        if self.error is not None:
            self._raise()

    def _raise(self):
        with connection.wrap_database_errors:
            raise self.error


# -- rows without instances ------------------------------------------------------------------


def insert_rows(*, model, columns: list[str], rows: list[tuple], constants: dict) -> list[int]:
    """Insert ``rows`` (values for ``columns``; ``constants`` fill the other fields); returns the new ids in order.

    On PostgreSQL the rows go in with COPY, ids drawn from the table's
    sequence first; other databases use ``bulk_create``.
    """
    if not rows:
        return []
    now = timezone.now()
    constants = {"created_at": now, "updated_at": now, "version": 1, **constants}
    if connection.vendor != "postgresql":
        objects = [model(**constants, **dict(zip(columns, row, strict=True))) for row in rows]
        model.objects.bulk_create(objects, batch_size=1000)
        return [obj.pk for obj in objects]
    fields = {f.attname: f for f in model._meta.concrete_fields}
    converters = [copy_converter(fields[col]) for col in columns]
    fixed = "".join("\t" + copy_converter(fields[col])(value) for col, value in constants.items())
    with connection.cursor() as cursor:
        ids = list(allocate_ids(cursor, model, len(rows)))
        if all(_is_integer(fields[col]) and not fields[col].null for col in columns):  # ids and counts only
            tab = "\t"
            lines = [f"{pk}{tab}{tab.join(map(str, row))}{fixed}" for pk, row in zip(ids, rows, strict=True)]
        else:
            lines = [
                "\t".join([str(pk), *[convert(value) for convert, value in zip(converters, row, strict=True)]]) + fixed
                for pk, row in zip(ids, rows, strict=True)
            ]
        copy_lines(cursor, model, ["id", *columns, *constants], lines)
    return ids


def _row_class(model, columns: list[str], constants: dict) -> Callable[[tuple], str]:
    """How a row's data class is read for its audit entry (blank for models with no row class).

    A model whose records' existence discloses a class must be given its
    class field, in the columns or the constants; otherwise nothing is written.
    """
    name = audit.row_class_field(model)
    if name is None:
        return lambda row: ""
    attname = model._meta.get_field(name).attname
    if attname in columns:
        index = columns.index(attname)
        return lambda row: row[index] or ""
    if attname in constants:
        fixed = constants[attname] or ""
        return lambda row: fixed
    raise ValueError(f"{model.__name__} rows name a data class: give {attname} in the columns or the constants.")


def insert_rows_audited(
    *, actor, model, columns: list[str], rows: list[tuple], constants: dict, describe, district_id
) -> list[int]:
    """:func:`insert_rows`, and one audit row per record in the same transaction; returns the new ids.

    ``describe(row)`` names a row as the model's ``__str__`` would. The audit
    rows are those ``core.audit.log_bulk`` writes for created records
    (``{field: [null, value]}`` for every value set, with the actor, request
    id and door from the context); on PostgreSQL they go in with COPY too.
    Each audit row carries its record's data class, read from the rows or the
    constants for a model whose access rule names a row class.
    """
    row_class = _row_class(model, columns, constants)
    ids = insert_rows(model=model, columns=columns, rows=rows, constants=constants)
    if not ids:
        return ids
    constants = {"created_by_id": None, **constants}
    fields = {f.attname: f for f in model._meta.concrete_fields}
    recorded = {f.attname for f in audited_fields(model)}
    audited = [i for i, col in enumerate(columns) if col in recorded]
    entries = AuditLines(actor)
    content_type = entries.content_type(model)
    if connection.vendor != "postgresql":
        plain = audit._plain
        fixed = {
            fields[col].name: [None, plain(value)]
            for col, value in constants.items()
            if value is not None and col in recorded
        }
        who = actor.pk if actor is not None and actor.pk else None
        AuditEntry.objects.bulk_create(
            [
                AuditEntry(
                    timestamp=entries.timestamp,
                    actor_id=who,
                    actor_name=actor.get_username() if who else "system",
                    change=AuditEntry.Change.CREATE,
                    content_type_id=content_type,
                    object_id=str(pk),
                    object_repr=describe(row)[:200],
                    changes={
                        **fixed,
                        **{fields[columns[i]].name: [None, plain(row[i])] for i in audited if row[i] is not None},
                    },
                    request_id=context.request_id.get(),
                    source=context.source.get(),
                    token=context.token.get(),
                    district_key=district_id,
                    data_class=row_class(row),
                )
                for pk, row in zip(ids, rows, strict=True)
            ],
            batch_size=1000,
        )
        return ids
    fixed = ", ".join(
        f'"{fields[col].name}": [null, {json_encoder(fields[col])(value)}]'
        for col, value in constants.items()
        if value is not None and col in recorded
    )
    parts = [(i, f'"{fields[columns[i]].name}": [null, ', json_encoder(fields[columns[i]])) for i in audited]
    create = AuditEntry.Change.CREATE.value
    lines = []
    for pk, row in zip(ids, rows, strict=True):
        varying = ", ".join([f"{key}{to_json(row[i])}]" for i, key, to_json in parts if row[i] is not None])
        changes = f"{{{fixed}, {varying}}}" if fixed and varying else f"{{{fixed}{varying}}}"
        lines.append(entries.line(create, content_type, pk, describe(row), changes, district_id, row_class(row)))
    with connection.cursor() as cursor:
        copy_lines(cursor, AuditEntry, AUDIT_COLUMNS, lines)
    return ids
