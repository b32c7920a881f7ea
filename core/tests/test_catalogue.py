"""The Spanish catalogue is complete: every string of the source is in it, translated, and not fuzzy.

A string added to the code or a template without its translation fails here;
``make messages`` adds it to the catalogue, then it is translated there.
"""

import shutil
from pathlib import Path

import pytest

from core import catalogue

PO = catalogue.catalogue_path("es")


@pytest.fixture(scope="module")
def source_keys():
    """Every translatable string of the project, extracted as ``make messages`` does (a few seconds)."""
    return catalogue.source_keys()


def _rewrite(src: Path, dest: Path, old: str, new: str) -> Path:
    text = src.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in the catalogue"
    dest.write_text(text.replace(old, new, 1), encoding="utf-8")
    return dest


def test_catalogue_is_complete(source_keys):
    assert len(source_keys) > 500, "the extraction found too few strings: is xgettext installed?"
    problems = catalogue.missing(PO, source_keys) + catalogue.problems(PO)
    assert not problems, "Run `make messages` and translate these in locale/es/LC_MESSAGES/django.po:\n" + "\n".join(
        problems
    )


def test_navigation_and_report_strings_are_extracted(source_keys):
    msgids = {msgid for _ctx, msgid, _plural in source_keys}
    # A department's name, a report's title and description, a KPI's name, a navigation heading.
    assert {
        "Enrollment and School Choice",
        "October 1 membership worksheet",
        "The grades each school offers in the year.",
        "Building utilization",
        "Reporting",
    } <= msgids
    # Strings of tests and of the pure modules are not the users' and stay out.
    assert not any("Test identity provider" in m for m in msgids)


def test_an_untranslated_entry_fails(tmp_path):
    copy = _rewrite(
        PO, tmp_path / "django.po", 'msgid "Sign out"\nmsgstr "Cerrar sesión"', 'msgid "Sign out"\nmsgstr ""'
    )
    assert catalogue.problems(copy) == ["untranslated: 'Sign out'"]


def test_a_fuzzy_entry_fails(tmp_path):
    copy = _rewrite(PO, tmp_path / "django.po", 'msgid "Sign out"\n', '#, fuzzy\nmsgid "Sign out"\n')
    assert catalogue.problems(copy) == ["fuzzy: 'Sign out'"]


def test_a_lost_placeholder_fails(tmp_path):
    copy = _rewrite(
        PO,
        tmp_path / "django.po",
        'msgstr "Se desvinculó %(identity)s."',
        'msgstr "Se desvinculó la identidad."',
    )
    assert catalogue.problems(copy) == [
        "placeholders or tags differ: 'Unlinked %(identity)s.' -> 'Se desvinculó la identidad.'"
    ]


def test_a_string_missing_from_the_catalogue_fails(tmp_path, source_keys):
    copy = _rewrite(PO, tmp_path / "django.po", 'msgid "Sign out"\nmsgstr "Cerrar sesión"\n', "")
    assert catalogue.missing(copy, source_keys) == ["missing: 'Sign out'"]
    assert catalogue.missing(PO, source_keys) == []


def test_a_new_string_in_the_source_is_found_and_reported_missing(tmp_path):
    """A new module with a string nobody translated: the extraction finds it, the check names it."""
    app = tmp_path / "newapp"
    app.mkdir()
    (app / "views.py").write_text(
        "from django.utils.translation import gettext as _\n\n\ndef view():\n    return _('Bus stops near you')\n"
    )
    (app / "tests").mkdir()
    (app / "tests" / "test_x.py").write_text("from django.utils.translation import gettext as _\n_('Only a test')\n")
    templates = app / "templates"
    templates.mkdir()
    (templates / "page.html").write_text('{% load i18n %}<h1>{% translate "Sign out" %}</h1>')
    keys = catalogue.source_keys(root=tmp_path)
    assert keys == {(None, "Bus stops near you", None), (None, "Sign out", None)}
    assert catalogue.missing(PO, keys) == ["missing: 'Bus stops near you'"]


def test_the_check_command_fails_on_an_incomplete_catalogue(tmp_path, settings):
    """``manage.py catalogue --check`` (CI and the merger) reads the catalogue under LOCALE_PATHS."""
    import io

    from django.core.management import CommandError, call_command

    locale = tmp_path / "locale"
    (locale / "es" / "LC_MESSAGES").mkdir(parents=True)
    _rewrite(
        PO,
        catalogue.catalogue_path("es", locale),
        'msgid "Sign out"\nmsgstr "Cerrar sesión"',
        'msgid "Sign out"\nmsgstr ""',
    )
    settings.LOCALE_PATHS = [locale]
    with pytest.raises(CommandError, match="1 catalogue entries need work"):
        call_command("catalogue", "--check", stdout=io.StringIO())


def test_parse_reads_plurals_contexts_and_continued_lines(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: es\\n"\n\n'
        '#, python-format\nmsgid "%(n)s record"\nmsgid_plural "%(n)s records"\n'
        'msgstr[0] "%(n)s registro"\nmsgstr[1] ""\n\n'
        'msgctxt "action"\nmsgid "change"\nmsgstr "modificar"\n\n'
        'msgid ""\n"A long "\n"text"\nmsgstr ""\n"Un texto "\n"largo"\n\n'
        '#~ msgid "Gone"\n#~ msgstr ""\n',
        encoding="utf-8",
    )
    entries = catalogue.parse(po)
    assert [(e.msgctxt, e.msgid, e.msgid_plural, e.msgstr, e.obsolete) for e in entries] == [
        (None, "%(n)s record", "%(n)s records", ["%(n)s registro", ""], False),
        ("action", "change", None, ["modificar"], False),
        (None, "A long text", None, ["Un texto largo"], False),
        (None, "Gone", None, [""], True),
    ]
    assert catalogue.problems(po) == ["untranslated: '%(n)s record'"]


def test_compiled_catalogue_is_current():
    """The .mo file Django reads holds every translation of the .po file (``make messages`` compiles it)."""
    import gettext

    with PO.with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for e in catalogue.parse(PO):
        if e.obsolete or e.fuzzy:
            continue
        if e.msgid_plural is None:
            got = [compiled.pgettext(e.msgctxt, e.msgid) if e.msgctxt else compiled.gettext(e.msgid)]
        else:
            got = [compiled.ngettext(e.msgid, e.msgid_plural, n) for n in (1, 2)]
        if got != e.msgstr:
            stale.append(str(e))
    assert not stale, "Compile the catalogue (make messages): " + ", ".join(stale[:10])
    assert shutil.which("msgfmt"), "gettext tools (msgfmt, xgettext) are needed to update the catalogue"
