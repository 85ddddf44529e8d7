"""What the API reads and writes (issue 6). Input serializers only parse and check the
form of the input (the services decide the rest); output serializers format what the
selectors and services return: amounts as strings with 2 decimals, dates ISO."""

from __future__ import annotations

import datetime as dt

from django.utils import translation
from django.utils.functional import lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from wuye.api.errors import InvalidInput, plain
from wuye.billing.models import Bill, BillLine
from wuye.dates import Period
from wuye.dunning.models import Notice
from wuye.errors import WuyeError
from wuye.money import parse_amount
from wuye.payments.models import Payment
from wuye.properties.models import Account, Contact, Customer, Project, Unit

# --- input ---------------------------------------------------------------------------


def validated(serializer_class, data, **context) -> dict:
    """The validated input, or `InvalidInput` with the messages per field in English and
    in Chinese (validation is pure, so running it once per language is safe)."""
    with translation.override("en"):
        serializer = serializer_class(data=data, context=context)
        if serializer.is_valid():
            return serializer.validated_data
        fields = serializer.errors
    with translation.override("zh-hant"):
        chinese = serializer_class(data=data, context=context)
        chinese.is_valid()
        fields_zh = chinese.errors
    raise InvalidInput(plain(fields), plain(fields_zh))


def _zh() -> bool:
    return (translation.get_language() or "").startswith("zh")


def _both(en: str, zh: str):
    """A message in the active language (for the few DRF messages without a Traditional
    Chinese translation)."""
    return lazy(lambda: zh if _zh() else en, str)()


def _refuse(error: WuyeError, field: str | None = None, *, own: str | None = None):
    """A service's parse error as a field's validation error, in the active language:
    `own` is the name of the field raising it (its "name: " prefix is dropped, the error
    is shown under that name anyway), `field` the field a serializer-level check names."""
    message = error.message_zh if _zh() else error.message
    if own:
        message = message.removeprefix(f"{own}: ").removeprefix(f"{own}：")
    raise serializers.ValidationError({field: [message]} if field else message, code=error.code)


class DateField(serializers.DateField):
    default_error_messages = {
        "invalid": _both("not a date: use YYYY-MM-DD", "不是日期：請用 YYYY-MM-DD 格式"),
        "datetime": _both("a date, not a date and time", "須為日期，不含時間"),
    }


class BooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": _both("must be true or false", "須為 true 或 false")}


