from django.apps import AppConfig


class ValhallaConfig(AppConfig):
    name = "valhalla"
    verbose_name = "Valhalla"
