"""Formula neutralising in every export, and reading neutralised cells back on import."""

import csv
import datetime
import decimal
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from core import spreadsheets
from core.models import User
from core.tests.sample.models import Widget

from .factories import WidgetFactory

FORMULAS = ['=HYPERLINK("http://x.example","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_text_gets_an_apostrophe(text):
    assert spreadsheets.neutralise(text) == "'" + text
    assert spreadsheets.restore("'" + text) == text


@pytest.mark.parametrize(
    "value",
    [None, "", "plain", "O'Brien", "'quoted", 5, -5, 1.5, decimal.Decimal("-2.5"), True, datetime.date(2026, 1, 2)],
)
def test_other_values_are_left_as_they_are(value):
    assert spreadsheets.neutralise(value) == value


@given(st.text())
def test_restore_undoes_neutralise(text):
    written = spreadsheets.neutralise(text)
    assert written[:1] not in spreadsheets.FORMULA_STARTS
    assert spreadsheets.restore(written) == text


def test_xlsx_text_is_a_string_cell_never_a_formula():
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    spreadsheets.xlsx_append(ws, ["=1+1", "#N/A", "bell\x07", 3, datetime.date(2026, 1, 2)])
    buffer = io.BytesIO()
    wb.save(buffer)
    row = next(load_workbook(io.BytesIO(buffer.getvalue())).active.iter_rows())
    assert [c.data_type for c in row] == ["s", "s", "s", "n", "d"]
    assert [c.value for c in row][:3] == ["'=1+1", "#N/A", "bell\ufffd"]


def test_list_export_neutralises_csv_and_xlsx(world, login):
    WidgetFactory(school=world.lincoln, name='=HYPERLINK("http://x.example","click")')
    c = login(world.facilities_manager)
    text = b"".join(c.get("/sample/widget/?export=csv").streaming_content).decode().lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    name = rows[0].index("name")
    assert rows[1][name] == '\'=HYPERLINK("http://x.example","click")'
    book = load_workbook(io.BytesIO(c.get("/sample/widget/?export=xlsx").content))
    cells = list(book.active.iter_rows())
    cell = cells[1][[h.value for h in cells[0]].index("name")]
    assert (cell.data_type, cell.value) == ("s", '\'=HYPERLINK("http://x.example","click")')


def _exported(response, fmt) -> list[list[str]]:
    if fmt == "csv":
        text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
        return list(csv.reader(io.StringIO(text)))
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def _upload(rows, fmt):
    """The rows as a file, cell for cell (what a user saving the export unchanged would send)."""
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        upload = io.BytesIO(out.getvalue().encode())
    else:
        from openpyxl import Workbook

        wb = Workbook()
        for row in rows:
            wb.active.append(row)
        upload = io.BytesIO()
        wb.save(upload)
        upload.seek(0)
    upload.name = f"users.{fmt}"
    return upload


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_keeps_the_value(world, login, fmt):
    """A neutralised cell reads back as the value it stands for: the round trip changes nothing."""
    from district.tests.factories import RoleAssignmentFactory

    user = User.objects.create(username="clerk", first_name="=1+1", last_name="-minus", email="c@example.org")
    RoleAssignmentFactory(user=user, district=world.district)
    c = login(world.district_admin)
    rows = _exported(c.get(f"/core/user/?export={fmt}&q=clerk"), fmt)
    assert rows[1][rows[0].index("first name")] == "'=1+1"
    names = {str(User._meta.get_field(n).verbose_name): n for n in ("username", "first_name", "last_name", "email")}
    keep = [i for i, label in enumerate(rows[0]) if label in names]
    rows = [[names[rows[0][i]] for i in keep], *[[row[i] for i in keep] for row in rows[1:]]]
    response = c.post("/core/user/import/", {"file": _upload(rows, fmt)})
    assert response.status_code == 200, response.context["plan"].problems
    assert c.post("/core/user/import/", {"token": response.context["token"]}).status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("=1+1", "-minus")


def test_import_reads_neutralised_cells_back(world, login):
    data = b'name,school,count\n"\'=2+2",6400011,1\n"\'\'@x",6400011,2\n"\'plain",6400011,3\n'
    upload = io.BytesIO(data)
    upload.name = "widgets.csv"
    c = login(world.facilities_manager)
    response = c.post("/sample/widget/import/", {"file": upload})
    assert response.status_code == 200, response.context["plan"].problems
    c.post("/sample/widget/import/", {"token": response.context["token"]})
    assert set(Widget.objects.values_list("name", flat=True)) == {"=2+2", "'@x", "'plain"}