@extend_schema_field({"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "example": "2503.75"})
class AmountField(serializers.Field):
    """A money amount sent as a string ("1234.50"): positive, at most 2 decimals (分), not
    absurdly large (wuye.money.parse_amount). A JSON number with a fraction is refused: a
    float has already lost the exact value."""

    default_error_messages = {
        "float": _both(
            'send the amount as a string with at most 2 decimals, e.g. "1234.50"',
            "金額須以字串傳送，最多兩位小數，例如「1234.50」",
        ),
        "type": _both("not an amount", "不是金額"),
    }

    def to_internal_value(self, data):
        if isinstance(data, float):
            self.fail("float")
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("type")
        try:
            return parse_amount(str(data), field=self.field_name)
        except WuyeError as error:
            _refuse(error, own=self.field_name)

    def to_representation(self, value):
        return f"{value:.2f}"


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}$", "example": "09:00"})
class ClockTime(serializers.TimeField):
    """A local time of day sent as "HH:MM" (the OpenAPI "time" format would promise
    RFC 3339's "09:00:00Z", which this is not)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-03"})
class PeriodField(serializers.CharField):
    """A billing period YYYY-MM (wuye.dates.Period)."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return Period.parse(text)
        except WuyeError as error:
            _refuse(error, own="period")


def Money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


class ProjectFilter(serializers.Serializer):
    project = serializers.CharField(required=False, max_length=20, help_text="project code")


class OnFilter(serializers.Serializer):
    on = DateField(required=False, help_text="as-of date YYYY-MM-DD (default today)")


class UnitFilter(ProjectFilter, OnFilter):
    building = serializers.CharField(required=False, max_length=20, help_text="building code")
    q = serializers.CharField(required=False, max_length=100, help_text="unit code or customer")


class AccountFilter(ProjectFilter, OnFilter):
    q = serializers.CharField(
        required=False, max_length=100, help_text="account code, unit code or customer name"
    )
    in_arrears = BooleanField(
        required=False, allow_null=True, default=None,
        help_text="true: only accounts with something past its due date still open (E1) on `on`",
    )  # fmt: skip


class BillFilter(ProjectFilter):
    account = serializers.IntegerField(required=False, min_value=1, help_text="account id")
    status = serializers.ChoiceField(required=False, choices=Bill.Status.choices)
    period = PeriodField(required=False, help_text="YYYY-MM")


class PaymentFilter(ProjectFilter):
    account = serializers.IntegerField(required=False, min_value=1, help_text="account id")


class NoticeFilter(ProjectFilter):
    status = serializers.ChoiceField(required=False, choices=Notice.Status.choices)
    on = DateField(required=False, help_text="issued on this date")


TASK_KINDS = ["handover", "delivery", "notice", "call"]


class TaskFilter(ProjectFilter, OnFilter):
    kind = serializers.ChoiceField(required=False, choices=TASK_KINDS, help_text="one list only")
    at = serializers.TimeField(
        required=False,
        help_text="local time HH:MM for hand-over lateness (A1) and quiet hours (R2); "
        "default now on today, else 10:00",
    )
    offset = serializers.IntegerField(required=False, min_value=0, default=0)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=50)


class PaymentInput(serializers.Serializer):
    """A payment to record (P1): the account by id, or the unit whose payer on `paid_on`
    pays (as `wuye payments record --unit`)."""

    account = serializers.IntegerField(required=False, min_value=1, help_text="account id")
    unit = serializers.CharField(required=False, max_length=60, help_text="unit code")
    amount = AmountField()
    paid_on = DateField()
    method = serializers.ChoiceField(choices=Payment.Method.choices, default=Payment.Method.CASH)
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    bill = serializers.CharField(
        required=False, allow_blank=True, max_length=40, default="",
        help_text="a bill the payer designates (P1); else oldest first",
    )  # fmt: skip
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")

    def validate(self, attrs):
        if ("account" in attrs) == ("unit" in attrs):
            _refuse(WuyeError("account_or_unit", "give either account or unit",
                              "須指定 account（帳戶）或 unit（單位）其一"), "account")  # fmt: skip
        return attrs


class DunningInput(serializers.Serializer):
    project = serializers.CharField(max_length=20, help_text="project code")
    on = DateField(help_text="the run's date (as-of), YYYY-MM-DD")


class TokenInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


# --- output --------------------------------------------------------------------------


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()
    username = serializers.CharField()


class ErrorOutput(serializers.Serializer):
    """The shape of every error (docs/api.md)."""

    error = serializers.CharField(help_text="stable code, e.g. invalid, not_found, forbidden")
    message = serializers.CharField(help_text="English")
    message_zh = serializers.CharField(help_text="Chinese")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="the inputs that were wrong, with their messages",
    )
    fields_zh = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )
    details = serializers.DictField(child=serializers.CharField(), required=False)


class ProjectSerializer(serializers.ModelSerializer):
    handover_time = ClockTime(help_text="A1: bills signed for by")
    roles = serializers.SerializerMethodField(help_text="the roles you hold on this project")

    class Meta:
        model = Project
        fields = ["code", "name", "kind", "time_zone", "language", "handover_time", "phone",
                  "address", "roles"]  # fmt: skip

    def get_roles(self, project) -> list[str]:
        return sorted(self.context["roles"](project))


class BuildingOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ProjectDetailSerializer(ProjectSerializer):
    buildings = BuildingOutput(many=True, read_only=True, source="buildings_list")
    units = serializers.IntegerField(source="unit_count", read_only=True)

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "buildings", "units"]


