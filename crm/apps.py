from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "Customers and vehicles"

    def ready(self):
        from . import receivers, signals  # noqa: F401  (cache invalidation; VIN decoding on new vehicles)
