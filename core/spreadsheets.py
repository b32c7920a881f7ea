"""Spreadsheet cells in and out: formula neutralising for CSV and XLSX, and a CSV reader for uploads.

Writing. A spreadsheet program runs text that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula, so an imported first name
``=HYPERLINK(...)`` would be a live link in an export. ``neutralise`` prefixes
such text with an apostrophe (the spreadsheet convention for "this is text");
numbers, dates, booleans and empty cells are left as they are. ``csv_writer``
and ``xlsx_cells`` apply it to every cell of every CSV and XLSX the project
writes (EDFacts files excepted: they are not spreadsheets, and their layouts
allow no such text). XLSX text cells are also written as strings (type ``s``),
so even a value a spreadsheet would read as a formula or an error code stays
text; characters XML cannot carry become U+FFFD.

Reading back. An import reads an apostrophe followed by any run of
apostrophes and one of those characters as the neutraliser's mark and drops
that one apostrophe (``restore``), so exporting a record and importing the
file keeps the value: ``=1+1`` goes out as ``'=1+1`` and comes back as
``=1+1``; ``'=1+1`` itself goes out as ``''=1+1`` and comes back unchanged.
Text that begins with an apostrophe followed by anything else is read as it
is.

``read_csv`` reads an uploaded CSV record by record; a record with a cell
longer than the csv module's default field limit or a null character is
returned with the reason and the column, so an import reports that row and
goes on to the next instead of failing as a whole.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import io
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MARK = "'"
_PLAIN = (int, float, decimal.Decimal, datetime.date, datetime.time)  # bool is an int


def _is_formula_like(text: str) -> bool:
    return text.lstrip(MARK)[:1] in FORMULA_STARTS


def neutralise(value):
    """The cell value to write: text a spreadsheet would run as a formula gets an apostrophe in front."""
    if value is None or isinstance(value, _PLAIN):
        return value
    text = value if isinstance(value, str) else str(value)
    return MARK + text if _is_formula_like(text) else text


def restore(text: str) -> str:
    """The value a neutralised cell stood for (the inverse of ``neutralise`` on text)."""
    if text.startswith(MARK) and _is_formula_like(text):
        return text[1:]
    return text


class _Neutralising:
    """A csv writer whose every cell goes through ``neutralise``."""

    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row: Iterable):
        return self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self._writer.writerow([neutralise(v) for v in row])


def csv_writer(stream, **kwargs) -> _Neutralising:
    """``csv.writer(stream, **kwargs)`` that neutralises formulas in every cell."""
    return _Neutralising(csv.writer(stream, **kwargs))


def csv_bytes(rows: Iterable[Iterable], *, lineterminator: str = "\r\n") -> bytes:
    """Rows as UTF-8 CSV, every cell neutralised."""
    buffer = io.StringIO()
    csv_writer(buffer, lineterminator=lineterminator).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_cells(ws, row: Iterable) -> list:
    """One worksheet row as cells for ``ws.append``: text neutralised and typed as a string, never a formula."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cells = []
    for value in row:
        value = neutralise(value)
        if isinstance(value, str):
            cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
            cell.data_type = "s"
        else:
            cell = WriteOnlyCell(ws, value=value)
        cells.append(cell)
    return cells


def xlsx_append(ws, row: Iterable) -> None:
    ws.append(xlsx_cells(ws, row))


# The longest cell an upload may hold: the csv module's own default field limit. The module's limit is
# lifted (once, for the process) so that a longer cell is read whole and reported as its row's problem
# with its column, rather than ending the read of the record mid-row.
MAX_CELL = 131_072
csv.field_size_limit(sys.maxsize)


@dataclass
class CsvRecord:
    """One record of a CSV file: its number (the header is 1), its cells, and what is wrong with it if anything.

    A record with a problem still carries its cells (a null character shown as U+FFFD, a cell too long cut
    short), so a reader can go on matching rows by their ids; only a record the csv module could not
    split has none.
    """

    line: int
    values: list[str] = field(default_factory=list)
    problem: str = ""
    column: int | None = None  # the index of the offending cell, when known


def read_csv(text: str) -> Iterator[CsvRecord]:
    """The file's records in order, cells restored (see ``restore``), each with its problem if any."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 0
    while True:
        line += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield CsvRecord(line, problem=_("This row could not be read as CSV: %(error)s.") % {"error": exc})
            continue
        record = CsvRecord(line, values)
        for index, value in enumerate(values):
            if len(value) > MAX_CELL:
                values[index] = value[:40] + "\u2026"  # kept short: messages about the row may quote it
                problem = _("This cell is longer than %(limit)s characters.") % {"limit": f"{MAX_CELL:,}"}
            elif "\x00" in value:
                values[index] = value.replace("\x00", "\ufffd")
                problem = _("Null characters are not allowed.")
            else:
                values[index] = restore(value)
                continue
            if not record.problem:
                record.problem, record.column = problem, index
        yield record
