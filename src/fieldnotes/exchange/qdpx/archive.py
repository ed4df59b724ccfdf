"""A ``.qdpx`` opened for reading, safely: every entry checked (paths that
escape, zip bombs, encrypted or duplicate entries) before anything is read,
entries read into memory only and within limits, XML parsed with DTDs and
entities forbidden. Nothing is ever unpacked to disk, and files outside the
archive are never read."""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree as ET
from xml.parsers import expat

import defusedxml
import defusedxml.ElementTree as SafeET

from fieldnotes.exchange.qdpx.format import QdpxError

#: Limits on what an import unpacks (in memory, never on disk).
MAX_TOTAL_BYTES = 1024**3
MAX_ENTRIES = 10_000
#: The project XML is parsed whole; at about five bytes of memory per byte of
#: XML this keeps an import under 500 MB. 64 MB holds about 100,000 codings.
MAX_QDE_BYTES = 64 * 1024 * 1024
#: An entry that unpacks to more than this many times its packed size (and to
#: over 1 MB) is taken for a zip bomb; real text and XML stay far below.
MAX_RATIO = 200
_RATIO_FLOOR = 1024 * 1024

_DRIVE = re.compile(r"^[A-Za-z]:")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):(.*)$", re.DOTALL)


def _unsafe(name: str) -> str | None:
    """Why an entry name could write outside a folder it is unpacked into, or None."""
    if "\\" in name:
        return "contains a backslash (on Windows a folder separator)"
    if name.startswith("/"):
        return "is an absolute path"
    if _DRIVE.match(name):
        return "names a drive"
    if any(part == ".." for part in name.split("/")):
        return "climbs out of the archive with '..'"
    if any(ord(c) < 32 for c in name):
        return "contains control characters"
    return None