class CustomerBrief(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["code", "name", "kind", "role"]


class AccountBrief(serializers.ModelSerializer):
    customer = CustomerBrief(read_only=True)

    class Meta:
        model = Account
        fields = ["id", "code", "customer", "role", "start_date", "end_date"]


class UnitSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code")
    building = serializers.CharField(source="building.code")
    area = serializers.DecimalField(max_digits=10, decimal_places=2)
    accounts = AccountBrief(many=True, read_only=True)
    account = serializers.SerializerMethodField(help_text="the payer on `on` (default today)")

    class Meta:
        model = Unit
        fields = ["code", "project", "building", "number", "floor", "area", "kind", "occupancy",
                  "account", "accounts"]  # fmt: skip

    @extend_schema_field(AccountBrief(allow_null=True))
    def get_account(self, unit):
        on: dt.date = self.context["on"]
        payers = [
            a
            for a in unit.accounts.all()  # prefetched, ordered by start date
            if a.start_date <= on and (a.end_date is None or a.end_date >= on)
        ]
        return AccountBrief(payers[-1]).data if payers else None


class PersonalPhone(serializers.CharField):
    """A client's phone number: in full only when the view put `full_phone` in the
    context (the user's role needs it on the project, wuye.web.pii), else masked."""

    def to_representation(self, value):
        from wuye.web.pii import mask_phone

        text = super().to_representation(value)
        return text if self.context.get("full_phone") else mask_phone(text)


class ContactOutput(serializers.ModelSerializer):
    phone = PersonalPhone(
        read_only=True, help_text="masked unless your role needs it (docs/privacy.md)"
    )

    class Meta:
        model = Contact
        fields = ["name", "phone", "email", "relation", "is_designated"]


class AccountSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code")
    unit = serializers.CharField(source="unit.code")
    building = serializers.CharField(source="unit.building.code")
    customer = CustomerBrief(read_only=True)
    balance = Money(read_only=True, help_text="owed on `on` (negative: credit)")
    overdue = Money(read_only=True, help_text="of it, past its due date (E1)")

    class Meta:
        model = Account
        fields = ["id", "code", "project", "unit", "building", "customer", "role", "start_date",
                  "end_date", "balance", "overdue"]  # fmt: skip


class CustomerDetail(serializers.ModelSerializer):
    contacts = ContactOutput(many=True, read_only=True)
    phone = PersonalPhone(
        read_only=True, help_text="masked unless your role needs it (docs/privacy.md)"
    )

    class Meta:
        model = Customer
        fields = ["code", "name", "kind", "role", "mailing_address", "phone", "email", "contacts"]


class AccountDetailSerializer(AccountSerializer):
    customer = CustomerDetail(read_only=True)


# the statement (wuye.ledger.statements.account_statement), as `wuye accounts show --json`


class StatementBill(serializers.Serializer):
    number = serializers.CharField()
    period = serializers.CharField()
    issue_date = serializers.DateField()
    receipt_date = serializers.DateField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    amount = Money()
    late_fees = Money()
    waived = Money()
    paid = Money()
    open = Money()
    days_overdue = serializers.IntegerField(allow_null=True)
    replaces = serializers.CharField(allow_null=True)
    disputed = serializers.BooleanField(help_text="D2: held out of dunning")
    limitation_ends = serializers.DateField(allow_null=True, help_text="X2, open bills")
    limitation_evidence = serializers.CharField(allow_blank=True)


class PaymentSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code")
    account_code = serializers.CharField(source="account.code")
    unit = serializers.CharField(source="account.unit.code")
    amount = Money()
    designated_bill = serializers.CharField(
        source="designated_bill.number", allow_null=True, default=None
    )
    reversed = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = ["id", "receipt_number", "project", "account", "account_code", "unit", "amount",
                  "method", "paid_on", "reference", "designated_bill", "note", "actor",
                  "reversed"]  # fmt: skip

    def get_reversed(self, payment) -> bool:
        return hasattr(payment, "reversal")


class StatementPayment(serializers.Serializer):
    receipt_number = serializers.CharField()
    amount = Money()
    method = serializers.CharField()
    paid_on = serializers.DateField()
    reference = serializers.CharField(allow_blank=True)
    designated_bill = serializers.CharField(
        source="designated_bill.number", allow_null=True, default=None
    )
    reversed = serializers.SerializerMethodField()

    def get_reversed(self, payment) -> bool:
        return hasattr(payment, "reversal")


class StatementRefund(serializers.Serializer):
    number = serializers.CharField()
    amount = Money()
    refunded_on = serializers.DateField()
    reason = serializers.CharField()


class StatementNotice(serializers.Serializer):
    number = serializers.CharField()
    level = serializers.IntegerField()
    step = serializers.CharField()
    action = serializers.CharField()
    issued_on = serializers.DateField()
    status = serializers.CharField()
    total = Money()
    delivered_on = serializers.DateField(allow_null=True)
    signer = serializers.CharField(allow_blank=True)
    signer_relation = serializers.CharField(allow_blank=True)
    posted_on = serializers.DateField(allow_null=True)
    courier_delivered_on = serializers.DateField(allow_null=True)
    ended_on = serializers.DateField(allow_null=True)
    end_reason = serializers.CharField(allow_blank=True)
    bills = serializers.ListField(child=serializers.CharField())


class StatementLimitation(serializers.Serializer):
    bill = serializers.CharField()
    open = Money()
    ends_on = serializers.DateField()
    days_left = serializers.IntegerField()
    evidence_kind = serializers.CharField()
    evidence_date = serializers.DateField(allow_null=True)
    reference = serializers.CharField(allow_blank=True)
    flag = serializers.CharField(allow_blank=True, allow_null=True)


class StatementSerializer(serializers.Serializer):
    """The account statement as of a date (`wuye accounts show UNIT --json`): bills,
    payments, refunds, balance by fee item and by age (E1), credit, notices, X2 dates."""

    as_of = serializers.DateField()
    account = AccountBrief()
    unit = serializers.CharField(source="account.unit.code")
    project = serializers.CharField(source="account.project.code")
    bills = StatementBill(many=True)
    payments = StatementPayment(many=True)
    refunds = StatementRefund(many=True)
    balance_by_fee_item = serializers.DictField(child=Money(), source="by_fee_item")
    aging = serializers.DictField(child=Money(), help_text="open amount by days overdue")
    credit = Money()
    balance = Money()
    notices = StatementNotice(many=True)
    escalations = StatementNotice(many=True, help_text="G1, still open")
    limitation = serializers.SerializerMethodField(help_text="X2, per open bill")

    @extend_schema_field(StatementLimitation(many=True))
    def get_limitation(self, statement):
        rows = [
            {
                "bill": b.number,
                "open": b.open,
                "ends_on": b.limitation.ends_on,
                "days_left": (b.limitation.ends_on - statement.as_of).days,
                "evidence_kind": b.limitation.evidence_kind,
                "evidence_date": b.limitation.evidence_date,
                "reference": b.limitation.reference,
                "flag": b.limitation.flag,
            }
            for b in statement.bills
            if b.limitation
        ]
        return StatementLimitation(rows, many=True).data


class BillSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code")
    account_code = serializers.CharField(source="account.code")
    unit = serializers.CharField(source="account.unit.code")
    period = serializers.SerializerMethodField()
    total = Money()
    replaces = serializers.CharField(source="replaces.number", allow_null=True, default=None)

    class Meta:
        model = Bill
        fields = ["number", "project", "account", "account_code", "unit", "period",
                  "period_start", "period_end", "issue_date", "receipt_date", "due_date", "total",
                  "status", "void_reason", "replaces"]  # fmt: skip

    def get_period(self, bill) -> str:
        return f"{bill.period_start:%Y-%m}"


class BillLineOutput(serializers.ModelSerializer):
    fee_item = serializers.CharField(source="fee_item.code")
    name = serializers.CharField(source="fee_item.name")
    quantity = serializers.DecimalField(max_digits=10, decimal_places=2)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=4)
    amount = Money()
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=4)
    tax_amount = Money()

    class Meta:
        model = BillLine
        fields = ["fee_item", "name", "basis", "quantity", "unit_price", "days", "cycle_days",
                  "amount", "tax_rate", "tax_amount"]  # fmt: skip


