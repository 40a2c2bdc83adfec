from django.apps import AppConfig
from django.db.models.signals import post_migrate

from ipcop.lib.migrations import table_exists

# The data migrations seed the reference rows once; they are refreshed on post_migrate too,
# because a database flush (a transactional test's teardown, `manage.py flush`) empties
# every table and only post_migrate runs again afterwards.


def seed_frameworks(using, **kwargs) -> None:
    from ipcop.lib.reference_data import FRAMEWORKS
    from mentoring.models import CompetencyDomain, CompetencyFramework

    if not table_exists(CompetencyDomain, using):
        return  # a partial `migrate` stopped before this table; its data migration seeds
    for code, name, year, is_default, domains in FRAMEWORKS:
        framework, _ = CompetencyFramework.objects.using(using).get_or_create(
            code=code, defaults={"name": name, "year": year, "is_default": is_default}
        )
        for order, (domain_code, domain_name) in enumerate(domains, start=1):
            CompetencyDomain.objects.using(using).get_or_create(
                framework=framework,
                code=domain_code,
                defaults={"name": domain_name, "order": order},
            )


class MentoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mentoring"

    def ready(self):
        from mentoring import receivers  # noqa: F401  (connects them)

        post_migrate.connect(seed_frameworks, sender=self)
