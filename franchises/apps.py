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


def _role_groups_after_migrate(sender, **kwargs) -> None:
    """After `migrate` has made every app's permissions (each app's own post_migrate does; this runs
    on the last app's), the roles' groups get the ones declared since they were made."""
    from django.apps import apps as global_apps

    from franchises.roles import role_groups_sync

    if sender is [config for config in global_apps.get_app_configs() if config.models_module][-1]:
        role_groups_sync()


class FranchisesConfig(AppConfig):
    name = "franchises"
    verbose_name = "Franchises and access"

    def ready(self) -> None:
        post_migrate.connect(_schedules_after_migrate, sender=self)
        post_migrate.connect(_role_groups_after_migrate)
