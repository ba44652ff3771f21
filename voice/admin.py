"""Django admin for recordings (instance administrators)."""

from django.contrib import admin

from voice.models import Recording, Segment


class SegmentInline(admin.TabularInline):
    model = Segment
    extra = 0
    fields = ["index", "start", "end", "speaker", "text", "confidence", "example"]
    raw_id_fields = ["example"]


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = ["original_name", "bot", "status", "progress", "duration", "channels", "created_at"]
    list_filter = ["status", "format"]
    search_fields = ["original_name", "sha256"]
    readonly_fields = ["sha256", "size", "format", "duration", "channels", "created_at", "updated_at", "transcribed_at"]
    inlines = [SegmentInline]
