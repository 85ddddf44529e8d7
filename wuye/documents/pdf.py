"""HTML to A4 PDF with WeasyPrint, and joining chunk PDFs into one file.

Each document (one notice, one bill) is laid out on its own, so its footer counts its
own pages (第 1 / 2 頁). A chunk of documents is written as one PDF (fonts subset once
per chunk), then the chunks are joined with `pdfunite` (poppler-utils), so memory holds
one chunk of laid-out pages per worker, however many notices a day has. Layout costs
about 0.1 s of CPU per page, so chunks are laid out by worker processes, one per core.

This module does not touch Django or the database: a worker process only gets HTML.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from wuye.errors import WuyeError

#: pdfunite keeps every input open: join at most this many files in one call
_MAX_JOIN = 200


_FONTS = None


def font_config():
    """One font configuration per process: fontconfig is set up once, not per document."""
    global _FONTS
    if _FONTS is None:
        from weasyprint.text.fonts import FontConfiguration

        _FONTS = FontConfiguration()
    return _FONTS


def layout(html: str, fonts):
    """One laid-out WeasyPrint document."""
    from weasyprint import HTML

    return HTML(string=html).render(font_config=fonts)


def write_documents(documents: list, target: Path) -> int:
    """Write the pages of several laid-out documents as one PDF; returns the page count."""
    pages = [page for document in documents for page in document.pages]
    documents[0].copy(pages).write_pdf(target)
    return len(pages)


def render_part(htmls: list[str], target: Path | str) -> int:
    """Lay out each HTML document and write them all as one PDF (a worker's job)."""
    fonts = font_config()
    return write_documents([layout(html, fonts) for html in htmls], Path(target))


def join_pdfs(parts: list[Path], target: Path) -> None:
    """Concatenate PDFs in order into `target`."""
    if len(parts) == 1:
        shutil.copyfile(parts[0], target)
        return
    tool = shutil.which("pdfunite")
    if tool is None:
        raise WuyeError(
            "pdfunite_missing",
            "pdfunite (Debian package poppler-utils) is needed to join the PDF chunks; "
            "run scripts/setup",
            "合併PDF需要 pdfunite（Debian 套件 poppler-utils），請執行 scripts/setup",
        )
    level = 0
    while len(parts) > _MAX_JOIN:
        joined = []
        for index in range(0, len(parts), _MAX_JOIN):
            step = target.with_name(f"{target.name}.join{level}-{index // _MAX_JOIN:05d}.pdf")
            _pdfunite(tool, parts[index : index + _MAX_JOIN], step)
            joined.append(step)
        parts, level = joined, level + 1
    _pdfunite(tool, parts, target)


def _pdfunite(tool: str, parts: list[Path], target: Path) -> None:
    if len(parts) == 1:
        shutil.copyfile(parts[0], target)
        return
    done = subprocess.run(
        [tool, *map(str, parts), str(target)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise WuyeError(
            "pdf_join_failed",
            f"pdfunite failed: {done.stderr.strip()[:300]}",
            f"合併PDF失敗：{done.stderr.strip()[:300]}",
        )
