"""The mentoring app's part in what lower apps announce: an erased person's words
(reflections, comments) go; a placement confirmed or started is due its evaluations, whose due dates follow its
dates; a cancelled one drops those nobody began."""

from django.dispatch import receiver

from accounts.signals import person_erased
from mentoring import services
from mentoring.models import PlacementEvaluation, SessionStudent, StudentPlacementFeedback
from placements.signals import (
    placement_activated,
    placement_cancelled,
    placement_confirmed,
    placement_dates_changed,
    placements_activated,
)


@receiver(person_erased, dispatch_uid="mentoring.erase_person")
def erase_person(sender, *, person, **kwargs) -> None:
    """Their words: reflections on the sessions they attended, comments on their
    evaluations and on their placements."""
    SessionStudent.objects.filter(student__user=person).exclude(reflection="").update(reflection="")
    PlacementEvaluation.objects.filter(placement__student__user=person).exclude(
        student_comment=""
    ).update(student_comment="")
    StudentPlacementFeedback.objects.filter(placement__student__user=person).exclude(
        comments=""
    ).update(comments="")


@receiver(placement_confirmed, dispatch_uid="mentoring.evaluations_on_confirm")
def evaluations_on_confirm(sender, *, placement, **kwargs) -> None:
    services.evaluations_for_placement(placement=placement)


@receiver(placement_activated, dispatch_uid="mentoring.evaluations_on_start")
def evaluations_on_start(sender, *, placement, **kwargs) -> None:
    # Made at confirmation already, unless the placement skipped it (an admin's edit).
    services.evaluations_for_placement(placement=placement)


@receiver(placements_activated, dispatch_uid="mentoring.evaluations_on_import")
def evaluations_on_import(sender, *, placements, **kwargs) -> None:
    services.evaluations_for_placements(placements=placements)


@receiver(placement_dates_changed, dispatch_uid="mentoring.evaluations_rescheduled")
def evaluations_rescheduled(sender, *, placement, **kwargs) -> None:
    services.evaluations_reschedule(placement=placement)


@receiver(placement_cancelled, dispatch_uid="mentoring.evaluations_on_cancel")
def evaluations_on_cancel(sender, *, placement, **kwargs) -> None:
    services.evaluations_drop_unstarted(placement=placement)
