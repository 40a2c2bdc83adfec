from django.apps import AppConfig


class MentoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mentoring"

    def ready(self):
        from mentoring import receivers  # noqa: F401  (connects them)
