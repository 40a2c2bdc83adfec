from django.apps import AppConfig
from django.db.models.signals import post_migrate

from ipcop.lib.migrations import table_exists

# The data migrations seed the reference rows once; they are refreshed on post_migrate too,
# because a database flush (a transactional test's teardown, `manage.py flush`) empties
# every table and only post_migrate runs again afterwards.


def seed_professions(using, **kwargs) -> None:
    from accounts.models import Profession
    from ipcop.lib.reference_data import PROFESSIONS

    if not table_exists(Profession, using):
        return  # a partial `migrate` stopped before this table; its data migration seeds
    for code, name in PROFESSIONS:
        Profession.objects.using(using).get_or_create(code=code, defaults={"name": name})


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        post_migrate.connect(seed_professions, sender=self)
