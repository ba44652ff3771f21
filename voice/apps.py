from django.apps import AppConfig


class VoiceConfig(AppConfig):
    name = "voice"

    def ready(self) -> None:
        from flows.signals import flow_published
        from voice.services import send_presynthesis

        flow_published.connect(send_presynthesis, dispatch_uid="voice.presynthesis")
