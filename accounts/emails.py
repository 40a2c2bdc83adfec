"""Building the emails sent to one person (invitations, password resets).

Every header value that comes from stored data goes through `clean_header_text` here,
whatever was stored: a name with a line break, written before names were cleaned on
input or by a bulk write that skipped `User.save`, must never make building fail
(BadHeaderError on every retry of the worker)."""

from __future__ import annotations

from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from accounts.identifiers import clean_header_text


def absolute_url(path: str) -> str:
    """`path` at the address people reach IPCoP at (SITE_URL), for links in emails."""
    return settings.SITE_URL.rstrip("/") + path


def person_email(*, person, subject: str, template: str, context: dict) -> EmailMessage:
    """An email to `person` (a User), addressed by name, body rendered from `template`
    with `person` in its context."""
    return EmailMessage(
        subject=clean_header_text(subject),
        body=render_to_string(template, {"person": person, **context}),
        to=[formataddr((clean_header_text(person.full_name), person.email))],
    )
