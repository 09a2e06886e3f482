from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from shops.admin_io import ShopScopedExportMixin
from shops.models import ActivityEntry, Shop, User
from shops.resources import ActivityEntryResource


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "created_at"]
    search_fields = ["name"]


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    list_display = ["username", "shop", "role", "is_active", "is_superuser", "last_login"]
    list_filter = ["role", "is_active", "is_superuser", "shop"]
    list_select_related = ["shop"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Loyalty", {"fields": ["shop", "role", "language"]}),
    ]
    add_fieldsets = [
        *UserAdmin.add_fieldsets,
        ("Loyalty", {"fields": ["shop", "role"]}),
    ]


@admin.register(ActivityEntry)
class ActivityEntryAdmin(ShopScopedExportMixin, admin.ModelAdmin):
    """Read-only: the log is append-only. Exported one shop at a time, never imported."""

    resource_classes = [ActivityEntryResource]

    list_display = ["created_at", "shop", "actor_name", "kind", "summary", "ip"]
    list_filter = ["kind"]
    list_select_related = ["shop"]
    search_fields = ["summary", "target_label", "actor_name"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
