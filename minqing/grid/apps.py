from django.apps import AppConfig


class GridConfig(AppConfig):
    name = "minqing.grid"
    verbose_name = "网格走访"