class Archive:
    """A .qdpx opened for reading: every entry checked before anything is read,
    entries read into memory only, within the limits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
        except FileNotFoundError:
            raise QdpxError(f"{path} does not exist; check the file name and folder.") from None
        except IsADirectoryError:
            raise QdpxError(f"{path} is a folder, not a .qdpx file; choose the .qdpx file itself.") from None
        except zipfile.BadZipFile:
            raise QdpxError(
                f"{path} is not a REFI-QDA project: a .qdpx file is a zip archive and this is not one (or it "
                "is damaged); export the project again from the program that made it.") from None
        except OSError as err:
            raise QdpxError(f"{path} cannot be read ({err.strerror or err}); check the file and try again.") from None
        try:
            self._check()
        except BaseException:
            self.zip.close()
            raise
        self.read_bytes = 0
        self.prefix = ""

    def _check(self) -> None:
        infos = self.zip.infolist()
        if len(infos) > MAX_ENTRIES:
            raise QdpxError(f"{self.path} holds {len(infos):,} files, more than the {MAX_ENTRIES:,} fieldnotes "
                            "accepts in a .qdpx; check that this is the right file.")
        total = 0
        self.entries: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            problem = _unsafe(info.filename)
            if problem:
                raise QdpxError(
                    f"{self.path} holds an entry named {info.filename!r}, which {problem}. fieldnotes refuses "
                    "such archives because unpacking them can write files outside the intended folder "
                    "(a \"zip slip\"); nothing was imported. Ask for a fresh export from the program that made it.")
            if info.flag_bits & 0x1:
                raise QdpxError(f"{self.path} is encrypted ({info.filename}); export it again without a password.")
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise QdpxError(
                    f"{self.path} would unpack to more than {MAX_TOTAL_BYTES // 1024**3} GB, more than fieldnotes "
                    "accepts; it may be a zip bomb, or a project with large media files (export it without "
                    "them). Nothing was imported.")
            if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise QdpxError(
                    f"{self.path}: the entry {info.filename!r} unpacks to {info.file_size:,} bytes from "
                    f"{info.compress_size:,}, a ratio no real document has; it looks like a zip bomb, so "
                    "nothing was imported.")
            if info.is_dir():
                continue
            key = info.filename.casefold()
            if key in self.entries:
                raise QdpxError(f"{self.path} lists {info.filename!r} twice, so it is unclear which to read; "
                                "export the project again.")
            self.entries[key] = info

    def close(self) -> None:
        self.zip.close()

    def read(self, info: zipfile.ZipInfo) -> bytes:
        limit = min(info.file_size, MAX_TOTAL_BYTES - self.read_bytes)
        try:
            with self.zip.open(info) as handle:
                data = handle.read(limit + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as err:
            raise QdpxError(f"{self.path}: the entry {info.filename!r} cannot be unpacked ({err}); the file is "
                            "damaged, so export the project again.") from None
        if len(data) > limit:
            raise QdpxError(f"{self.path}: the entry {info.filename!r} unpacks to more than it declares; the "
                            "file is damaged or crafted, so nothing was imported.")
        self.read_bytes += len(data)
        return data

    def find_qde(self, warnings: list[str]) -> zipfile.ZipInfo:
        """The project XML: ``project.qde``, else the single ``.qde`` at the
        root (tools name it after the project), else the largest."""
        qdes = [i for i in self.entries.values() if i.filename.casefold().endswith(".qde")]
        if not qdes:
            raise QdpxError(
                f"{self.path} holds no .qde file, so it is not a REFI-QDA project (.qdpx); a codebook "
                "(.qdc) is imported with 'fieldnotes codebook import' instead.")
        depth = min(i.filename.count("/") for i in qdes)
        pool = [i for i in qdes if i.filename.count("/") == depth]
        named = [i for i in pool if posixpath.basename(i.filename).casefold() == "project.qde"]
        chosen = named[0] if named else max(pool, key=lambda i: i.file_size)
        if len(qdes) > 1:
            warnings.append(f"the .qdpx holds {len(qdes)} .qde files; read {chosen.filename}")
        self.prefix = posixpath.dirname(chosen.filename)
        return chosen

    def _lookup(self, relative: str) -> zipfile.ZipInfo | None:
        relative = posixpath.normpath(relative.lstrip("/"))
        if relative.startswith("..") or relative in {".", ""}:
            return None
        base = f"{self.prefix}/" if self.prefix else ""
        for candidate in (f"{base}sources/{relative}", f"{base}{relative}"):
            info = self.entries.get(candidate.casefold())
            if info is not None:
                return info
        return None

    def _by_name(self, name: str) -> zipfile.ZipInfo | None:
        """The one entry in a sources folder with this file name."""
        wanted = name.casefold()
        found = [i for key, i in self.entries.items()
                 if posixpath.basename(key) == wanted and "sources/" in f"/{key}"]
        return found[0] if len(found) == 1 else None

    def resolve(self, reference: str) -> tuple[zipfile.ZipInfo | None, str]:
        """The entry a source path names, and how it was found (or why not).
        Only entries of the archive are ever returned."""
        reference = reference.strip()
        match = _SCHEME.match(reference)
        scheme = match.group(1).casefold() if match and len(match.group(1)) > 1 else ""
        rest = unquote(match.group(2)) if scheme else reference
        if scheme == "internal":
            rest = rest.lstrip("/").replace("\\", "/")
            info = self._lookup(rest) or self._by_name(posixpath.basename(rest))
            return info, "" if info else "its file is missing from the .qdpx"
        name = posixpath.basename(rest.replace("\\", "/"))
        info = self._by_name(name) if name else None
        if info is not None:
            return info, f"it points outside the .qdpx ({reference}); read the copy inside the .qdpx"
        return None, (f"its text is outside the .qdpx ({reference}), and fieldnotes reads only files inside "
                      "the .qdpx; export the project again with the sources embedded")


def parse_xml(data: bytes, where: str) -> ET.Element:
    """Parse project XML safely (defusedxml: no DTDs, no entities, no XXE),
    or raise a :class:`QdpxError` naming ``where``."""
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException:
        raise QdpxError(
            f"{where} contains a DTD or entity declarations (<!DOCTYPE …> or <!ENTITY …>), which fieldnotes "
            "refuses for safety because they can read other files on your computer or expand to gigabytes; "
            "nothing was imported. Export the project again, or ask its author where it came from.") from None
    except ET.ParseError as err:
        line, column = err.position
        reason = expat.ErrorString(err.code) if err.code else str(err)
        raise QdpxError(
            f"{where} is not well-formed XML (line {line}, column {column + 1}: {reason}); the file may be "
            "damaged or cut short, so export the project again from the program that made it.") from None


# -- import: reading the project ---------------------------------------------------------


