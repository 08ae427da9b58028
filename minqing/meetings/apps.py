from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "minqing.meetings"
    verbose_name = "议事协商"

    def ready(self) -> None:
        from . import consumers  # noqa: F401 - registers the consumer
