from django.apps import AppConfig


class FranchisesConfig(AppConfig):
    name = "franchises"
    verbose_name = "Franchises and access"
