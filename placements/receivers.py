"""The placements app's part in what lower apps announce."""

from django.dispatch import receiver

from accounts.signals import person_erased
from placements.models import Placement, PlacementRequest, Student


@receiver(person_erased, dispatch_uid="placements.erase_person")
def erase_person(sender, *, person, **kwargs) -> None:
    """Their student number and the notes written on their placements and on the
    requests for them."""
    Student.objects.filter(user=person).update(student_number="")
    Placement.objects.filter(student__user=person).update(notes="")
    PlacementRequest.objects.filter(student__user=person).update(notes="")
