"""Phone photographs of printed list pages, made from pages whose text is known.

A page is drawn with reportlab (tests/minipdf.py), rendered with pypdfium2, and "photographed":
laid on a darker desk with keystone (the far edge shorter) and a slight rotation, lit unevenly
with warm light, blurred, speckled with sensor noise and saved as a JPEG of quality 75, as a
phone does. Everything is seeded, so a test sees the same photograph every time.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from tests import minipdf

TITLE = "哈密市伊州区白石头乡基本履职事项清单"
HEADER = ["序号", "事项类别", "事项名称"]
ITEMS = [
    ("1", "党的建设", "负责村“两委”干部及其后备干部“选育管用”工作"),
    ("2", "党的建设", "做好人才引进、服务、管理和使用工作"),
    ("3", "经济发展", "优化营商环境，服务市场主体"),
    ("4", "平安法治", "开展矛盾纠纷排查化解工作"),
]
COLUMNS = [40.0, 90.0, 330.0]


def list_pdf(path: Path, items: list[tuple[str, str, str]] = ITEMS) -> Path:
    """A one-page basic list: its title and a ruled table, one line per cell."""
    return minipdf.write(path, [[("title", TITLE), ("table", COLUMNS, [HEADER, *items])]])


def render(pdf: Path, dpi: float) -> np.ndarray:
    """The PDF's first page as an RGB array."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return np.asarray(doc[0].render(scale=dpi / 72).to_pil().convert("RGB"))
    finally:
        doc.close()


def photograph(
    page: np.ndarray,
    seed: int = 5,
    keystone: float = 0.05,
    angle: float = 2.5,
    light: float = 0.45,
    blur: float = 1.0,
    desk: bool = True,
    quality: int = 75,
) -> bytes:
    """A JPEG photograph of the page: on a desk (or filling the frame), its top edge `keystone`
    shorter than its bottom, turned `angle` degrees, light falling off by `light` across it."""
    import cv2

    rng = np.random.default_rng(seed)
    h, w = page.shape[:2]
    margin = 0.14 if desk else -0.03
    W, H = round(w * (1 + 2 * margin)), round(h * (1 + 2 * margin))
    cx, cy = W / 2, H / 2
    corners = np.array(
        [[-w / 2 * (1 - keystone), -h / 2], [w / 2 * (1 - keystone), -h / 2], [w / 2, h / 2], [-w / 2, h / 2]]
    )
    t = np.radians(angle)
    turn = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    target = (corners @ turn.T + [cx, cy]).astype(np.float32)
    source = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(source, target)
    ground = np.empty((H, W, 3), np.float32)
    ground[:] = (92, 74, 60)
    ground += rng.normal(0, 6, (H, W, 1))
    sheet = cv2.warpPerspective(page.astype(np.float32), m, (W, H), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), m, (W, H), flags=cv2.INTER_LINEAR)[..., None]
    img = sheet * mask + ground * (1 - mask)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    fall = 1 - light * (0.6 * xx / W + 0.4 * yy / H)  # brighter at the top left
    spot = 0.12 * np.exp(-(((xx - 0.3 * W) / (0.3 * W)) ** 2 + ((yy - 0.35 * H) / (0.3 * H)) ** 2))
    gain = (fall + spot)[..., None] * np.array([1.0, 0.94, 0.82], np.float32)  # warm light
    img = img * gain
    if blur:
        img = cv2.GaussianBlur(img, (0, 0), blur)
    img += rng.normal(0, 3, img.shape)
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()
