import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from accounts.tests.factories import UserFactory
from ipcop import permissions
from mentoring import services
from mentoring.models import (
    Activity,
    CompetencyDomain,
    MentorAssignment,
    MentoringSession,
    MentorRole,
    SessionProfessional,
    SessionStudent,
)
from mentoring.tests.factories import default_domains
from placements.models import PlacementModel, PlacementStatus
from placements.tests.factories import PlacementFactory, ProgramFactory, StudentFactory

pytestmark = pytest.mark.django_db


def log(preceptor, site, students, **overrides):
    kwargs = {
        "logged_by": preceptor,
        "site": site,
        "held_on": timezone.localdate(),
        "duration_minutes": 60,
        "activity": Activity.SHADOWING,
        "students": students,
    }
    kwargs.update(overrides)
    return services.session_log(**kwargs)


# --- Teams -----------------------------------------------------------------------------


def test_team_set_accepts_primary_and_mentor_of_other_profession(placement, nursing, pharmacy):
    primary = UserFactory(preceptor=True, profession=nursing)
    ip = UserFactory(preceptor=True, profession=pharmacy)
    services.team_set(placement=placement, primary=primary, mentors=[ip], by=primary)
    roles = dict(placement.mentors.values_list("mentor_id", "role"))
    assert roles == {primary.pk: MentorRole.PRIMARY, ip.pk: MentorRole.IP_MENTOR}
    assert placement.mentors.get(mentor=ip).profession == pharmacy


def test_ip_placement_team_of_one_profession_is_refused_with_the_rule(placement, nursing):
    primary = UserFactory(preceptor=True, profession=nursing)
    same = UserFactory(preceptor=True, profession=nursing)
    with pytest.raises(ValidationError) as error:
        services.team_set(placement=placement, primary=primary, mentors=[same], by=primary)
    assert "other than the student's (Nursing)" in " ".join(error.value.messages)
    assert not placement.mentors.exists()


def test_traditional_placement_needs_only_a_primary_preceptor(student, site_a, nursing):
    placement = PlacementFactory(student=student, site=site_a, model=PlacementModel.TRADITIONAL)
    primary = UserFactory(preceptor=True, profession=nursing)
    services.team_set(placement=placement, primary=primary, mentors=[], by=primary)
    assert placement.mentors.count() == 1


def test_team_set_refuses_a_person_who_is_not_a_preceptor(placement, pharmacy):
    clerk = UserFactory(profession=pharmacy)
    with pytest.raises(ValidationError, match="not an active preceptor"):
        services.team_set(placement=placement, primary=clerk, mentors=[], by=clerk)


def test_team_set_swaps_the_primary_preceptor(placement, team, pharmacy):
    preceptor, pharmacist = team
    services.team_set(placement=placement, primary=pharmacist, mentors=[preceptor], by=preceptor)
    assert placement.mentors.get(role=MentorRole.PRIMARY).mentor == pharmacist
    assert placement.mentors.count() == 2


def test_removing_the_only_other_profession_mentor_is_refused(placement, team):
    _, pharmacist = team
    assignment = placement.mentors.get(mentor=pharmacist)
    with pytest.raises(ValidationError, match="cannot be removed"):
        services.mentor_remove(assignment=assignment, by=pharmacist)
    assert MentorAssignment.objects.filter(pk=assignment.pk).exists()


def test_removing_a_spare_mentor_works(placement, team, physiotherapist):
    from mentoring.tests.conftest import add_mentor

    extra = add_mentor(placement, physiotherapist)
    services.mentor_remove(assignment=extra, by=physiotherapist)
    assert placement.mentors.count() == 2


# --- Session log -----------------------------------------------------------------------


def test_session_log_records_students_placement_and_professions(
    placement, team, physiotherapist, student
):
    preceptor, _ = team
    domains = list(default_domains()[:2])
    session = log(
        preceptor, placement.site, [student], professionals=[physiotherapist], domains=domains
    )
    row = SessionStudent.objects.get(session=session)
    assert row.placement == placement
    professions = dict(
        SessionProfessional.objects.filter(session=session).values_list(
            "person_id", "profession__code"
        )
    )
    # The logging preceptor is counted as present.
    assert professions == {preceptor.pk: "nursing", physiotherapist.pk: "physiotherapy"}
    assert set(session.domains.all()) == set(domains)


def test_session_in_the_future_is_refused(placement, team, student):
    with pytest.raises(ValidationError) as error:
        log(
            team[0],
            placement.site,
            [student],
            held_on=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert "future" in error.value.message_dict["held_on"][0]
    assert not MentoringSession.objects.exists()


@pytest.mark.parametrize("minutes", [0, 721])
def test_session_of_zero_or_over_twelve_hours_is_refused(placement, team, student, minutes):
    with pytest.raises(ValidationError) as error:
        log(team[0], placement.site, [student], duration_minutes=minutes)
    assert "duration_minutes" in error.value.message_dict


def test_twelve_hours_exactly_is_accepted(placement, team, student):
    assert log(team[0], placement.site, [student], duration_minutes=720).duration_minutes == 720


def test_student_not_placed_at_the_site_on_that_date_is_refused(placement, team, student, site_b):
    with pytest.raises(ValidationError) as error:
        log(team[0], site_b, [student])
    assert "Not placed at Site B" in error.value.message_dict["students"][0]
    before = placement.start_date - datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="Not placed"):
        log(team[0], placement.site, [student], held_on=before)
    assert not MentoringSession.objects.exists()


