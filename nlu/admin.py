"""Django admin for NLU objects (instance administrators)."""

from django.contrib import admin

from nlu.models import Intent, ModelVersion, Slot, TrainingExample, TrainingRun


@admin.register(Intent)
class IntentAdmin(admin.ModelAdmin):
    list_display = ["name", "bot", "is_global"]
    list_filter = ["is_global"]
    search_fields = ["name"]


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["name", "bot", "type", "unit"]
    list_filter = ["type"]
    search_fields = ["name"]


@admin.register(TrainingExample)
class TrainingExampleAdmin(admin.ModelAdmin):
    list_display = ["text", "intent", "bot", "source", "created_at"]
    list_filter = ["source"]
    search_fields = ["text"]
    raw_id_fields = ["intent", "created_by"]


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "bot", "status", "stage", "step", "total_steps", "loss", "worker", "heartbeat_at",
                    "created_at"]
    list_filter = ["status"]
    readonly_fields = ["loss_history", "metrics"]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["bot", "number", "is_active", "path", "created_at"]
    list_filter = ["is_active"]
