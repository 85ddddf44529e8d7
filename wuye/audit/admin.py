"""The audit log in the admin: shown, never added, changed or deleted (issue 8)."""

from django.contrib import admin

from wuye.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["id", "at", "actor", "action", "table", "object_id", "seq"]
    list_filter = ["action", "table"]
    search_fields = ["actor", "object_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
