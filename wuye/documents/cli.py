"""`wuye notices pdf` and `wuye bills pdf` (issue 4): print the day's 催繳通知書 (E2) and
a 帳單 as A4 PDF."""

from __future__ import annotations

LANGUAGES = ["zh-hant", "zh-hans"]


def register(group, command) -> None:
    notices = group("notices", "payment reminder notices (催繳通知書)")
    p = command(notices, "pdf", _notices_pdf, "print the notices issued on a day as one PDF (E2)")
    p.add_argument("--as-of", dest="as_of", help="the day the notices were issued (default today)")
    p.add_argument("--out", required=True, help="the PDF file to write")
    p.add_argument("--project", help="project code (default: every project)")
    p.add_argument("--language", choices=LANGUAGES, help="default: each project's language")
    p.add_argument("--chunk", type=int, default=100, help="notices laid out at a time per worker")
    p.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    p.add_argument("--limit", type=int, help="only the first N notices by number")

    p = command(notices, "print", _notices_print, "one notice as PDF or HTML print view")
    p.add_argument("number")
    p.add_argument("--out", required=True, help="the file to write")
    p.add_argument("--html", action="store_true", help="write the HTML print view instead")
    p.add_argument("--language", choices=LANGUAGES, help="default: the project's language")

    bills = group("bills", "issue, void, receive and show bills (帳單)")
    p = command(bills, "pdf", _bills_pdf, "print one bill as PDF (or HTML print view)")
    p.add_argument("number")
    p.add_argument("--out", required=True, help="the file to write")
    p.add_argument("--html", action="store_true", help="write the HTML print view instead")
    p.add_argument("--language", choices=LANGUAGES, help="default: the project's language")


def _notices_pdf(args) -> int:
    from wuye.cli import _date, _emit
    from wuye.documents.services import render_notices_pdf

    result = render_notices_pdf(
        as_of=_date(args, "as_of"),
        out=args.out,
        project_code=args.project,
        language=args.language,
        chunk=args.chunk,
        workers=args.workers,
        limit=args.limit,
    )
    of = f" of {result['of']}" if result["of"] != result["notices"] else ""
    text = (
        f"{result['notices']}{of} notices, {result['pages']} pages in {result['seconds']} s: "
        f"{result['out']}"
    )
    return _emit(args, result, text)


def _bills_pdf(args) -> int:
    from wuye.cli import _emit
    from wuye.documents.services import render_bill_pdf

    result = render_bill_pdf(
        number=args.number, out=args.out, language=args.language, html=args.html
    )
    return _emit(args, result, f"bill {result['bill']}: {result['out']}")


def _notices_print(args) -> int:
    from wuye.cli import _emit
    from wuye.documents.services import render_notice

    result = render_notice(number=args.number, out=args.out, language=args.language,
                           html=args.html)  # fmt: skip
    return _emit(args, result, f"notice {result['notice']}: {result['out']}")