class BillDetailSerializer(BillSerializer):
    lines = BillLineOutput(many=True, read_only=True, source="sorted_lines")

    class Meta(BillSerializer.Meta):
        fields = [*BillSerializer.Meta.fields, "lines"]


class AllocationOutput(serializers.Serializer):
    bill = serializers.CharField()
    fee_item = serializers.CharField()
    component = serializers.CharField(help_text="principal or late_fee")
    amount = Money()


class PaymentCreated(PaymentSerializer):
    """The payment recorded, how P1 allocated it, and the account afterwards."""

    allocations = AllocationOutput(many=True, read_only=True)
    credit = Money(read_only=True)
    balance = Money(read_only=True)

    class Meta(PaymentSerializer.Meta):
        fields = [*PaymentSerializer.Meta.fields, "allocations", "credit", "balance"]


class DunningLine(serializers.Serializer):
    account = serializers.CharField(source="account.code")
    unit = serializers.CharField(source="account.unit.code")
    step = serializers.CharField(source="step.code")
    level = serializers.IntegerField(source="step.position")
    action = serializers.CharField(source="step.action")
    arrears = Money()
    oldest_due = serializers.DateField(allow_null=True)
    days_overdue = serializers.IntegerField(allow_null=True)
    excluded = serializers.BooleanField()
    exclude_reason = serializers.CharField(allow_blank=True)
    outcome = serializers.CharField(allow_blank=True, help_text="after the run: issued, …")


