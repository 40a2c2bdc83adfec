"""`manage.py load_demo`: build or refresh the fictional demo world (see ipcop/lib/demo.py)."""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from ipcop.lib.demo import load_demo


class Command(BaseCommand):
    help = (
        "Create or refresh the demo data: seven fictional sites with their communities of "
        "practice, people, placements, mentoring sessions and follow-ups. Safe to run again."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        with transaction.atomic():
            result = load_demo()
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{count} {what}" for what, count in result.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {elapsed:.1f}s: {summary}."))
        self.stdout.write("Log in as:")
        for role, email, password in result.logins:
            self.stdout.write(f"  {role:<12} {email:<28} password: {password}")
