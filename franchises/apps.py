from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _schedules_after_migrate(sender, apps=None, **kwargs) -> None:
    """`migrate` (and `flush`, which sends the same signal) also brings django-q2's schedules in
    line with every app's schedules.py."""
    from django.apps import apps as global_apps

    from franchises.schedules_sync import schedules_sync

    registry = apps or global_apps
    try:
        registry.get_model("django_q", "Schedule")
    except LookupError:  # django_q's tables are not migrated (yet)
        return
    schedules_sync(app_registry=registry)


class FranchisesConfig(AppConfig):
    name = "franchises"
    verbose_name = "Franchises and access"

    def ready(self) -> None:
        post_migrate.connect(_schedules_after_migrate, sender=self)
