from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "Customers and vehicles"

    def ready(self):
        from . import signals  # noqa: F401  (caller-ID cache invalidation)
