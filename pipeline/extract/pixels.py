"""Pixel limits for image files, applied from the very first look at one.

Pillow warns above Image.MAX_IMAGE_PIXELS (default 89 MP) and refuses twice that; a page scan is
far smaller (A3 at 600 dpi: about 70 MP before compression, 60 MP is the limit here). `limited()`
sets the limit before anything opens the image and turns Pillow's warning into the same refusal,
so an image past the limit (a pixel bomb: a few KB of PNG declaring 30,000 × 30,000 pixels) is
rejected with one line saying so, before any pixel is decoded, and no warning is printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import re
import warnings

MAX_PIXELS = 60_000_000  # about A3 at 600 dpi; larger is no page scan


class PixelBomb(ValueError):
    """An image with more pixels than the limit; the message is the reason for the user."""


@contextmanager
def limited() -> Iterator[None]:
    """Open and decode images inside this block: past MAX_PIXELS, PixelBomb is raised."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise PixelBomb(reason(str(exc))) from None


def reason(message: str) -> str:
    """The sentence for Pillow's message ("Image size (N pixels) exceeds limit of M pixels, …")."""
    found = re.search(r"\((\d+) pixels\)", message)
    size = f"{int(found.group(1)) / 1e6:,.0f} megapixels" if found else "more pixels than allowed"
    return (
        f"an image of {size}, over the {MAX_PIXELS / 1e6:.0f}-megapixel limit for a page scan "
        "(a decompression bomb?); not read"
    )
