from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _schedules_after_migrate(sender, apps, **kwargs) -> None:
    """`migrate` also brings django-q2's schedules in line with every app's schedules.py."""
    from franchises.schedules_sync import schedules_sync

    try:
        apps.get_model("django_q", "Schedule")
    except LookupError:  # django_q's tables are not migrated (yet)
        return
    schedules_sync(app_registry=apps)


class FranchisesConfig(AppConfig):
    name = "franchises"
    verbose_name = "Franchises and access"

    def ready(self) -> None:
        post_migrate.connect(_schedules_after_migrate, sender=self)
