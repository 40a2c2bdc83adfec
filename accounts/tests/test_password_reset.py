"""Password reset: the same answer, in the same time, whatever the address; the email is
sent by a Celery task (item 7 of issue 16)."""

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.urls import reverse

from accounts import tasks
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    return UserFactory(email="ann@example.org", full_name="Ann Example")


@pytest.fixture
def enqueued(monkeypatch):
    calls = []
    monkeypatch.setattr(tasks.send_password_reset, "apply_async", lambda **kw: calls.append(kw))
    return calls


def ask(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("password_reset"), {"email": email})


@pytest.mark.parametrize("email", ["ann@example.org", "nobody@example.org"])
def test_asking_only_enqueues_and_sends_nothing_while_the_page_waits(
    client, person, email, enqueued, django_capture_on_commit_callbacks, django_assert_num_queries
):
    with django_assert_num_queries(0):  # not even a look-up: the task does it
        response = ask(client, email, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []
    assert enqueued == [{"kwargs": {"email": email}, "retry": False}]


def test_the_answer_is_the_same_whatever_the_address(
    client, person, enqueued, django_capture_on_commit_callbacks
):
    answers = []
    for email in ("ann@example.org", "nobody@example.org"):
        response = ask(client, email, django_capture_on_commit_callbacks)
        answers.append((response.status_code, response["Location"]))
    assert answers[0] == answers[1]
    done = client.get(reverse("password_reset_done")).content.decode()
    assert "If an account uses that address" in done


def test_the_task_mails_a_working_link(
    client, person, eager_celery, sent_link, django_capture_on_commit_callbacks
):
    ask(client, "ANN@Example.org", django_capture_on_commit_callbacks)
    assert mail.outbox[0].to == ["Ann Example <ann@example.org>"]
    assert mail.outbox[0].subject == "Reset your IPCoP password"
    link = sent_link()
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    set_url = form_page.redirect_chain[-1][0]
    data = {"new_password1": "a-long-passphrase-42", "new_password2": "a-long-passphrase-42"}
    assert client.post(set_url, data).status_code == 302
    person.refresh_from_db()
    assert person.check_password("a-long-passphrase-42")
    assert (
        client.post(
            reverse("login"), {"username": "ann@example.org", "password": "a-long-passphrase-42"}
        ).status_code
        == 302
    )
    assert get_user(client) == person


@pytest.mark.parametrize(
    "email",
    ["nobody@example.org", "\u0430nn@example.org", "inactive@example.org", "nopass@example.org"],
)
def test_the_task_sends_nothing_to_an_unknown_disabled_or_passwordless_address(email):
    UserFactory(email="inactive@example.org", is_active=False)
    passwordless = UserFactory(email="nopass@example.org")
    passwordless.set_unusable_password()
    passwordless.save()
    assert tasks.send_password_reset.run(email=email) == 0
    assert mail.outbox == []
