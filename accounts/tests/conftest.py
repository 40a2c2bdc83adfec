"""Fixtures of the accounts tests."""

import re

import pytest
from django.core import mail


@pytest.fixture
def eager_celery():
    """Tasks run in this process when enqueued (after commit), as a worker would run them."""
    from ipcop.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def sent_link():
    """The link of the only email sent, as a path (SITE_URL is empty in tests)."""

    def find() -> str:
        assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
        body = str(mail.outbox[0].body)
        match = re.search(r"^(\S*/accounts/\S+/)$", body, re.MULTILINE)
        assert match, body
        return match.group(1)

    return find
