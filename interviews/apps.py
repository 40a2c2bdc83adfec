from django.apps import AppConfig
from django.db.models.signals import post_migrate

from ipcop.lib.migrations import table_exists

# The data migrations seed the reference rows once; they are refreshed on post_migrate too,
# because a database flush (a transactional test's teardown, `manage.py flush`) empties
# every table and only post_migrate runs again afterwards.


def seed_themes(using, **kwargs) -> None:
    from interviews.models import Theme
    from ipcop.lib.reference_data import THEMES

    if not table_exists(Theme, using):
        return  # a partial `migrate` stopped before this table; its data migration seeds
    for order, (name, description) in enumerate(THEMES, start=1):
        Theme.objects.using(using).get_or_create(
            name=name, defaults={"description": description, "order": order}
        )


class InterviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "interviews"

    def ready(self):
        from interviews import receivers  # noqa: F401  (connects them)

        post_migrate.connect(seed_themes, sender=self)
