"""Django admin for administrators' configuration (issue 6): fee items, dunning policies
and steps, policy settings, the FAQ, working-day calendars, LPR rates, projects, users.
Bills, ledger entries, payments, notices and approvals are read-only here: money and
evidence change only through the services (STYLE §4)."""

from django.contrib import admin

from wuye.approvals.models import ApprovalRequest
from wuye.billing.models import Bill, FeeItem
from wuye.collection.models import FaqEntry
from wuye.dunning.models import DunningPolicy, DunningStep, Notice
from wuye.ledger.models import Entry
from wuye.legal.models import LprRate
from wuye.payments.models import Payment
from wuye.policies.models import PolicySetting
from wuye.properties.models import Project
from wuye.web.models import Membership
from wuye.workdays.models import CalendarDay


class ReadOnly(admin.ModelAdmin):
    """Shown, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Bill)
class BillAdmin(ReadOnly):
    list_display = ["number", "account", "period_start", "due_date", "total", "status"]
    list_filter = ["project", "status"]
    search_fields = ["number", "account__code", "account__unit__code"]
    list_select_related = ["account"]
    show_full_result_count = False


@admin.register(Entry)
class EntryAdmin(ReadOnly):
    list_display = ["id", "account", "kind", "component", "amount", "value_date", "actor"]
    list_filter = ["kind"]
    search_fields = ["account__code"]
    list_select_related = ["account"]
    show_full_result_count = False


@admin.register(Payment)
class PaymentAdmin(ReadOnly):
    list_display = ["receipt_number", "account", "amount", "method", "paid_on", "actor"]
    list_filter = ["project", "method"]
    search_fields = ["receipt_number", "account__code"]
    list_select_related = ["account"]
    show_full_result_count = False


@admin.register(Notice)
class NoticeAdmin(ReadOnly):
    list_display = ["number", "account", "step", "issued_on", "status", "total"]
    list_filter = ["project", "action", "status"]
    search_fields = ["number", "account__code", "account__unit__code"]
    list_select_related = ["account", "step"]
    show_full_result_count = False


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnly):
    list_display = ["number", "kind", "account", "amount", "status", "requested_by"]
    list_filter = ["kind", "status"]


class StepInline(admin.TabularInline):
    model = DunningStep
    extra = 0
    fields = ["position", "track", "code", "name", "action", "template", "role",
              "days_overdue", "gap_days", "min_arrears", "min_age_days", "without_result",
              "repeat_every_days", "pay_within_days"]  # fmt: skip


@admin.register(DunningPolicy)
class DunningPolicyAdmin(admin.ModelAdmin):
    """Policies are data (E2); a step that would threaten a utility is refused (X1:
    DunningStep.clean)."""

    list_display = ["code", "name", "segments", "min_amount"]
    inlines = [StepInline]
    readonly_fields = ["changed_by", "changed_at"]

    def save_model(self, request, obj, form, change):
        from django.utils import timezone

        obj.changed_by = request.user.get_username()
        obj.changed_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(FeeItem)
class FeeItemAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "tax_rate", "bears_late_fee", "pass_through"]


@admin.register(PolicySetting)
class PolicySettingAdmin(admin.ModelAdmin):
    list_display = ["key", "project", "segment", "value", "changed_by", "changed_at"]
    readonly_fields = ["changed_by", "changed_at"]

    def save_model(self, request, obj, form, change):
        from django.utils import timezone

        obj.changed_by = request.user.get_username()
        obj.changed_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ["reason", "question", "sort_order", "active"]
    list_filter = ["reason", "active"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["calendar", "date", "is_workday"]
    list_filter = ["calendar", "is_workday"]


@admin.register(LprRate)
class LprRateAdmin(admin.ModelAdmin):
    list_display = ["effective_from", "rate"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "handover_time", "language", "time_zone"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Who works on which project in which role (staff see only their projects)."""

    list_display = ["user", "project", "role", "granted_by", "granted_at"]
    list_filter = ["role", "project"]
    search_fields = ["user__username"]
    readonly_fields = ["granted_by", "granted_at"]

    def save_model(self, request, obj, form, change):
        obj.granted_by = request.user.get_username()
        super().save_model(request, obj, form, change)
