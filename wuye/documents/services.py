"""Printed documents (issue 4): the 催繳通知書 of a day's dunning run (rule E2) and the 帳單
(rules B1, E1), as an HTML print view and as one A4 PDF.

Rendering writes nothing to the database. A PDF is written next to `out` under a
temporary name and moved into place at the end, so a failed run leaves no partial file.
"""

from __future__ import annotations

import datetime as dt
import math
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

from wuye.documents import pdf, rendering
from wuye.documents import selectors as sel
from wuye.errors import WuyeError


def notice_html(*, number: str, language: str | None = None) -> str:
    """The print view of one notice (the template its dunning step names)."""
    notice = sel.notice_for_document(number)
    return _notice_html(notice, language, {})


def bill_html(*, number: str, language: str | None = None) -> str:
    """The print view of one bill."""
    bill = sel.bill_for_document(number)
    chosen = rendering.document_language(language, bill.project.language)
    context = rendering.bill_context(bill, language=chosen)
    return rendering.render_html(rendering.template_for(rendering.BILL_TEMPLATE), context)


def render_notices_pdf(
    *,
    as_of: dt.date,
    out: Path,
    project_code: str | None = None,
    language: str | None = None,
    chunk: int = 100,
    workers: int | None = None,
    limit: int | None = None,
) -> dict:
    """One PDF of every notice issued on `as_of` (E2: the 1st, 2nd or 3rd 催繳通知書 the
    assistant signs for that day), ordered by number, each notice starting a new page.
    `language` overrides each project's document language. At most `chunk` notices are
    read and laid out at a time per worker process (`workers`: default one per core).
    `limit`: only the first so many by number (a trial print, or a day printed in parts)."""
    started = time.perf_counter()
    if chunk < 1:
        raise WuyeError("invalid_chunk", "chunk must be at least 1", "每批數量最少為 1")
    if limit is not None and limit < 1:
        raise WuyeError("invalid_limit", "limit must be at least 1", "列印數量最少為 1")
    rendering.document_language(language, None)  # a wrong --language fails before any work
    out = _target(out)
    ids = list(
        sel.notices_to_print(as_of=as_of, project_code=project_code).values_list("pk", flat=True)
    )
    total = len(ids)
    ids = ids[:limit]
    if not ids:
        where = f" in project {project_code}" if project_code else ""
        where_zh = f"項目 {project_code} " if project_code else ""
        raise WuyeError(
            "no_notices",
            f"no notices to print were issued on {as_of}{where}",
            f"{where_zh}{as_of} 沒有發出須列印的催繳通知書",
            as_of=as_of.isoformat(),
        )
    workers = max(1, workers or len(os.sched_getaffinity(0)))
    pieces = _pieces(ids, chunk=chunk, workers=workers)
    templates: dict[str, object] = {}

    def htmls(piece: list[int]) -> list[str]:
        return [_notice_html(n, language, templates) for n in sel.notices_for_documents(piece)]

    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".wuye-pdf-") as work:
        parts = [Path(work) / f"part-{index:06d}.pdf" for index in range(len(pieces))]
        if workers == 1 or len(pieces) == 1:
            pages = sum(
                pdf.render_part(htmls(p), part) for p, part in zip(pieces, parts, strict=True)
            )
        else:
            pages = _render_in_workers(pieces, parts, htmls, workers)
        joined = Path(work) / "all.pdf"
        pdf.join_pdfs(parts, joined)
        os.replace(joined, out)
    return {
        "notices": len(ids),
        "of": total,
        "pages": pages,
        "seconds": round(time.perf_counter() - started, 2),
        "out": str(out),
    }


def _pieces(ids: list[int], *, chunk: int, workers: int) -> list[list[int]]:
    """Split into pieces of at most `chunk`, evenly, so every round keeps all workers
    busy (500 notices, chunk 100, 2 workers: 6 pieces of 84, not 5 of 100)."""
    rounds = math.ceil(len(ids) / (chunk * workers))
    size = math.ceil(len(ids) / (rounds * workers))
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def _render_in_workers(pieces, parts, htmls, workers: int) -> int:
    """The database is read here; workers get HTML and write their part. At most
    `workers` pieces are in flight, so memory stays bounded."""
    import weasyprint  # noqa: F401  imported once here, inherited by every worker

    pages = 0
    # fork, not spawn/forkserver: those re-import the caller's __main__ in every worker,
    # which breaks a script without an `if __name__ == "__main__"` guard. A forked
    # worker never touches the inherited database connections and ends with os._exit.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        running: set = set()
        for piece, part in zip(pieces, parts, strict=True):
            documents = htmls(piece)  # prepared while the workers are busy
            if len(running) >= workers:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                pages += sum(future.result() for future in done)
            running.add(pool.submit(pdf.render_part, documents, str(part)))
        pages += sum(future.result() for future in running)
    return pages


def render_bill_pdf(
    *, number: str, out: Path, language: str | None = None, html: bool = False
) -> dict:
    """The bill as an A4 PDF (or, with `html`, its HTML print view)."""
    result = _render_one(bill_html(number=number, language=language), out, html=html)
    return {"bill": number, **result}


def render_notice(
    *, number: str, out: Path, language: str | None = None, html: bool = False
) -> dict:
    """One notice as an A4 PDF (or its HTML print view), e.g. a reissue (F1)."""
    result = _render_one(notice_html(number=number, language=language), out, html=html)
    return {"notice": number, **result}


def _render_one(document: str, out: Path, *, html: bool) -> dict:
    started = time.perf_counter()
    out = _target(out)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".wuye-pdf-") as work:
        part = Path(work) / "document"
        if html:
            part.write_text(document, encoding="utf-8")
            pages = None
        else:
            pages = pdf.write_documents([pdf.layout(document, pdf.font_config())], part)
        os.replace(part, out)
    return {"pages": pages, "seconds": round(time.perf_counter() - started, 2), "out": str(out)}


def _notice_html(notice, language: str | None, templates: dict) -> str:
    name = notice.step.template or rendering.DEFAULT_NOTICE_TEMPLATE
    if name not in templates:
        templates[name] = rendering.template_for(name)
    chosen = rendering.document_language(language, notice.project.language)
    return rendering.render_html(templates[name], rendering.notice_context(notice, language=chosen))


def _target(out: Path | str) -> Path:
    out = Path(out).expanduser().resolve()
    if not out.parent.is_dir():
        raise WuyeError(
            "invalid_output",
            f"--out: directory {out.parent} does not exist",
            f"--out：目錄 {out.parent} 不存在",
        )
    if out.is_dir():
        raise WuyeError(
            "invalid_output", f"--out: {out} is a directory", f"--out：{out} 是一個目錄"
        )
    return out