class DunningOutput(serializers.Serializer):
    """A dunning run (E2, G1), as `wuye dunning run --json`: the preview (dry run, nothing
    written, `proposal` null) or the executed run."""

    proposal = serializers.IntegerField(allow_null=True)
    as_of = serializers.DateField()
    project = serializers.CharField()
    status = serializers.CharField()
    dry_run = serializers.BooleanField()
    lines = DunningLine(many=True)
    notices_created = serializers.IntegerField()
    episodes_closed = serializers.IntegerField()


class NoticeSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code")
    unit = serializers.CharField(source="account.unit.code")
    account = serializers.CharField(source="account.code")
    step = serializers.CharField(source="step.name")
    principal = Money()
    late_fee = Money()
    total = Money()
    replaces = serializers.CharField(source="replaces.number", allow_null=True, default=None)

    class Meta:
        model = Notice
        fields = ["number", "project", "unit", "account", "level", "step", "action", "issued_on",
                  "status", "principal", "late_fee", "total", "pay_by", "handed_over_on",
                  "delivered_on", "signer", "signer_relation", "posted_on", "carrier",
                  "tracking_number", "courier_delivered_on", "replaces", "ended_on",
                  "end_reason"]  # fmt: skip


class NoticeItem(serializers.Serializer):
    bill = serializers.CharField(source="bill.number")
    period = serializers.SerializerMethodField()
    fee_item = serializers.CharField(source="fee_item.name")
    due_date = serializers.DateField()
    principal = Money()
    late_fee = Money()

    def get_period(self, line) -> str:
        return f"{line.period_start:%Y-%m}"


class NoticeContact(serializers.Serializer):
    on = serializers.DateField()
    channel = serializers.CharField()
    result = serializers.CharField()
    staff = serializers.CharField()
    signer = serializers.CharField(allow_blank=True)
    relation = serializers.CharField(source="signer_relation", allow_blank=True)
    note = serializers.CharField(allow_blank=True)


