"""What an uploaded file really is: its bytes must match its extension.

A ``.pdf`` starts with ``%PDF-``; a ``.docx``/``.xlsx`` is a ZIP whose
``[Content_Types].xml`` declares the Word/Excel main part; ``.odt``/``.ods`` are ZIPs whose
``mimetype`` entry names the OpenDocument type; ``.doc``/``.xls`` are OLE2 compound files;
PNG and JPEG start with their magic bytes; ``.csv``/``.txt`` decode as UTF-8 text. The
content type stored and served is the one of the extension, never the one the client sent.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError

PDF = b"%PDF-"
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}

# The main part an Office Open XML package must declare in [Content_Types].xml.
_OOXML_MAIN = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}
_MAX_MANIFEST = 1024 * 1024  # a [Content_Types].xml or mimetype entry is small; no zip bombs


def _zip_entry(data: bytes, name: str) -> bytes | None:
    """The (small) entry ``name`` of a ZIP, or None when it is no ZIP or lacks the entry."""
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo(name)
            if info.file_size > _MAX_MANIFEST:
                return None
            return archive.read(info)
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, ValueError, EOFError):
        return None


def matches(extension: str, data: bytes) -> bool:
    """Whether ``data`` is a file of the kind its (lower-case, dotted) ``extension`` says."""
    if extension == ".pdf":
        return data.startswith(PDF)
    if extension == ".png":
        return data.startswith(PNG)
    if extension in {".jpg", ".jpeg"}:
        return data.startswith(JPEG)
    if extension in {".doc", ".xls"}:
        return data.startswith(OLE2)
    if extension in _OOXML_MAIN:
        manifest = _zip_entry(data, "[Content_Types].xml")
        return manifest is not None and _OOXML_MAIN[extension].encode() in manifest
    if extension in {".odt", ".ods"}:
        mimetype = _zip_entry(data, "mimetype")
        return mimetype is not None and mimetype.strip() == CONTENT_TYPES[extension].encode()
    if extension in {".csv", ".txt"}:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return False
        return "\x00" not in text
    return False


MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_EXTENSIONS = set(CONTENT_TYPES)
_KIND = {".pdf": "PDF", ".docx": "Word (.docx)", ".xlsx": "Excel (.xlsx)", ".doc": "Word (.doc)",
         ".xls": "Excel (.xls)", ".odt": "OpenDocument text", ".ods": "OpenDocument spreadsheet",
         ".csv": "UTF-8 CSV text", ".txt": "UTF-8 text", ".png": "PNG", ".jpg": "JPEG",
         ".jpeg": "JPEG"}  # fmt: skip


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes

    @classmethod
    def from_file(cls, uploaded: Any) -> Upload:
        """From a Django ``UploadedFile`` (a form's ``FileField``)."""
        content_type = str(uploaded.content_type or "application/octet-stream")
        return cls(str(uploaded.name), content_type, uploaded.read())


def check_upload(upload: Upload, *, field_name: str = "attachments") -> None:
    name = PurePath(upload.filename).name
    extension = PurePath(name).suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        allowed = ", ".join(sorted(ALLOWED_EXTENSIONS))
        raise ValidationError(
            {
                field_name: f"{name}: files of type {extension or '(none)'} are not accepted; "
                f"send one of {allowed}."
            }
        )
    if len(upload.data) > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            {field_name: f"{name} is larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB."}
        )
    if not upload.data:
        raise ValidationError({field_name: f"{name} is empty."})
    if not matches(extension, upload.data):
        raise ValidationError({field_name: f"{name}: the content is not a {_KIND[extension]} "
                                           f"file, though its name ends in {extension}; send "
                                           "the real file, or rename it to its type."})  # fmt: skip


def content_type_of(filename: str) -> str:
    """The content type stored and served for an accepted file: its extension's own."""
    return CONTENT_TYPES[PurePath(filename).suffix.lower()]
