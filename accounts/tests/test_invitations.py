"""Invitations: how people without a usable password get in (item 7 of issue 16)."""

import datetime

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import services, tasks
from accounts.models import Invitation, User
from accounts.tests.factories import UserFactory
from ipcop.permissions import people_invitable_by
from placements.services import student_enrol
from placements.tests.factories import PlacementFactory, ProgramFactory
from sites.tests.factories import CommunityOfPracticeFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported():
    """A student as the import creates them: no usable password, never logged in."""
    student = student_enrol(email="new@example.org", full_name="Nia New", program=ProgramFactory())
    return student.user


@pytest.fixture
def admin(db):
    return UserFactory(admin=True, full_name="Ada Admin")


def invite(person, by, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.invitation_send(person=person, sent_by=by)


def test_an_imported_person_has_no_usable_password_and_reset_mails_them_nothing(
    client, imported, eager_celery, django_capture_on_commit_callbacks
):
    assert not imported.has_usable_password()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": imported.email})
    assert mail.outbox == []


def test_an_imported_person_gets_in_by_invitation(
    client, imported, admin, eager_celery, sent_link, django_capture_on_commit_callbacks
):
    invite(imported, admin, django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    assert message.to == ["Nia New <new@example.org>"]
    assert "Ada Admin invited you" in message.body
    link = sent_link()
    page = client.get(link)
    assert page.status_code == 200
    assert "Choose your password" in page.content.decode()
    assert "new@example.org" in page.content.decode()
    response = client.post(
        link, {"new_password1": "a-long-passphrase-42", "new_password2": "a-long-passphrase-42"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert get_user(client) == imported
    imported.refresh_from_db()
    assert imported.check_password("a-long-passphrase-42")
    assert Invitation.objects.get().used_at is not None


def test_the_link_works_once(
    client, imported, admin, eager_celery, sent_link, django_capture_on_commit_callbacks
):
    invite(imported, admin, django_capture_on_commit_callbacks)
    link = sent_link()
    data = {"new_password1": "a-long-passphrase-42", "new_password2": "a-long-passphrase-42"}
    client.post(link, data)
    client.logout()
    response = client.get(link)
    assert response.status_code == 410
    assert "already used" in response.content.decode()
    assert client.post(link, {**data, "new_password1": "another-passphrase-43"}).status_code == 410
    imported.refresh_from_db()
    assert imported.check_password("a-long-passphrase-42")


def test_an_expired_link_says_so(
    client, imported, admin, eager_celery, sent_link, django_capture_on_commit_callbacks
):
    invite(imported, admin, django_capture_on_commit_callbacks)
    week_ago = timezone.now() - datetime.timedelta(days=7)
    Invitation.objects.update(created_at=week_ago, expires_at=week_ago + datetime.timedelta(days=6))
    response = client.get(sent_link())
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_an_unknown_link_answers_404_with_what_to_do(client):
    response = client.get(reverse("invitation_accept", args=["0" * 64]))
    assert response.status_code == 404
    assert "does not work" in response.content.decode()


def test_a_weak_password_is_refused_on_the_page(
    client, imported, admin, eager_celery, sent_link, django_capture_on_commit_callbacks
):
    invite(imported, admin, django_capture_on_commit_callbacks)
    response = client.post(sent_link(), {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Invitation.objects.get().used_at is None


def test_only_a_hash_of_the_token_is_stored_and_the_task_takes_an_id(
    imported, admin, django_capture_on_commit_callbacks, monkeypatch
):
    calls = []
    monkeypatch.setattr(tasks.send_invitation, "apply_async", lambda **kw: calls.append(kw))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = services.invitation_send(person=imported, sent_by=admin)
    assert calls == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert calls == [{"kwargs": {"invitation_id": invitation.pk}, "retry": False}]
    token = services.invitation_token(invitation)
    assert token not in str(Invitation.objects.filter(pk=invitation.pk).values().get())
    assert services.invitation_for_token(token) == invitation


def test_the_email_task_builds_the_same_link_twice(imported, admin, sent_link):
    invitation = services.invitation_send(person=imported, sent_by=admin)
    tasks.send_invitation.run(invitation_id=invitation.pk)
    first = sent_link()
    mail.outbox.clear()
    tasks.send_invitation.run(invitation_id=invitation.pk)  # a redelivered message
    assert sent_link() == first


def test_a_newer_invitation_and_an_older_one_are_both_closed_by_accepting_either(
    imported, admin, clock_minutes
):
    first = services.invitation_send(person=imported, sent_by=admin)
    clock_minutes(11)
    services.invitation_send(person=imported, sent_by=admin)
    services.invitation_accept(
        token=services.invitation_token(first), password="a-long-passphrase-42"
    )
    assert not Invitation.objects.filter(used_at__isnull=True).exists()


@pytest.fixture
def clock_minutes(monkeypatch):
    """`clock_minutes(n)`: timezone.now() runs n minutes ahead from now on."""
    offset = datetime.timedelta()
    real = timezone.now

    def advance(minutes: int) -> None:
        nonlocal offset
        offset += datetime.timedelta(minutes=minutes)

    monkeypatch.setattr(timezone, "now", lambda: real() + offset)
    return advance


def test_resending_is_rate_limited(imported, admin, clock_minutes):
    services.invitation_send(person=imported, sent_by=admin)
    with pytest.raises(ValidationError, match="less than 10 minutes ago"):
        services.invitation_send(person=imported, sent_by=admin)
    for _ in range(services.INVITATIONS_PER_DAY - 1):
        clock_minutes(11)
        services.invitation_send(person=imported, sent_by=admin)
    clock_minutes(11)
    with pytest.raises(ValidationError, match="5 invitations in the last 24 hours"):
        services.invitation_send(person=imported, sent_by=admin)
    clock_minutes(24 * 60)
    services.invitation_send(person=imported, sent_by=admin)


def test_people_who_already_log_in_or_are_disabled_are_not_invited(admin):
    active = UserFactory(last_login=timezone.now())
    with pytest.raises(ValidationError, match="already uses IPCoP"):
        services.invitation_send(person=active, sent_by=admin)
    disabled = UserFactory(is_active=False)
    with pytest.raises(ValidationError, match="disabled"):
        services.invitation_send(person=disabled, sent_by=admin)
    assert not Invitation.objects.exists()


def test_an_invitation_older_than_a_login_no_longer_works(imported, admin):
    invitation = services.invitation_send(person=imported, sent_by=admin)
    User.objects.filter(pk=imported.pk).update(last_login=timezone.now())
    with pytest.raises(ValidationError, match="already used"):
        services.invitation_accept(
            token=services.invitation_token(invitation), password="a-long-passphrase-42"
        )


def test_an_import_invites_its_new_people_in_a_few_queries(
    admin, django_assert_max_num_queries, django_capture_on_commit_callbacks, eager_celery
):
    program = ProgramFactory()
    people = [
        student_enrol(email=f"new{n}@example.org", full_name=f"New {n}", program=program).user
        for n in range(20)
    ]
    already_in = UserFactory(last_login=timezone.now())
    services.invitation_send(person=people[0], sent_by=admin)  # invited a minute ago
    # Savepoint, lock the people, their recent invitations, one INSERT, release.
    with django_assert_max_num_queries(5):
        count = services.invitations_send_for_import(people=[*people, already_in], sent_by=admin)
    assert count == 19
    assert Invitation.objects.filter(person__in=people[1:]).count() == 19
    with django_capture_on_commit_callbacks(execute=True):
        services.invitations_send_for_import(people=people[:3] + [UserFactory()], sent_by=admin)
    assert len(mail.outbox) == 1  # only the person not invited lately


# --- Who may invite whom, and the page -----------------------------------------------------


@pytest.fixture
def placed():
    """A facilitator's site with a student placed there; a student placed elsewhere."""
    facilitator = UserFactory(facilitator=True)
    here = PlacementFactory(site=SiteFactory(facilitators=[facilitator]))
    elsewhere = PlacementFactory()
    return facilitator, here.student.user, elsewhere.student.user


def test_facilitators_may_invite_the_people_of_their_sites_only(placed, admin):
    facilitator, here, elsewhere = placed
    assert set(people_invitable_by(facilitator)) >= {here, facilitator}
    assert elsewhere not in people_invitable_by(facilitator)
    assert elsewhere in people_invitable_by(admin)
    assert not people_invitable_by(UserFactory(preceptor=True)).exists()


def test_a_cancelled_placement_links_nobody_a_cops_facilitator_is_linked(placed):
    facilitator, here, _ = placed
    site = facilitator.facilitated_sites.get()
    cancelled = PlacementFactory(site=site, cancelled=True).student.user
    cop_facilitator = UserFactory(facilitator=True)
    CommunityOfPracticeFactory(site=site, facilitators=[cop_facilitator])
    invitable = set(people_invitable_by(facilitator))
    assert cancelled not in invitable
    assert {here, cop_facilitator} <= invitable


def test_a_facilitator_confirms_then_invites_one_person(
    client, placed, django_capture_on_commit_callbacks, eager_celery
):
    facilitator, here, _ = placed
    client.force_login(facilitator)
    url = reverse("invitation_send", args=[here.pk])
    page = client.get(url, {"next": "/placements/"})
    assert page.status_code == 200
    content = page.content.decode()
    assert "<h1" in content and "Send an invitation" in content
    assert here.email in content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"next": "/placements/"})
    assert response.status_code == 302
    assert response["Location"] == "/placements/"
    assert Invitation.objects.get().created_by == facilitator
    assert len(mail.outbox) == 1
    # A second click within ten minutes is refused with the reason.
    response = client.post(url, {"next": "https://evil.example/"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "less than 10 minutes ago" in response.content.decode()
    assert Invitation.objects.count() == 1


def test_a_person_of_another_site_is_not_found_and_other_roles_are_refused(client, placed):
    facilitator, _, elsewhere = placed
    client.force_login(facilitator)
    assert client.post(reverse("invitation_send", args=[elsewhere.pk])).status_code == 404
    client.force_login(UserFactory(preceptor=True))
    assert client.get(reverse("invitation_send", args=[elsewhere.pk])).status_code == 403
    assert not Invitation.objects.exists()


def test_the_admin_action_sends_invitations_and_names_the_refused(
    client, admin, imported, django_capture_on_commit_callbacks, eager_celery
):
    already_in = UserFactory(last_login=timezone.now(), full_name="Ola Old")
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "send_invitation", "_selected_action": [imported.pk, already_in.pk]},
            follow=True,
        )
    content = response.content.decode()
    assert "Sent 1 invitation(s)." in content
    assert "Ola Old already uses IPCoP" in content
    assert [m.to for m in mail.outbox] == [["Nia New <new@example.org>"]]