class NoticeDetailSerializer(NoticeSerializer):
    items = NoticeItem(many=True, read_only=True, source="sorted_lines")
    contacts = NoticeContact(many=True, read_only=True, source="sorted_contacts")

    class Meta(NoticeSerializer.Meta):
        fields = [*NoticeSerializer.Meta.fields, "items", "contacts"]


# the day's worklists (the same selectors as the staff pages' today's list)


class HandoverTask(serializers.Serializer):
    """A1: per project, bills and notices not yet signed for by an assistant."""

    project = serializers.CharField()
    bills = serializers.IntegerField()
    notices = serializers.IntegerField()
    since = serializers.DateField()
    handover_time = serializers.CharField()
    late = serializers.BooleanField()


class _ToDeliver(serializers.Serializer):
    """What a bill and a notice still to be delivered have in common (C1, E3)."""

    project = serializers.CharField()
    unit = serializers.CharField()
    handed_over_on = serializers.DateField()
    attempts = serializers.IntegerField()
    last_result = serializers.CharField(allow_null=True)
    undelivered_end_of_day = serializers.BooleanField()
    send_by_courier = serializers.BooleanField()


class DeliveryTask(_ToDeliver):
    """C1, E3: a bill signed for and not yet delivered."""

    bill = serializers.CharField()


class NoticeTask(_ToDeliver):
    """E3: a notice signed for and not yet delivered or posted."""

    notice = serializers.CharField()
    level = serializers.IntegerField()
    total = Money()


class BrokenPromise(serializers.Serializer):
    made_on = serializers.DateField()
    promised_on = serializers.DateField()
    amount = Money()
    back_on_list = serializers.DateField()
    staff = serializers.CharField()


class PromiseOutput(serializers.Serializer):
    made_on = serializers.DateField()
    promised_on = serializers.DateField()
    amount = Money()
    status = serializers.CharField()
    settled_on = serializers.DateField(allow_null=True)
    staff = serializers.CharField()


class LastContact(serializers.Serializer):
    on = serializers.DateField()
    channel = serializers.CharField()
    result = serializers.CharField()
    staff = serializers.CharField()
    notice = serializers.CharField(allow_null=True)
    note = serializers.CharField(allow_null=True)


class AutoDebitStatus(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    on = serializers.DateField()
    bank_name = serializers.CharField(allow_null=True)
    bank_account = serializers.CharField(allow_null=True, help_text="masked")
    mandate_reference = serializers.CharField(allow_null=True)


class CallTask(serializers.Serializer):
    """R2: an account to call (open call tasks, broken promises)."""

    project = serializers.CharField()
    unit = serializers.CharField()
    account = serializers.CharField()
    customer = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    tasks = serializers.ListField(child=serializers.CharField())
    broken_promise = BrokenPromise(allow_null=True)
    arrears = Money()
    oldest_due = serializers.DateField(allow_null=True)
    last_contact = LastContact(allow_null=True)
    reason = serializers.CharField(allow_null=True)
    reason_label = serializers.CharField(allow_null=True)
    promises = PromiseOutput(many=True)
    auto_debit = AutoDebitStatus(allow_null=True)
    held = serializers.CharField(allow_null=True, help_text="quiet hours or the weekly cap")


class TaskCounts(serializers.Serializer):
    handover = serializers.IntegerField(required=False)
    delivery = serializers.IntegerField(required=False)
    notice = serializers.IntegerField(required=False)
    call = serializers.IntegerField(required=False)


class TasksOutput(serializers.Serializer):
    """The day's worklists, each cut to [offset, offset + limit); `counts` are the totals.
    With `kind`, only that list."""

    on = serializers.DateField()
    at = ClockTime()
    counts = TaskCounts()
    handovers = HandoverTask(many=True, required=False)
    deliveries = DeliveryTask(many=True, required=False)
    notices = NoticeTask(many=True, required=False)
    calls = CallTask(many=True, required=False)
