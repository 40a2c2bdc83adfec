"""The audit log: who viewed, created, changed or was refused a placement, a student's
record, a follow-up or an interview record — never the confidential content itself."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def events(**filters):
    return list(
        AuditEvent.objects.filter(**filters).values_list("action", "object_type", "object_id")
    )


def test_viewing_a_placement_is_logged_with_person_role_site_and_address(client_as, world):
    facilitator = world.a.facilitator
    client_as(facilitator).get(reverse("placements:detail", args=[world.a.placement.pk]))
    event = AuditEvent.objects.get()
    assert event.person == facilitator
    assert event.person_label == facilitator.email
    assert event.role == "facilitator"
    assert (event.action, event.object_type) == (AuditAction.VIEW, "placements.placement")
    assert event.object_id == str(world.a.placement.pk)
    assert event.site_id == world.a.site.pk
    assert event.ip_address == "127.0.0.1"
    assert event.path == reverse("placements:detail", args=[world.a.placement.pk])


def test_viewing_a_followup_logs_the_followup_and_its_record(client_as, world):
    client_as(world.a.facilitator).get(
        reverse("interviews:followup_detail", args=[world.a.followup.pk])
    )
    assert sorted(events()) == sorted(
        [
            (AuditAction.VIEW, "interviews.followup", str(world.a.followup.pk)),
            (AuditAction.VIEW, "interviews.interviewrecord", str(world.a.record.pk)),
        ]
    )


def test_viewing_a_learning_record_is_logged(client_as, world):
    client_as(world.a.mentor.mentor).get(
        reverse("mentoring:learning_record", args=[world.a.student.pk])
    )
    assert events() == [(AuditAction.VIEW, "placements.student", str(world.a.student.pk))]


def test_the_log_never_holds_the_confidential_content(client_as, world):
    client = client_as(world.a.facilitator)
    client.get(reverse("interviews:record_interview", args=[world.a.followup.pk]))
    client.post(
        reverse("interviews:record_interview", args=[world.a.followup.pk]),
        {"conducted_on": timezone.localdate(), "notes": "SECRET-NOTE-TEXT"},
    )
    assert [e[0] for e in events(object_type="interviews.interviewrecord")] == [
        AuditAction.CHANGE,
        AuditAction.VIEW,
    ]
    for row in AuditEvent.objects.values():
        assert "SECRET-NOTE-TEXT" not in str(row)
        assert world.a.record.notes not in str(row)


def test_writes_are_logged(client_as, world):
    client = client_as(world.a.facilitator)
    client.post(
        reverse("placements:transition", args=[world.a.placement.pk]), {"to_status": "completed"}
    )
    client.post(reverse("interviews:followup_close", args=[world.b.followup.pk]), {})
    assert events(action=AuditAction.CHANGE) == [
        (AuditAction.CHANGE, "placements.placement", str(world.a.placement.pk))
    ]


def test_a_refused_look_at_another_sites_record_is_logged_as_denied(client_as, world):
    response = client_as(world.a.facilitator).get(
        reverse("placements:detail", args=[world.b.placement.pk])
    )
    assert response.status_code == 404
    assert events() == [(AuditAction.DENIED, "placements.placement", str(world.b.placement.pk))]


def test_a_403_on_a_visible_record_is_logged_as_denied(client_as, world):
    """The student sees their placement but may not change it: the refusal is logged by
    the middleware, whichever line of the view raised it."""
    response = client_as(world.a.student.user).post(
        reverse("placements:transition", args=[world.a.placement.pk]), {"to_status": "completed"}
    )
    assert response.status_code == 403
    assert events() == [(AuditAction.DENIED, "placements.placement", str(world.a.placement.pk))]


def test_a_403_on_the_interview_pages_is_logged_for_the_followup(client_as, world):
    response = client_as(world.a.student.user).get(
        reverse("interviews:record_interview", args=[world.a.followup.pk])
    )
    assert response.status_code == 403
    assert events() == [(AuditAction.DENIED, "interviews.followup", str(world.a.followup.pk))]


def test_a_missing_object_is_not_logged(client_as, world):
    response = client_as(world.a.facilitator).get(reverse("placements:detail", args=[999999]))
    assert response.status_code == 404
    assert events() == []


def test_a_403_on_a_page_without_an_audited_object_logs_nothing(client_as, world):
    response = client_as(world.a.student.user).get(reverse("sites:list"))
    assert response.status_code == 403
    assert events() == []


def test_the_log_is_append_only(world, client_as):
    client_as(world.a.facilitator).get(reverse("placements:detail", args=[world.a.placement.pk]))
    event = AuditEvent.objects.get()
    event.action = AuditAction.DELETE
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(action=AuditAction.DELETE)
    assert AuditEvent.objects.get().action == AuditAction.VIEW


def test_admins_filter_the_log_by_action_and_object(client_as, world):
    client_as(world.a.facilitator).get(reverse("placements:detail", args=[world.b.placement.pk]))
    client_as(world.a.facilitator).get(reverse("placements:detail", args=[world.a.placement.pk]))
    admin = client_as(world.admin)
    url = reverse("admin:accounts_auditevent_changelist")
    response = admin.get(url, {"action": "denied"})
    assert response.status_code == 200
    assert [e.action for e in response.context["cl"].result_list] == [AuditAction.DENIED]
    response = admin.get(
        url, {"q": str(world.a.placement.pk), "object_type": "placements.placement"}
    )
    assert {e.object_id for e in response.context["cl"].result_list} >= {str(world.a.placement.pk)}
