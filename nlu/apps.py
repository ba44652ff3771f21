from django.apps import AppConfig


class NluConfig(AppConfig):
    name = "nlu"
