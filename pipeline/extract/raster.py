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


# --- photographs ----------------------------------------------------------------------------------


def _order_corners(q: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left."""
    s, d = q.sum(axis=1), q[:, 1] - q[:, 0]
    return np.array([q[s.argmin()], q[d.argmin()], q[s.argmax()], q[d.argmax()]], dtype=np.float64)


def _refine_sides(quad: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """The quadrilateral's corners again, from straight lines fitted to the outline's points
    along each side (a polygon approximation places corners only to a few pixels)."""
    import cv2

    lines = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        ab = b - a
        length = float(np.hypot(*ab))
        if length < 1:
            return None
        normal = np.array([-ab[1], ab[0]]) / length
        t = ((points - a) @ ab) / length**2
        near = points[(t > 0.1) & (t < 0.9) & (np.abs((points - a) @ normal) < 4)]
        if len(near) < 10:
            return None
        vx, vy, x0, y0 = cv2.fitLine(near.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0], dtype=np.float64), np.array([vx, vy], dtype=np.float64)))
    corners = []
    for i in range(4):
        (p1, d1), (p2, d2) = lines[i - 1], lines[i]
        m = np.array([d1, -d2]).T
        if abs(np.linalg.det(m)) < 1e-6:
            return None
        t = np.linalg.solve(m, p2 - p1)
        corners.append(p1 + t[0] * d1)
    return np.array(corners)


def page_outline(
    gray: np.ndarray, min_area: float, max_area: float, min_contrast: float
) -> np.ndarray | None:
    """The corners (top-left, top-right, bottom-right, bottom-left; pixels) of a sheet of paper
    photographed on a darker ground, or None when the image shows no such sheet (a scan, where
    paper fills the frame).

    The sheet is the largest bright region (Otsu's threshold on a reduced image, small gaps
    closed) whose outline is a quadrilateral covering `min_area`..`max_area` of the frame, with
    ground on every side (no corner at the frame's edge: a sheet filling the frame, or the lit
    part of one, shows no outline), and whose paper is at least `min_contrast` times as bright
    as the ground around it."""
    import cv2

    h, w = gray.shape
    f = min(1.0, 1000 / max(h, w))
    small = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (5, 5), 0)
    _, bright = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    sheet = max(contours, key=cv2.contourArea)
    share = cv2.contourArea(sheet) / float(small.shape[0] * small.shape[1])
    if not min_area <= share <= max_area:
        return None
    approx = cv2.approxPolyDP(sheet, 0.02 * cv2.arcLength(sheet, True), True).reshape(-1, 2)
    if len(approx) != 4 or not cv2.isContourConvex(approx):
        return None
    inside = np.zeros_like(small)
    cv2.drawContours(inside, [sheet], -1, 255, thickness=-1)
    paper, ground = small[inside > 0], small[inside == 0]
    if len(ground) == 0 or float(np.median(paper)) < min_contrast * float(np.median(ground)):
        return None
    quad = _order_corners(approx.astype(np.float64))
    sh, sw = small.shape
    inset = 0.005 * max(sh, sw)
    sides = np.hypot(*(quad - np.roll(quad, -1, axis=0)).T)
    if (
        sides.min() < 0.2 * min(sh, sw)  # a sliver or a degenerate outline
        or quad[:, 0].min() < inset  # the sheet runs out of the frame: its outline is not seen
        or quad[:, 1].min() < inset
        or quad[:, 0].max() > sw - 1 - inset
        or quad[:, 1].max() > sh - 1 - inset
    ):
        return None
    refined = _refine_sides(quad, sheet.reshape(-1, 2).astype(np.float64))
    return (refined if refined is not None else quad) / f


def warp_sheet(
    rgb: np.ndarray, corners: np.ndarray, ratio: float, snap: float, max_long: int | None = None
) -> np.ndarray:
    """The sheet seen straight on: its four corners mapped to a rectangle as large as its longer
    sides (its longer side at most `max_long` pixels: finer adds nothing to OCR). Where the
    sides' proportion lies within `snap` (relative) of `ratio` (the paper's, e.g. √2 for ISO A
    sizes), the rectangle takes that proportion exactly: perspective shortens the sides away
    from the camera."""
    import cv2

    tl, tr, br, bl = corners
    w = max(np.hypot(*(tr - tl)), np.hypot(*(br - bl)))
    h = max(np.hypot(*(bl - tl)), np.hypot(*(br - tr)))
    long, short = max(w, h), min(w, h)
    if short > 0 and abs(long / short - ratio) <= snap * ratio:
        if w >= h:
            h = w / ratio
        else:
            w = h / ratio
    if max_long is not None and max(w, h) > max_long:
        w, h = w * max_long / max(w, h), h * max_long / max(w, h)
    width, height = max(2, round(w)), max(2, round(h))
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(
        rgb, m, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )


def light_field(rgb: np.ndarray, kernel: int) -> np.ndarray:
    """The paper's brightness at every pixel (per channel): print removed by a closing with a
    `kernel`-pixel square (wider than a character), on a quarter-size image, then smoothed."""
    import cv2

    h, w = rgb.shape[:2]
    f = 4
    small = cv2.resize(rgb, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    k = max(3, kernel // f) | 1
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    background = cv2.GaussianBlur(background, (0, 0), k / 3)
    return cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)


def flatten_light(rgb: np.ndarray, background: np.ndarray) -> np.ndarray:
    """The image divided by its paper's brightness: paper white everywhere, print as dark
    relative to its paper as it was (uneven light and a colour cast removed). In 8 bits, no
    copy in floating point: a phone photo has tens of megapixels."""
    import cv2

    return cv2.divide(rgb, np.maximum(background, 1), scale=255)


def uneven(background: np.ndarray) -> float:
    """How unevenly lit the paper is: the spread between its brighter and darker parts
    (95th and 5th percentiles of the gray background), in gray levels."""
    gray = background.min(axis=2) if background.ndim == 3 else background
    lo, hi = np.percentile(gray[::4, ::4], (5, 95))
    return float(hi - lo)


def table_outline(gray: np.ndarray, min_area: float) -> np.ndarray | None:
    """The corners (as `page_outline` gives them) of the largest ruled table of a flat-lit page
    image: its grid is the largest connected piece of ink; its outer border, a quadrilateral
    covering at least `min_area` of the image, or None."""
    import cv2

    ink = ink_mask(gray)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n < 2:
        return None
    boxes = stats[1:, cv2.CC_STAT_WIDTH].astype(np.int64) * stats[1:, cv2.CC_STAT_HEIGHT]
    k = 1 + int(np.argmax(boxes))
    if boxes[k - 1] < min_area * gray.shape[0] * gray.shape[1]:
        return None
    x, y, w, h = (int(v) for v in stats[k, :4])
    grid = (labels[y : y + h, x : x + w] == k).astype(np.uint8)
    contours, _ = cv2.findContours(grid, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    border = max(contours, key=cv2.contourArea)
    hull = cv2.convexHull(border)
    approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True).reshape(-1, 2)
    if len(approx) != 4:
        return None
    quad = _order_corners(approx.astype(np.float64))
    sides = np.hypot(*(quad - np.roll(quad, -1, axis=0)).T)
    if sides.min() < 0.1 * min(gray.shape):
        return None
    refined = _refine_sides(quad, border.reshape(-1, 2).astype(np.float64))
    return (refined if refined is not None else quad) + [x, y]


def keystone(corners: np.ndarray) -> float:
    """How far a quadrilateral is from a rectangle seen straight on: the larger relative
    difference between its opposite sides."""
    tl, tr, br, bl = corners
    top, bottom = np.hypot(*(tr - tl)), np.hypot(*(br - bl))
    left, right = np.hypot(*(bl - tl)), np.hypot(*(br - tr))
    return float(max(abs(top - bottom) / max(top, bottom, 1e-9), abs(left - right) / max(left, right, 1e-9)))


def unwarp_plane(rgb: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The whole image re-projected so that the quadrilateral `corners` (a table drawn on the
    photographed sheet) becomes a rectangle of its longer sides' size, the rest of the sheet
    (titles, footers) going along; the canvas grows to hold it (at most 1.5 times), new ground
    filled white."""
    import cv2

    tl, tr, br, bl = corners
    w = max(np.hypot(*(tr - tl)), np.hypot(*(br - bl)))
    h = max(np.hypot(*(bl - tl)), np.hypot(*(br - tr)))
    x0, y0 = tl
    target = np.array([[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    H, W = rgb.shape[:2]
    frame = np.array([[[0, 0]], [[W - 1, 0]], [[W - 1, H - 1]], [[0, H - 1]]], dtype=np.float32)
    seen = cv2.perspectiveTransform(frame, m).reshape(-1, 2)
    lo = np.maximum(seen.min(axis=0), [-0.25 * W, -0.25 * H])
    hi = np.minimum(seen.max(axis=0), [1.25 * W, 1.25 * H])
    shift = np.array([[1, 0, -lo[0]], [0, 1, -lo[1]], [0, 0, 1]], dtype=np.float64)
    size = (max(2, round(hi[0] - lo[0])), max(2, round(hi[1] - lo[1])))
    return cv2.warpPerspective(
        rgb,
        shift @ m,
        size,
        flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(255, 255, 255),
    )
