"""System checks of the dashboard: the board packet's PDF fonts are installed."""

from django.core import checks


@checks.register()
def pdf_fonts(app_configs=None, **kwargs):
    from .packet import PdfFontMissing, font_files

    try:
        font_files()
    except PdfFontMissing as exc:
        return [
            checks.Warning(
                str(exc),
                hint="apt-get install fonts-dejavu-core fonts-droid-fallback (see README, Dashboard).",
                id="dashboard.W001",
            )
        ]
    return []
