"""Personas for the interviews tests: a facilitator of site A, a preceptor, a student, an
outsider facilitating site B, an admin."""

import pytest

from accounts.tests.factories import UserFactory


@pytest.fixture
def preceptor(db):
    return UserFactory(preceptor=True, full_name="Pat Preceptor")


@pytest.fixture
def client_for(client):
    def log_in(user):
        client.force_login(user)
        return client

    return log_in


@pytest.fixture(autouse=True)
def eager_celery(request):
    """Outside the real-worker tests, tasks run in-process when enqueued (after commit)."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    from ipcop.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
