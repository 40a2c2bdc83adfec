"""`manage.py load_demo`: build or refresh the fictional demo world (see ipcop/demo/)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ipcop.demo.loader import load_demo
from ipcop.demo.world import DemoDataError


class Command(BaseCommand):
    help = (
        "Create or refresh the demo data: seven fictional sites with their communities of "
        "practice, people, placements, mentoring sessions and follow-ups. Safe to run again."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            with transaction.atomic():
                result = load_demo()
        except DemoDataError as error:
            # The message names the data file and the entry; a traceback would bury it.
            raise CommandError(f"Demo data: {error}") from error
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{count} {what}" for what, count in result.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {elapsed:.1f}s: {summary}."))
        self.stdout.write("Log in as:")
        for role, email, password in result.logins:
            self.stdout.write(f"  {role:<12} {email:<28} password: {password}")
