from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "minqing.meetings"
    verbose_name = "议事协商"

    def ready(self) -> None:
        from . import signals  # noqa: F401
