"""Image processing for scanned pages: seal removal, deskew, ruling lines, text line boxes.

Works on numpy arrays in pixels (row 0 at the top). A scanned duty list is black print on
light paper, ruled like its Word original, with maybe a red seal stamped over it and a slight
skew. Everything here is deterministic image arithmetic (numpy and OpenCV); recognising the
characters is the job of `pipeline.extract.ocr`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Box:
    """An axis-aligned pixel box, end-exclusive."""

    x0: int
    top: int
    x1: int
    bottom: int


def drop_red(rgb: np.ndarray, margin: int) -> np.ndarray:
    """Gray image with red ink (seals, stamps) turned to paper white.

    A pixel is red when its red channel exceeds both others by more than `margin`; black print
    under a seal stays black because all its channels are low.
    """
    r, g, b = (rgb[..., i].astype(np.int16) for i in range(3))
    gray = np.minimum(np.minimum(r, g), b)
    red = (r - np.maximum(g, b)) > margin
    gray[red] = 255
    return gray.astype(np.uint8)


def ink_mask(gray: np.ndarray, min_area: int = 3) -> np.ndarray:
    """Dark pixels (uint8 0/1) by Otsu's threshold, without specks of noise smaller than
    `min_area` pixels (a median filter would also erase one-pixel ruling lines)."""
    import cv2

    _, binary = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    small = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] < min_area)
    small = small[small > 0]
    if len(small):
        binary[np.isin(labels, small)] = 0
    return binary


def line_mask(gray: np.ndarray, lift: int) -> np.ndarray:
    """Dark pixels with a threshold `lift` levels lighter than Otsu's: thin, light ruling
    lines (one pixel of anti-aliased gray in a scan) stay unbroken."""
    import cv2

    t, _ = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return (gray < min(250, t + lift)).astype(np.uint8)


def skew_angle(ink: np.ndarray, max_degrees: float, step: float) -> float:
    """The rotation (degrees) that makes the page's rows of ink most sharply horizontal.

    Ruled tables and text lines give row sums with tall peaks when level; the angle whose
    profile has the largest sum of squares wins (searched coarse, then fine, on a half-size
    image for speed).
    """
    import cv2

    small = cv2.resize(ink, (ink.shape[1] // 2, ink.shape[0] // 2), interpolation=cv2.INTER_AREA)
    small = small.astype(np.float32)
    h, w = small.shape
    center = (w / 2, h / 2)

    def score(angle: float) -> float:
        m = cv2.getRotationMatrix2D(center, angle, 1.0)
        rotated = cv2.warpAffine(small, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
        rows = rotated.sum(axis=1)
        return float((rows * rows).sum())

    def best(candidates) -> float:
        return max(candidates, key=lambda a: (score(a), -abs(a)))

    coarse = best(np.arange(-max_degrees, max_degrees + 1e-9, step * 5).round(4).tolist())
    return best(np.arange(coarse - step * 5, coarse + step * 5 + 1e-9, step).round(4).tolist())


def rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    """The image rotated by `angle` degrees about its centre, new corners filled white."""
    import cv2

    if angle == 0:
        return gray
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def rulings(ink: np.ndarray, min_length: int) -> tuple[list[tuple], list[tuple], np.ndarray]:
    """Horizontal and vertical ruling segments found by morphological opening.

    Returns h segments (y, x0, x1), v segments (x, top, bottom) in pixels, and the mask of
    ruling pixels. A stroke of a character is far shorter than `min_length`, so only the
    table's lines survive an opening with a line-shaped kernel of that length.
    """
    import cv2

    mask = np.zeros_like(ink)
    out = []
    for horizontal in (True, False):
        shape = (min_length, 1) if horizontal else (1, min_length)
        lines = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, shape))
        # bridge small breaks (noise, faint print) along the line
        bridge = (max(3, min_length // 4), 1) if horizontal else (1, max(3, min_length // 4))
        lines = cv2.morphologyEx(lines, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge))
        mask |= lines
        n, _, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
        segs = []
        for x, y, w, h, _area in stats[1:n].tolist():
            if horizontal and w >= min_length:
                segs.append((y + h / 2, float(x), float(x + w)))
            elif not horizontal and h >= min_length:
                segs.append((x + w / 2, float(y), float(y + h)))
        out.append(sorted(segs))
    return out[0], out[1], mask


def table_boxes(mask: np.ndarray, min_width: int, min_height: int) -> list[Box]:
    """Boxes of connected ruling structures large enough to be tables, top to bottom."""
    import cv2

    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    boxes = [
        Box(x, y, x + w, y + h)
        for x, y, w, h, _area in stats[1:n].tolist()
        if w >= min_width and h >= min_height
    ]
    return sorted(boxes, key=lambda b: (b.top, b.x0))


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of runs of True, end-exclusive."""
    padded = np.concatenate(([False], flags, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def text_lines(ink: np.ndarray, min_height: int, max_gap: int) -> list[Box]:
    """Boxes of the text lines in a region of ink (region coordinates), top to bottom.

    Rows with ink form a line; a line shorter than `min_height` is noise. Within a line, ink
    separated by a gap wider than `max_gap` starts another box (two texts side by side,
    e.g. a title and a page number), so each box is one run of text.
    """
    boxes = []
    for top, bottom in _runs(ink.sum(axis=1) > 0):
        if bottom - top < min_height:
            continue
        cols = ink[top:bottom].sum(axis=0) > 0
        pieces: list[list[int]] = []
        for a, b in _runs(cols):
            if pieces and a - pieces[-1][1] <= max_gap:
                pieces[-1][1] = b
            else:
                pieces.append([a, b])
        for a, b in pieces:
            rows = np.flatnonzero(ink[top:bottom, a:b].sum(axis=1) > 0)
            if b - a >= 2 and len(rows):
                boxes.append(Box(a, top + int(rows[0]), b, top + int(rows[-1]) + 1))
    return boxes


def split_tall(ink: np.ndarray, box: Box, line_height: int) -> list[Box]:
    """A box more than 1.6 line heights tall holds touching lines: cut it at the emptiest rows."""
    h = box.bottom - box.top
    n = round(h / line_height)
    if n < 2 or h < 1.6 * line_height:
        return [box]
    rows = ink[box.top : box.bottom, box.x0 : box.x1].sum(axis=1)
    cuts = []
    for k in range(1, n):
        guess = round(k * h / n)
        lo, hi = max(1, guess - line_height // 3), min(h - 1, guess + line_height // 3)
        cuts.append(lo + int(np.argmin(rows[lo:hi])))
    edges = [0, *cuts, h]
    return [Box(box.x0, box.top + a, box.x1, box.top + b) for a, b in zip(edges, edges[1:], strict=False)]
