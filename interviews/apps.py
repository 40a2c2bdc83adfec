from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _reseed_reference_data(using, **kwargs):
    from django.db import connections

    from interviews.models import Theme
    from ipcop.lib.reference_data import seed_reference_data
    from mentoring.models import CompetencyDomain

    tables = connections[using].introspection.table_names()
    # A partial `migrate` may stop before our tables exist; the data migrations seed later.
    if Theme._meta.db_table in tables and CompetencyDomain._meta.db_table in tables:
        seed_reference_data()


class InterviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "interviews"

    def ready(self):
        from interviews import receivers  # noqa: F401  (connects them)

        # Sent once per migrate or flush for this app, after every app's tables exist.
        post_migrate.connect(_reseed_reference_data, sender=self)
