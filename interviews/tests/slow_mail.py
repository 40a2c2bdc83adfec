"""A file email backend that takes its time, so a test can kill a worker mid-sweep."""

import time

from django.conf import settings
from django.core.mail.backends.filebased import EmailBackend


class SlowFileEmailBackend(EmailBackend):
    def send_messages(self, email_messages):
        # The delay comes before the write, as an SMTP round trip would.
        time.sleep(getattr(settings, "SLOW_MAIL_SECONDS", 0))
        return super().send_messages(email_messages)