def test_student_of_a_cancelled_placement_is_refused(placement, team, student):
    placement.status = PlacementStatus.CANCELLED
    placement.save()
    with pytest.raises(ValidationError, match="Not placed"):
        log(team[0], placement.site, [student])


def test_session_may_hold_students_of_several_professions(placement, team, student, pharmacy):
    other = StudentFactory(program=ProgramFactory(profession=pharmacy))
    PlacementFactory(
        student=other, site=placement.site, start_date=placement.start_date, active=True
    )
    session = log(team[0], placement.site, [student, other])
    assert session.attendance.count() == 2


def test_domains_of_a_framework_no_student_uses_are_refused(placement, team, student):
    ipec = CompetencyDomain.objects.filter(framework__code="ipec-2023")[:1]
    with pytest.raises(ValidationError) as error:
        log(team[0], placement.site, [student], domains=list(ipec))
    assert "domains" in error.value.message_dict


def test_domains_follow_the_program_framework(placement, team, student):
    from mentoring.models import CompetencyFramework

    program = student.program
    program.framework = CompetencyFramework.objects.get(code="ipec-2023")
    program.save()
    ipec = list(CompetencyDomain.objects.filter(framework__code="ipec-2023")[:1])
    session = log(team[0], placement.site, [student], domains=ipec)
    assert list(session.domains.all()) == ipec


# --- Edit window -----------------------------------------------------------------------


def _age(session, days):
    MentoringSession.objects.filter(pk=session.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days)
    )
    session.refresh_from_db()


def update_kwargs(session, **changes):
    kwargs = {
        "held_on": session.held_on,
        "duration_minutes": session.duration_minutes,
        "activity": session.activity,
        "students": list(session.students.all()),
        "professionals": [],
        "domains": [],
        "notes": session.notes,
    }
    kwargs.update(changes)
    return kwargs


def test_preceptor_edits_own_session_within_window_and_reflections_survive(
    placement, team, student
):
    preceptor, _ = team
    session = log(preceptor, placement.site, [student])
    SessionStudent.objects.filter(session=session).update(reflection="Learned a lot.")
    _age(session, 13)
    services.session_update(session=session, **update_kwargs(session, duration_minutes=90))
    session.refresh_from_db()
    assert session.duration_minutes == 90
    assert SessionStudent.objects.get(session=session).reflection == "Learned a lot."


def manageable(user, session) -> bool:
    return permissions.sessions_manageable_by(user).filter(pk=session.pk).exists()


@override_settings(SESSION_EDIT_WINDOW=datetime.timedelta(days=14))
def test_preceptor_cannot_edit_or_delete_after_the_window(placement, team, student):
    preceptor, _ = team
    session = log(preceptor, placement.site, [student])
    _age(session, 13)
    assert manageable(preceptor, session)
    _age(session, 15)
    assert not manageable(preceptor, session)


def test_facilitator_and_admin_edit_after_the_window(
    placement, team, student, facilitator, admin_user
):
    session = log(team[0], placement.site, [student])
    _age(session, 100)
    assert manageable(facilitator, session) and manageable(admin_user, session)
    services.session_update(session=session, **update_kwargs(session, notes="fixed"))
    services.session_delete(session=session)
    assert not MentoringSession.objects.exists()


def test_another_preceptor_cannot_edit(placement, team, student):
    preceptor, pharmacist = team
    session = log(preceptor, placement.site, [student])
    assert not manageable(pharmacist, session)


def test_update_applies_the_same_rules(placement, team, student):
    session = log(team[0], placement.site, [student])
    with pytest.raises(ValidationError):
        services.session_update(session=session, **update_kwargs(session, duration_minutes=0))
    session.refresh_from_db()
    assert session.duration_minutes == 60


# --- Reflection ------------------------------------------------------------------------


def test_student_reflects_on_a_session_they_attended(placement, team, student):
    session = log(team[0], placement.site, [student])
    row = session.attendance.get()
    services.session_reflect(
        attendance=row, by=student.user, reflection="  Pharmacists check doses. "
    )
    row.refresh_from_db()
    assert row.reflection == "Pharmacists check doses."
    assert row.reflected_at is not None


def test_only_the_attending_student_may_reflect(placement, team, student):
    session = log(team[0], placement.site, [student])
    with pytest.raises(PermissionDenied):
        services.session_reflect(attendance=session.attendance.get(), by=team[0], reflection="x")


def test_overlong_reflection_is_refused(placement, team, student):
    session = log(team[0], placement.site, [student])
    with pytest.raises(ValidationError):
        services.session_reflect(
            attendance=session.attendance.get(), by=student.user, reflection="x" * 2001
        )


def test_an_empty_reflection_is_refused(placement, team, student):
    row = log(team[0], placement.site, [student]).attendance.get()
    with pytest.raises(ValidationError) as error:
        services.session_reflect(attendance=row, by=student.user, reflection="  ")
    assert "Write your reflection" in error.value.message_dict["reflection"][0]
