"""Update the translation catalogue from the source (``make messages``), or check it (``--check``)."""

from django.core.management.base import BaseCommand, CommandError

from core import catalogue


class Command(BaseCommand):
    help = (
        "Extract the project's translatable strings into locale/<language>/LC_MESSAGES/django.po (keeping "
        "translations) and compile it; then list the entries still to translate. With --check, change "
        "nothing and fail if the catalogue lacks a string of the source or holds an entry untranslated or fuzzy."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Change nothing; fail on anything to translate.")

    def handle(self, *args, check=False, **options):
        if not check:
            catalogue.update()
        found = []
        for language in catalogue.LANGUAGES:
            path = catalogue.catalogue_path(language)
            listed = catalogue.problems(path)
            if check:
                listed = catalogue.missing(path, catalogue.source_keys()) + listed
            found += [f"{language}: {line}" for line in listed]
        for line in found:
            self.stdout.write(line)
        if found and check:
            raise CommandError(f"{len(found)} catalogue entries need work (make messages, then translate them).")
        self.stdout.write(f"{len(found)} entries to translate." if found else "The catalogue is complete.")
