from django.apps import AppConfig


class ScenariosConfig(AppConfig):
    name = "scenarios"
    verbose_name = "Scenarios"

    def ready(self) -> None:
        from scenarios import simulators

        simulators.load()
