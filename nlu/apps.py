from django.apps import AppConfig


class NluConfig(AppConfig):
    name = "nlu"

    def ready(self) -> None:
        from django.conf import settings

        from nlu import sentences, understanding

        sentences.use_store(settings.MODELS_DIR / "sentences.sqlite3")
        understanding.use_classifier_folder(settings.MODELS_DIR / "intent-classifiers")
