"""Photo uploads: checked by their content, re-encoded (which drops EXIF, GPS included), size-limited.

Checking is cheap and happens while the form is cleaned: the count, the bytes, the format and the pixel
count read from the header, before a single pixel is decoded (a 6300×6300 PNG is 100 KB on disk and took
16 s to re-encode). Re-encoding is the expensive part and happens only once the rest of the form is valid:
the action re-encodes a small photo at once and keeps a larger one aside, as uploaded, for the worker
(tickets/actions/photos.py).
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
import warnings
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
# Pillow's own guard agrees with ours: it refuses an image of twice this many pixels as it opens it.
Image.MAX_IMAGE_PIXELS = settings.MINQING["ATTACHMENT_MAX_PIXELS"]
QUARANTINE = "quarantine"  # uploads as received, waiting for the worker; never served
# Photos of a form shown again with errors, kept until it is sent again (a day at most); never served.
HELD, HELD_SALT, HELD_MAX_AGE = "held", "minqing.uploads.held", dt.timedelta(days=1)


class UploadError(ValueError):
    pass


@dataclass(frozen=True)
class PreparedImage:
    original_name: str
    content: bytes
    content_type: str
    extension: str
    width: int
    height: int
    raw: bool = False  # the upload as received: checked, not yet re-encoded
    held: str = ""  # the token of a photo kept from an earlier try of the same form (see `hold`)

    @property
    def pixels(self) -> int:
        return self.width * self.height


def prepare_images(files: list, *, kept: int = 0) -> list[PreparedImage]:
    """Check every file without decoding it; raise UploadError with a Chinese message. The images come
    back as uploaded (raw): `reencode` makes them safe to show. `kept` photos of an earlier try count
    towards the limit."""
    limits = settings.MINQING
    files = [f for f in files if f]
    if len(files) + kept > limits["ATTACHMENT_MAX_COUNT"]:
        raise UploadError(f"最多上传 {limits['ATTACHMENT_MAX_COUNT']} 张照片。")
    prepared = []
    for f in files:
        name = (getattr(f, "name", "照片") or "照片")[:200]
        size = getattr(f, "size", None)
        too_big = f"“{name}”超过 {limits['ATTACHMENT_MAX_BYTES'] // (1024 * 1024)} MB，请压缩后再上传。"
        if size is not None and size > limits["ATTACHMENT_MAX_BYTES"]:
            raise UploadError(too_big)
        raw = f.read(limits["ATTACHMENT_MAX_BYTES"] + 1)
        if len(raw) > limits["ATTACHMENT_MAX_BYTES"]:
            raise UploadError(too_big)
        fmt, width, height = _probe(name, raw, limits["ATTACHMENT_MAX_PIXELS"])
        prepared.append(PreparedImage(name, raw, ALLOWED_FORMATS[fmt], fmt.lower(), width, height, raw=True))
    return prepared


def _probe(name: str, raw: bytes, max_pixels: int) -> tuple[str, int, int]:
    """Format and size from the header alone (Image.open reads no pixels), then the file's structure."""
    invalid = f"“{name}”不是有效的图片文件，只能上传 JPG、PNG、GIF、WEBP 格式的照片。"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below, with our message
            with Image.open(io.BytesIO(raw)) as probe:
                fmt, (width, height) = probe.format or "", probe.size
                if fmt not in ALLOWED_FORMATS:
                    raise UploadError(f"“{name}”不是支持的图片格式，只能上传 JPG、PNG、GIF、WEBP 格式的照片。")
                if width * height > max_pixels:
                    raise UploadError(f"“{name}”分辨率过大（{width}×{height}），请缩小后再上传。")
                probe.verify()  # chunk structure and checksums, still without decoding
    except Image.DecompressionBombError as exc:
        raise UploadError(f"“{name}”分辨率过大，请缩小后再上传。") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, UploadError):
            raise
        raise UploadError(invalid) from exc
    return fmt, width, height


