"""The 收款收據 (receipt) of a payment (rule P1: how the payment was allocated), printed
like the bill (rules B1, E1): an HTML print view and an A4 PDF laid out by WeasyPrint with
Noto Sans CJK (`documents/receipt.html`, docs/documents.md).

Also the notices a payment ended (F1): the staff page shows, beside the receipt, which
undelivered notices of the payer were cancelled or voided and reissued when it was
recorded. Rendering writes nothing to the database."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from django.db.models import Prefetch

from wuye.documents import rendering
from wuye.documents.amounts import figures, plain, uppercase_amount
from wuye.errors import NotFound
from wuye.ledger.models import Entry
from wuye.money import ZERO
from wuye.payments.models import Payment

RECEIPT_TEMPLATE = "receipt.html"


def payment_for_receipt(*, receipt_number: str | None = None, pk: int | None = None) -> Payment:
    """The payment with everything its receipt shows, in a fixed number of queries: the
    project and organisation, unit, payer, designated bill, reversal (select_related) and
    its ledger entries with their bills and fee items (one prefetch)."""
    rows = Payment.objects.select_related(
        "project__organisation", "account__unit", "account__customer", "designated_bill",
        "reversal",
    ).prefetch_related(
        Prefetch(
            "entries",
            queryset=Entry.objects.filter(kind=Entry.Kind.PAYMENT)
            .select_related("bill", "fee_item")
            .order_by("id"),
            to_attr="receipt_entries",
        )
    )  # fmt: skip
    rows = rows.filter(receipt_number=receipt_number) if receipt_number else rows.filter(pk=pk)
    payment = rows.first()
    if payment is None:
        raise NotFound("payment", str(receipt_number or pk))
    return payment


def receipt_context(payment: Payment, *, language: str) -> dict:
    """What receipt.html sees: plain, formatted data (like `rendering.bill_context`).
    `payment` comes from `payment_for_receipt`."""
    account = payment.account
    components = dict(Entry.Component.choices)
    allocations = []
    unallocated = ZERO
    for entry in payment.receipt_entries:
        if entry.bill_id is None:  # a settled debit or the credit left (預收款)
            unallocated += -entry.amount
            continue
        allocations.append(
            {
                "bill": entry.bill.number,
                "period": rendering.chinese_month(entry.bill.period_start),
                "fee_item": entry.fee_item.name if entry.fee_item_id else "",
                "component": components.get(entry.component, entry.component),
                "amount": plain(-entry.amount),
            }
        )
    reversal = getattr(payment, "reversal", None)
    return {
        **rendering._frame(language, payment.receipt_number),
        "company": payment.project.organisation.name,
        "project": rendering._project(payment.project),
        "client": {
            "name": account.customer.name,
            "unit_code": account.unit.code,
            "account": account.code,
        },
        "payment": {
            "number": payment.receipt_number,
            "paid_on": rendering.chinese_date(payment.paid_on),
            "amount": plain(payment.amount),
            "amount_figures": figures(payment.amount),
            "amount_uppercase": uppercase_amount(payment.amount, language),
            "method": Payment.Method(payment.method).label,
            "reference": payment.reference,
            "designated_bill": payment.designated_bill.number if payment.designated_bill_id else "",
            "recorded_by": payment.actor,
            "reversed": reversal is not None,
            "reversed_on": rendering.chinese_date(reversal.reversed_on) if reversal else "",
            "reversal_reason": reversal.reason if reversal else "",
        },
        "allocations": allocations,
        "unallocated": plain(unallocated) if unallocated != Decimal(0) else "",
    }


def receipt_html(*, receipt_number: str, language: str | None = None) -> str:
    """The print view of one receipt, in the language asked for, else the project's."""
    payment = payment_for_receipt(receipt_number=receipt_number)
    chosen = rendering.document_language(language, payment.project.language)
    context = receipt_context(payment, language=chosen)
    return rendering.render_html(rendering.template_for(RECEIPT_TEMPLATE), context)


def render_receipt_pdf(
    *, receipt_number: str, out: Path, language: str | None = None, html: bool = False
) -> dict:
    """The receipt as an A4 PDF (or, with `html`, its HTML print view), written like the
    bill's (`render_bill_pdf`): to a temporary file moved into place at the end."""
    from wuye.documents.services import _render_one

    document = receipt_html(receipt_number=receipt_number, language=language)
    return {"receipt": receipt_number, **_render_one(document, out, html=html)}


def notices_ended_by(payment: Payment) -> list:
    """F1: the payer's undelivered notices that recording this payment cancelled (paid in
    full) or voided and reissued (amounts lowered), with their reissues.

    `record_payment` reconciles the payer's notices in its own transaction and records
    each end as a system contact on the payment date; those contacts made after this
    payment and before the payer's next payment in the project are this payment's."""
    from wuye.dunning.models import Contact

    customer_id = payment.account.customer_id
    contacts = Contact.objects.filter(
        notice__project_id=payment.project_id,
        notice__customer_id=customer_id,
        channel=Contact.Channel.SYSTEM,
        result__in=[Contact.Result.CANCELLED, Contact.Result.VOIDED],
        on=payment.paid_on,
        created_at__gte=payment.created_at,
    )
    later = (
        Payment.objects.filter(
            project_id=payment.project_id,
            account__customer_id=customer_id,
            created_at__gt=payment.created_at,
        )
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if later is not None:
        contacts = contacts.filter(created_at__lt=later)
    return [
        contact.notice
        for contact in contacts.select_related("notice__replaced_by", "notice__step").order_by(
            "notice__number"
        )
    ]
