"""factory_boy factories for tests: a project with units, accounts and contracts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from wuye.billing.models import Contract, ContractLine, FeeItem, SuppliedAmount
from wuye.properties.models import Account, Building, Contact, Customer, Organisation, Project, Unit


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    code = "TEST"
    name = "測試物業管理有限公司"


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        django_get_or_create = ("code",)

    organisation = factory.SubFactory(OrganisationFactory)
    code = "HT"
    name = "匯通商業大廈"
    kind = Project.Kind.OFFICE
    phone = "020-8888 0001"
    bank_account = "3602 0000 0000 0001"


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building
        django_get_or_create = ("project", "code")

    project = factory.SubFactory(ProjectFactory)
    code = "T1"
    name = "T1座"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    building = factory.SubFactory(BuildingFactory)
    project = factory.SelfAttribute("building.project")
    number = factory.Sequence(lambda n: f"{n + 101:04d}")
    code = factory.LazyAttribute(lambda o: f"{o.project.code}-{o.building.code}-{o.number}")
    floor = 1
    area = Decimal("100.00")
    kind = Unit.Kind.OFFICE


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"C{n:06d}")
    name = factory.Sequence(lambda n: f"客戶{n}")
    kind = Customer.Kind.COMPANY
    role = Customer.Role.OWNER


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = "張三"
    relation = "行政經理"
    is_designated = True


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    unit = factory.SubFactory(UnitFactory)
    project = factory.SelfAttribute("unit.project")
    customer = factory.SubFactory(CustomerFactory)
    code = factory.LazyAttribute(lambda o: f"A-{o.unit.code}-{o.start_date:%Y%m%d}")
    role = Account.Role.OWNER
    start_date = dt.date(2025, 1, 1)
    end_date = None


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    account = factory.SubFactory(AccountFactory)
    version = 1
    effective_from = factory.SelfAttribute("account.start_date")
    billing_cycle = Contract.Cycle.MONTHLY
    payment_term = Contract.Term.AFTER_RECEIPT
    late_fee_clause = True
    late_fee_rate = Decimal("0.000500")
    segment = Contract.Segment.OFFICE
    dunning_policy = "office"
    created_by = "test"
    created_at = factory.LazyFunction(timezone.now)


def fee_item(code: str) -> FeeItem:
    """The standard fee items come from a data migration (PMF, ELV, WATER, ELEC, PARK)."""
    return FeeItem.objects.get(code=code)


def add_line(contract: Contract, code: str, basis: str, price: str | Decimal) -> ContractLine:
    return ContractLine.objects.create(
        contract=contract, fee_item=fee_item(code), basis=basis, unit_price=Decimal(price)
    )


def supply(account: Account, code: str, period_start: dt.date, amount: str) -> SuppliedAmount:
    return SuppliedAmount.objects.create(
        account=account,
        fee_item=fee_item(code),
        period_start=period_start,
        amount=Decimal(amount),
        created_by="test",
        created_at=timezone.now(),
    )


def office_account(
    *,
    area: str = "100.00",
    price: str = "25.00",
    start: dt.date = dt.date(2025, 1, 1),
    end: dt.date | None = None,
    unit=None,
    **contract_kwargs,
) -> Account:
    """An office account with one per-m² property fee line (the common case)."""
    unit = unit or UnitFactory(area=Decimal(area))
    account = AccountFactory(unit=unit, start_date=start, end_date=end)
    ContactFactory(customer=account.customer)
    contract = ContractFactory(account=account, **contract_kwargs)
    add_line(contract, "PMF", ContractLine.Basis.PER_AREA, price)
    return account


def staff(username: str, role: str, *projects, company_wide: bool = False):
    """A staff user holding `role` on the given projects (or on every project), issue 6."""
    from django.contrib.auth.models import User

    from wuye.web.models import Membership

    user = User.objects.create_user(username, password=username)
    if company_wide:
        Membership.objects.create(user=user, project=None, role=role)
    for project in projects:
        Membership.objects.create(user=user, project=project, role=role)
    return user
