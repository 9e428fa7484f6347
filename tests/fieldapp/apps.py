from django.apps import AppConfig


class FieldAppConfig(AppConfig):
    """A tests-only app holding a model with an encrypted field (installed by config/test_settings.py only)."""

    name = "tests.fieldapp"
    label = "fieldapp"
    default_auto_field = "django.db.models.BigAutoField"
