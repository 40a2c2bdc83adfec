"""The mentoring app's part in what lower apps announce."""

from django.dispatch import receiver

from accounts.signals import person_erased
from mentoring.models import SessionStudent


@receiver(person_erased, dispatch_uid="mentoring.erase_person")
def erase_person(sender, *, person, **kwargs) -> None:
    """Their reflections on the sessions they attended."""
    SessionStudent.objects.filter(student__user=person).exclude(reflection="").update(reflection="")
