"""Who and what is billed: organisation → project → building → unit; customers,
their contacts (one designated, rule B1) and accounts (RULES.md "Account")."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Organisation(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    """A 管理處: an office tower or a housing estate."""

    class Kind(models.TextChoices):
        OFFICE = "office", "辦公大廈"
        RESIDENTIAL = "residential", "住宅小區"
        MIXED = "mixed", "綜合"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="projects"
    )
    code = models.CharField(max_length=20, unique=True, help_text="also the prefix of bill numbers")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    time_zone = models.CharField(max_length=50, default="Asia/Shanghai")
    language = models.CharField(max_length=10, default="zh-hant", help_text="document language")
    workday_calendar = models.CharField(max_length=20, default="CN")
    handover_time = models.TimeField(default="09:00", help_text="rule A1: bills signed for by then")
    bank_name = models.CharField(max_length=200, blank=True)
    bank_account = models.CharField(max_length=60, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Building(models.Model):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="buildings")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="building_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.project.code}-{self.code}"


class Unit(models.Model):
    class Kind(models.TextChoices):
        OFFICE = "office", "寫字樓"
        RESIDENTIAL = "residential", "住宅"
        SHOP = "shop", "商鋪"
        VILLA = "villa", "別墅"
        PARKING = "parking", "車位"

    class Occupancy(models.TextChoices):
        OCCUPIED = "occupied", "已入住"
        VACANT_UNFITTED = "vacant_unfitted", "空置（未裝修）"
        VACANT_FITTED = "vacant_fitted", "空置（已裝修）"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="units")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units")
    code = models.CharField(max_length=60, unique=True, help_text="PROJECT-BUILDING-NUMBER")
    number = models.CharField(max_length=30)
    floor = models.IntegerField(null=True, blank=True)
    area = models.DecimalField(max_digits=10, decimal_places=2, help_text="gross area, m²")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occupancy = models.CharField(
        max_length=20, choices=Occupancy.choices, default=Occupancy.OCCUPIED
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="unit_number_unique"),
            models.CheckConstraint(condition=Q(area__gte=0), name="unit_area_not_negative"),
        ]

    def __str__(self) -> str:
        return self.code


class Customer(models.Model):
    """A payer: a person or a company; owner, tenant or the developer of unsold units (X7)."""

    class Kind(models.TextChoices):
        PERSON = "person", "個人"
        COMPANY = "company", "公司"

    class Role(models.TextChoices):
        OWNER = "owner", "業主"
        TENANT = "tenant", "租戶"
        DEVELOPER = "developer", "開發商"

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    role = models.CharField(max_length=20, choices=Role.choices)
    mailing_address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Contact(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=40, blank=True)
    email = models.CharField(max_length=200, blank=True)
    relation = models.CharField(max_length=60, blank=True, help_text="e.g. 本人, 配偶, 行政經理")
    is_designated = models.BooleanField(default=False, help_text="指定負責人, rule B1")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_designated=True), name="one_designated_contact"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Account(models.Model):
    """One payer for one unit over one occupancy period; `end_date` is the last day (inclusive)."""

    class Role(models.TextChoices):
        OWNER = "owner", "業主"
        TENANT = "tenant", "租戶"
        DEVELOPER = "developer", "開發商"

    code = models.CharField(max_length=40, unique=True)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="accounts")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="accounts")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="accounts")
    role = models.CharField(max_length=20, choices=Role.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "start_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="account_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.code
