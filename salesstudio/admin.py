"""Django admin for the instance administrator (staff accounts)."""

from django.contrib import admin

from salesstudio.models import Bot, Invitation, Job, Membership, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(Bot)
class BotAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "dialect", "updated_at"]
    list_filter = ["dialect", "workspace"]
    search_fields = ["name", "slug"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "workspace", "role", "created_at", "accepted_at"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["kind", "workspace", "status", "progress", "created_at", "finished_at"]
    list_filter = ["status", "kind"]
