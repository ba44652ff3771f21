from django.apps import AppConfig


class SalesStudioConfig(AppConfig):
    name = "salesstudio"
    verbose_name = "SalesStudio"
