"""Query pictures from outside (an upload to the API, a file given to the CLI or the page): only
common formats are opened, the pixel count is checked from the header before anything is
decoded, and the picture is decoded small and turned upright by its EXIF orientation. The only
module that decodes untrusted pictures; it imports PIL and nothing of the web."""

from __future__ import annotations

import io
import logging

import numpy as np
from PIL import ExifTags, Image, UnidentifiedImageError

from indexer.errors import describe

log = logging.getLogger(__name__)

MAX_PIXELS = 25_000_000
"""Largest uploaded image, pixels (a 24 MP camera's photo, a 6K screenshot), read from its header:
bigger ones are refused before a pixel is decoded. A query picture is seen by CLIP at 224 px, so
nothing larger is worth its memory (a 25 MP PNG with alpha takes about 200 MB while decoded)."""
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
"""What search by image reads (PIL's names; JPEG includes the MPO files of many cameras). Nothing
else is even opened: PIL's other readers (TIFF, EPS through Ghostscript, PSD, ...) are attack
surface a query picture does not need."""
QUERY_SIDE = 448
"""Short side, pixels, an uploaded picture is brought down to before it is converted (twice what
CLIP looks at); JPEGs are decoded straight at about that size (libjpeg's 1/2, 1/4, 1/8 scaling)."""
TRANSPOSES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""How to turn a picture upright by its EXIF orientation (as PIL's `ImageOps.exif_transpose`)."""


class PictureError(ValueError):
    """A query picture that is refused; the message is one line."""


class PictureTooLarge(PictureError):
    """More pixels than MAX_PIXELS (HTTP 413)."""


class PictureUnreadable(PictureError):
    """Not a picture of IMAGE_FORMATS, or it does not decode (HTTP 415)."""


def decode_picture(data: bytes) -> np.ndarray:
    """An uploaded picture as HxWx3 uint8 RGB, its short side at most about QUERY_SIDE, upright by
    its EXIF orientation (any EXIF it cannot read is ignored: the picture is used as it is).

    PictureTooLarge when its header declares more than MAX_PIXELS pixels (nothing decoded yet),
    PictureUnreadable when it is not one of IMAGE_FORMATS or does not decode. JPEGs decode at
    reduced size; other formats decode once at full size, are scaled down, and only the small copy
    is converted."""
    try:
        with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as picture:
            width, height = picture.size
            if width * height > MAX_PIXELS:
                raise PictureTooLarge(f"the image has {width}x{height} pixels, more than {MAX_PIXELS}")
            scale = QUERY_SIDE / max(1, min(width, height))
            if scale < 1:
                picture.draft("RGB", (max(1, round(width * scale)), max(1, round(height * scale))))
            picture.load()
            orientation = _orientation(picture)
            small = _scaled_down(picture)
            rgb = small if small.mode == "RGB" else small.convert("RGB")
            method = TRANSPOSES.get(orientation)
            return np.asarray(rgb.transpose(method) if method is not None else rgb)
    except PictureError:
        raise
    except Image.DecompressionBombError as exc:  # PIL's own cap, far above MAX_PIXELS
        raise PictureTooLarge(f"the image has more than {MAX_PIXELS} pixels") from exc
    except UnidentifiedImageError as exc:
        raise PictureUnreadable(f"not a picture vidsearch reads ({', '.join(IMAGE_FORMATS)})") from exc
    except Exception as exc:  # a decoder failing on untrusted bytes, however it fails
        raise PictureUnreadable(f"not an image that can be read ({type(exc).__name__})") from exc


def _orientation(picture: Image.Image) -> int:
    """The EXIF orientation (1-8), or 1 when there is none or the EXIF cannot be read."""
    try:
        value = picture.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception as exc:  # malformed EXIF (struct.error, a wrong type byte, ...): use the picture as it is
        log.debug("ignoring unreadable EXIF: %s", describe(exc))
        return 1
    return value if isinstance(value, int) and value in TRANSPOSES else 1


def _scaled_down(picture: Image.Image) -> Image.Image:
    """`picture` with its short side brought down to QUERY_SIDE (as it is when already that small),
    without a second full-size copy: plain RGB and grey are reduced and resized directly; other
    modes (palette, alpha, 16-bit), which PIL would first convert at full size, are sampled down to
    twice the size by nearest pixel, then converted and smoothed."""
    width, height = picture.size
    factor = min(width, height) / QUERY_SIDE
    if factor <= 1:
        return picture
    size = (max(1, round(width / factor)), max(1, round(height / factor)))
    if picture.mode in ("RGB", "L"):
        return picture.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    coarse = (min(width, 2 * size[0]), min(height, 2 * size[1]))
    return picture.resize(coarse, Image.Resampling.NEAREST).convert("RGB").resize(size, Image.Resampling.BILINEAR)