def reencode(image: PreparedImage) -> PreparedImage:
    """Decode and write the photo again (EXIF and GPS dropped, turned upright): the expensive step."""
    if not image.raw:
        return image
    name, max_pixels = image.original_name, settings.MINQING["ATTACHMENT_MAX_PIXELS"]
    fmt, _, _ = _probe(name, image.content, max_pixels)  # the worker checks again what it is given
    try:
        with Image.open(io.BytesIO(image.content)) as opened:
            img = ImageOps.exif_transpose(opened)
            out = io.BytesIO()
            if img.mode in {"RGBA", "LA", "P"} and fmt != "JPEG":
                img.convert("RGBA").save(out, format="PNG", optimize=True)
                content_type, ext = "image/png", "png"
            else:
                img.convert("RGB").save(out, format="JPEG", quality=85)
                content_type, ext = "image/jpeg", "jpg"
            width, height = img.size
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UploadError(f"“{name}”已损坏，无法读取。") from exc
    return replace(image, content=out.getvalue(), content_type=content_type, extension=ext, width=width,
                   height=height, raw=False)


def store(image: PreparedImage) -> str:
    """Write the file to the media storage and return its name: a raw upload into the quarantine."""
    now = timezone.localtime()
    if image.raw:
        return default_storage.save(f"{QUARANTINE}/{now:%Y/%m}/{uuid.uuid4().hex}.upload", ContentFile(image.content))
    path = f"tickets/{now:%Y/%m}/{uuid.uuid4().hex}.{image.extension}"
    return default_storage.save(path, ContentFile(image.content))


def hold(image: PreparedImage) -> str:
    """Keep a checked photo of a form that failed for another reason; the signed token (a hidden field of the
    form shown again) brings it back with `release`, so nobody selects it twice."""
    if image.held:
        return image.held
    name = default_storage.save(f"{HELD}/{uuid.uuid4().hex}.upload", ContentFile(image.content))
    return signing.dumps({"f": name, "n": image.original_name, "t": image.content_type, "e": image.extension,
                          "w": image.width, "h": image.height, "r": image.raw}, salt=HELD_SALT, compress=True)


def release(token: str) -> PreparedImage | None:
    """The photo a token of `hold` names, or None if the token is forged, expired or its file gone."""
    try:
        d = signing.loads(token, salt=HELD_SALT, max_age=HELD_MAX_AGE)
        with default_storage.open(d["f"]) as fh:
            content = fh.read()
    except (signing.BadSignature, OSError, KeyError, TypeError):
        return None
    return PreparedImage(d["n"], content, d["t"], d["e"], d["w"], d["h"], raw=d["r"], held=token)


def purge_held(*, now: dt.datetime) -> int:
    """Delete kept photos older than a day (their forms were sent or abandoned). Run by the sweep."""
    try:
        _, names = default_storage.listdir(HELD)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    old = [f"{HELD}/{n}" for n in names if default_storage.get_modified_time(f"{HELD}/{n}") < now - HELD_MAX_AGE]
    discard(old)
    return len(old)


def discard(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


def prepare_document(f: Any) -> tuple[str, ContentFile, str]:
    """A photo or a scan for the record (minutes, signed sheets, agreements): photos are re-encoded like
    request photos (EXIF and GPS dropped); a PDF must really be a PDF. Returns name, content, content type.
    Called by actions, once the rest of the form is valid; one file at a time, so in the request."""
    name = getattr(f, "name", "附件") or "附件"
    if (getattr(f, "size", 0) or 0) > DOCUMENT_MAX_BYTES:
        raise UploadError(f"“{name}”超过 {DOCUMENT_MAX_BYTES // 1024 // 1024} MB。")
    if name.lower().endswith(".pdf"):
        raw = f.read()
        if not raw.startswith(b"%PDF-"):
            raise UploadError(f"“{name}”不是有效的 PDF 文件。")
        return name, ContentFile(raw, name=f"{uuid.uuid4().hex}.pdf"), "application/pdf"
    try:
        image = reencode(prepare_images([f])[0])
    except UploadError as exc:
        raise UploadError(f"{exc}（只支持照片和 PDF）") from exc
    return name, ContentFile(image.content, name=f"{uuid.uuid4().hex}.{image.extension}"), image.content_type
