"""Personas for the interviews tests: a facilitator of site A, a preceptor, a student, an
outsider facilitating site B, an admin."""

import pytest

from accounts.tests.factories import UserFactory
from sites.tests.factories import SiteFactory


@pytest.fixture
def facilitator(db):
    return UserFactory(facilitator=True, full_name="Fran Facilitator")


@pytest.fixture
def site_a(facilitator):
    return SiteFactory(name="Site A", facilitators=[facilitator])


@pytest.fixture
def outsider(db):
    return UserFactory(facilitator=True, full_name="Otto Outsider")


@pytest.fixture
def site_b(outsider):
    return SiteFactory(name="Site B", facilitators=[outsider])


@pytest.fixture
def preceptor(db):
    return UserFactory(preceptor=True, full_name="Pat Preceptor")


@pytest.fixture
def admin_user(db):
    return UserFactory(admin=True, full_name="Ada Admin")


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
