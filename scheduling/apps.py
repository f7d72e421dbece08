from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self):
        from . import (
            receivers,  # noqa: F401  (calendar sync and texts on appointment changes)
            shop_time_zone,  # noqa: F401  (its system check)
        )
