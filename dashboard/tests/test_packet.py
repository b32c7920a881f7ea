"""The board packet's PDF prints names in any script, and says clearly when its fonts are missing."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from dashboard import checks, packet, registry
from dashboard.choices import Direction, Priority, Unit
from district.models import School

from .test_views import TODAY, snapshots_for

pytestmark = pytest.mark.django_db

LONG_SPANISH = "Escuela Primaria Bilingüe José Martí de la Comunidad Hispana del Barrio Frog Hollow"
SCHOOLS = {
    "es": LONG_SPANISH,
    "vi": "Trường Tiểu học Nguyễn Văn Trỗi",
    "ar": "مدرسة الأمل الابتدائية",
    "zh": "北京市第一实验小学",
}
KPIS = {
    "es": "Niños que llegan a tiempo en autobús",
    "vi": "Tỷ lệ học sinh đến trường đúng giờ",
    "ar": "نسبة الحضور اليومي",
    "zh": "每日出勤率",
}


@pytest.fixture
def named_kpis():
    """KPIs whose names are in Spanish, Vietnamese, Arabic and Chinese, one per priority."""
    kpis = []
    for (lang, name), priority in zip(KPIS.items(), Priority.values, strict=True):
        kpi = registry.Kpi(
            key=f"test_named_{lang}", name=name, department="reporting", priority=priority,
            unit=Unit.PERCENT, direction=Direction.HIGHER, definition=f"{name}: definición, định nghĩa, تعريف, 定义",
            formula="a ÷ b × 100", source="—", version=1, compute=lambda ctx: registry.KpiResult(),
        )  # fmt: skip
        kpis.append(registry.register(kpi))
    yield kpis
    for kpi in kpis:
        registry.unregister(kpi.key)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_packet_pdf_prints_school_and_kpi_names_in_four_scripts(login, world, named_kpis):
    world.lincoln.name = SCHOOLS["es"]
    world.lincoln.save()
    world.washington.name = SCHOOLS["vi"]
    world.washington.save()
    schools = [
        world.lincoln,
        world.washington,
        School.objects.create(district=world.district, name=SCHOOLS["ar"], state_school_id="6409001"),
        School.objects.create(district=world.district, name=SCHOOLS["zh"], state_school_id="6409002"),
    ]
    snapshots_for(world, schools)
    response = login(world.coo).get(reverse("dashboard:packet"), {"as_of": TODAY.isoformat(), "fmt": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for name in KPIS.values():
        assert name in text, name
    for lang in ("vi", "ar", "zh"):
        assert SCHOOLS[lang] in text, SCHOOLS[lang]
    # The long name is shortened with an ellipsis (the character a core PDF font cannot draw).
    assert LONG_SPANISH not in text
    assert "Escuela Primaria Bilingüe José" in text and "…" in text
    fonts = {
        str(font["/BaseFont"])
        for page in PdfReader(io.BytesIO(response.content)).pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("DejaVuSans" in f for f in fonts) and any("DroidSansFallback" in f for f in fonts), fonts
    assert not any(f.endswith(("Helvetica", "Helvetica-Bold")) for f in fonts), fonts


def test_every_priority_without_kpis_names_its_departments_in_the_packet(login, world):
    snapshots_for(world, [world.lincoln])
    response = login(world.coo).get(reverse("dashboard:packet"), {"as_of": TODAY.isoformat(), "fmt": "pdf"})
    text = " ".join(pdf_text(response.content).split())
    assert "The departments that will feed this priority: Transportation, Food and Child Nutrition Services" in text


def test_a_font_given_by_path_is_used(login, world, settings):
    found = packet.font_files()
    settings.OPS_PDF_FONT_DIRS = []
    settings.OPS_PDF_FONT, settings.OPS_PDF_FONT_BOLD = found["regular"], found["bold"]
    settings.OPS_PDF_FALLBACK_FONTS = found["fallback"]
    assert packet.font_files() == found
    snapshots_for(world, [world.lincoln])
    response = login(world.coo).get(reverse("dashboard:packet"), {"as_of": TODAY.isoformat(), "fmt": "pdf"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_a_missing_font_is_a_clear_error_and_the_spreadsheet_still_downloads(login, world, settings):
    settings.OPS_PDF_FALLBACK_FONTS = ["NoSuchFallback.ttf"]
    with pytest.raises(packet.PdfFontMissing, match=r"NoSuchFallback\.ttf.*OPS_PDF_FALLBACK_FONTS"):
        packet.font_files()
    settings.OPS_PDF_FALLBACK_FONTS = []
    settings.OPS_PDF_FONT = "NoSuchFont.ttf"
    with pytest.raises(packet.PdfFontMissing, match=r"NoSuchFont\.ttf.*OPS_PDF_FONT.*fonts-dejavu-core"):
        packet.font_files()
    [warning] = checks.pdf_fonts()
    assert warning.id == "dashboard.W001" and "NoSuchFont.ttf" in warning.msg
    out = io.StringIO()
    call_command("check", stdout=out, stderr=out)
    assert "dashboard.W001" in out.getvalue()
    snapshots_for(world, [world.lincoln])
    client = login(world.coo)
    response = client.get(reverse("dashboard:packet"), {"as_of": TODAY.isoformat(), "fmt": "pdf"})
    assert response.status_code == 503
    assert "its fonts are not installed" in response.content.decode()
    response = client.get(reverse("dashboard:packet"), {"as_of": TODAY.isoformat(), "fmt": "xlsx"})
    assert response.status_code == 200


def test_with_the_fonts_installed_the_check_is_quiet():
    assert checks.pdf_fonts() == []
