"""The agency's logo, as its letterhead prints it.

Only raster images are taken (PNG or JPEG): an SVG is a program (scripts, external
references) that a PDF renderer and a browser would both run. The upload is decoded by
Pillow with its size checked before any pixel is decoded (no decompression bomb), then
re-encoded as a fresh PNG no larger than the letterhead needs, so nothing of the uploaded
file but its pixels is ever kept or sent (no metadata, no polyglot). The PNG is kept on the
agency's own row and embedded in that agency's pages and documents as a ``data:`` URI, so
no URL ever serves one agency's logo to another's pages."""

from __future__ import annotations

import base64
import hashlib
from io import BytesIO

from django.core.exceptions import ValidationError

MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 4000  # pixels, either way, of the upload
MIN_SIDE = 16
# What the letterhead needs (about 2.5 x 0.8 inches at 240 dpi); larger uploads are shrunk.
KEPT_WIDTH, KEPT_HEIGHT = 600, 200
FORMATS = {"PNG": "PNG", "JPEG": "JPEG"}


def clean_logo(data: bytes) -> bytes:
    """The upload re-encoded as a PNG of at most 600 x 200 pixels, or a ValidationError on
    ``logo`` naming what is wrong."""
    from PIL import Image, UnidentifiedImageError

    def refuse(reason: str) -> ValidationError:
        return ValidationError({"logo": reason})

    if not data:
        raise refuse("The file is empty.")
    if len(data) > MAX_BYTES:
        raise refuse(f"The logo is {len(data) / 1024 / 1024:.1f} MB; at most 2 MB is taken.")
    try:
        with Image.open(BytesIO(data)) as probe:
            kind = probe.format or ""
            width, height = probe.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise refuse("This is not a PNG or JPEG image.") from None
    if kind not in FORMATS:
        raise refuse(f"A {kind or 'file of this kind'} is not taken: upload a PNG or JPEG.")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise refuse(f"The image is {width} x {height} pixels; at most {MAX_SIDE} either way.")
    if width < MIN_SIDE or height < MIN_SIDE:
        raise refuse(f"The image is {width} x {height} pixels; at least {MIN_SIDE} either way.")
    if not _complete(kind, data):
        raise refuse("The image is damaged and cannot be read: the file is cut short.")
    try:
        with Image.open(BytesIO(data)) as image:
            image.load()
            pixels = image.convert("RGBA")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise refuse("The image is damaged and cannot be read.") from None
    pixels.thumbnail((KEPT_WIDTH, KEPT_HEIGHT))
    out = BytesIO()
    pixels.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _complete(kind: str, data: bytes) -> bool:
    """Whether the file holds its whole image. Pillow would say so while decoding, but
    WeasyPrint, once imported, sets Pillow's process-wide LOAD_TRUNCATED_IMAGES, after which
    a file cut short is padded with grey instead of refused; so the check is made here."""
    from PIL import Image

    if kind == "PNG":
        try:  # every chunk's CRC, up to IEND
            with Image.open(BytesIO(data)) as image:
                image.verify()
        except (OSError, ValueError, SyntaxError):
            return False
        return True
    # JPEG: walk the segments to the first scan (skipping an EXIF thumbnail's own end
    # marker), then the scan must reach the end-of-image marker.
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        if data[pos + 1] == 0xDA:
            return b"\xff\xd9" in data[pos:]
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return False


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def fingerprint(png: bytes) -> str | None:
    """What the audit trail records of a logo (the pixels are not audit material)."""
    return hashlib.sha256(png).hexdigest()[:16] if png else None
