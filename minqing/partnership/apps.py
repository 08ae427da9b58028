from django.apps import AppConfig


class PartnershipConfig(AppConfig):
    name = "minqing.partnership"
    verbose_name = "双向清单"
