from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "minqing.evaluation"
    verbose_name = "考核评价"

    def ready(self) -> None:
        from . import consumers  # noqa: F401 - registers the consumer
