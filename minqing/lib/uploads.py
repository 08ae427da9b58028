"""Photo uploads: checked by their content, re-encoded (which drops EXIF, GPS included), size-limited."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


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


def prepare_images(files: list) -> list[PreparedImage]:
    """Validate every file before anything is stored; raise UploadError with a Chinese message."""
    limits = settings.MINQING
    files = [f for f in files if f]
    if len(files) > limits["ATTACHMENT_MAX_COUNT"]:
        raise UploadError(f"最多上传 {limits['ATTACHMENT_MAX_COUNT']} 张照片。")
    prepared = []
    for f in files:
        name = getattr(f, "name", "照片") or "照片"
        size = getattr(f, "size", None)
        if size is not None and size > limits["ATTACHMENT_MAX_BYTES"]:
            raise UploadError(f"“{name}”超过 {limits['ATTACHMENT_MAX_BYTES'] // (1024 * 1024)} MB，请压缩后再上传。")
        raw = f.read()
        if len(raw) > limits["ATTACHMENT_MAX_BYTES"]:
            raise UploadError(f"“{name}”超过 {limits['ATTACHMENT_MAX_BYTES'] // (1024 * 1024)} MB，请压缩后再上传。")
        prepared.append(_reencode(name, raw, limits["ATTACHMENT_MAX_PIXELS"]))
    return prepared


def _reencode(name: str, raw: bytes, max_pixels: int) -> PreparedImage:
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise UploadError(f"“{name}”不是有效的图片文件，只能上传 JPG、PNG、GIF、WEBP 格式的照片。") from exc
    if fmt not in ALLOWED_FORMATS:
        raise UploadError(f"“{name}”不是支持的图片格式，只能上传 JPG、PNG、GIF、WEBP 格式的照片。")
    if width * height > max_pixels:
        raise UploadError(f"“{name}”分辨率过大（{width}×{height}），请缩小后再上传。")
    try:
        with Image.open(io.BytesIO(raw)) as opened:
            img = ImageOps.exif_transpose(opened)
            out = io.BytesIO()
            if img.mode in {"RGBA", "LA", "P"} and fmt != "JPEG":
                img.convert("RGBA").save(out, format="PNG", optimize=True)
                content_type, ext = "image/png", "png"
            else:
                img.convert("RGB").save(out, format="JPEG", quality=85)
                content_type, ext = "image/jpeg", "jpg"
            width, height = img.size
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UploadError(f"“{name}”已损坏，无法读取。") from exc
    return PreparedImage(name[:200], out.getvalue(), content_type, ext, width, height)


def store(image: PreparedImage) -> str:
    """Write the file to the media storage and return its name."""
    now = timezone.localtime()
    path = f"tickets/{now:%Y/%m}/{uuid.uuid4().hex}.{image.extension}"
    return default_storage.save(path, ContentFile(image.content))


def discard(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


def prepare_document(f: Any) -> tuple[str, ContentFile, str]:
    """A photo or a scan for the record (minutes, signed sheets, agreements): photos are re-encoded like
    request photos (EXIF and GPS dropped); a PDF must really be a PDF. Returns name, content, content type."""
    name = getattr(f, "name", "附件") or "附件"
    if (getattr(f, "size", 0) or 0) > DOCUMENT_MAX_BYTES:
        raise UploadError(f"“{name}”超过 {DOCUMENT_MAX_BYTES // 1024 // 1024} MB。")
    if name.lower().endswith(".pdf"):
        raw = f.read()
        if not raw.startswith(b"%PDF-"):
            raise UploadError(f"“{name}”不是有效的 PDF 文件。")
        return name, ContentFile(raw, name=f"{uuid.uuid4().hex}.pdf"), "application/pdf"
    try:
        image = prepare_images([f])[0]
    except UploadError as exc:
        raise UploadError(f"{exc}（只支持照片和 PDF）") from exc
    return name, ContentFile(image.content, name=f"{uuid.uuid4().hex}.{image.extension}"), image.content_type
