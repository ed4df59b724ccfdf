"""Real files of each format, made by the tests (no fixtures on disk to drift)."""

from __future__ import annotations

from pathlib import Path


def make_docx(path: Path, blocks: list) -> Path:
    """``blocks``: strings become paragraphs, lists of lists become tables."""
    import docx

    document = docx.Document()
    for block in blocks:
        if isinstance(block, list):
            table = document.add_table(rows=len(block), cols=len(block[0]))
            for r, row in enumerate(block):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
        else:
            document.add_paragraph(block)
    document.save(str(path))
    return path


def make_odt(path: Path, paragraphs: list[str], heading: str | None = None) -> Path:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    if heading:
        document.text.addElement(H(outlinelevel=1, text=heading))
    for paragraph in paragraphs:
        document.text.addElement(P(text=paragraph))
    document.save(str(path))
    return path


def _pdf(pages: list[bytes]) -> bytes:
    """A minimal, valid PDF whose pages draw the given content streams."""
    objects: list[bytes] = []
    kids = []
    n_pages = len(pages)
    # 1 catalog, 2 pages, 3 font, then (page, content) pairs
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    for i in range(n_pages):
        kids.append(f"{4 + 2 * i} 0 R".encode())
    objects.append(b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count " + str(n_pages).encode() + b" >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, stream in enumerate(pages):
        content_ref = 5 + 2 * i
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents " + str(content_ref).encode() + b" 0 R >>"
        )
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def make_pdf(path: Path, lines: list[str]) -> Path:
    ops = [b"BT /F1 12 Tf 72 720 Td 14 TL"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(b"(" + escaped.encode("latin-1") + b") Tj T*")
    ops.append(b"ET")
    path.write_bytes(_pdf([b"\n".join(ops)]))
    return path


def make_scanned_pdf(path: Path) -> Path:
    """A PDF whose only page draws a filled rectangle: no text, like a scan."""
    path.write_bytes(_pdf([b"0.5 g 72 72 400 600 re f"]))
    return path


def inflate_member(template: Path, path: Path, member: str, prefix: bytes, chunk: bytes, repeat: int,
                   suffix: bytes, level: int = 9) -> Path:
    """A copy of the zip ``template`` whose ``member`` becomes
    ``prefix + chunk * repeat + suffix``, written in a stream: the file on disk
    stays small when ``chunk`` repeats (a zip bomb), and neither this function
    nor the test holds the expanded member in memory."""
    import zipfile

    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED,
                                                                compresslevel=level) as out:
        for info in source.infolist():
            if info.filename != member:
                out.writestr(info, source.read(info))
        info = zipfile.ZipInfo(member, date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with out.open(info, "w", force_zip64=True) as handle:
            handle.write(prefix)
            block = chunk * max(1, (1 << 20) // len(chunk))
            per_block = max(1, (1 << 20) // len(chunk))
            done = 0
            while done + per_block <= repeat:
                handle.write(block)
                done += per_block
            handle.write(chunk * (repeat - done))
            handle.write(suffix)
    return path
