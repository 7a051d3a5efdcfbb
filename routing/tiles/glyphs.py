"""Signed-distance-field glyphs for the map's labels, made here from a TrueType font.

MapLibre draws text from glyph ranges (256 code points each) in the protobuf format of
node-fontnik: per glyph a 24 px signed distance field with a 3 px border, its box and advance.
No registry package ships those files for an open font, so they are rendered here from the
DejaVu fonts that matplotlib already installs: Pillow draws each glyph 4 times larger, SciPy's
Euclidean distance transform measures how far each pixel is from the outline, and the field is
sampled back at 24 px (fontnik's radius 8 and cutoff 0.25, so the outline sits at 191/255).
As in fontnik, a glyph's ``top`` is counted from the font's ascender, not from the baseline
(MapLibre's shaping expects that and adds its own offset).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy.ndimage import distance_transform_edt

SIZE_PX, BUFFER_PX, SCALE = 24, 3, 4
RADIUS_PX, CUTOFF = 8.0, 0.25


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(tag: int, value: int) -> bytes:
    return _varint(tag << 3) + _varint(value)


def _bytes(tag: int, value: bytes) -> bytes:
    return _varint(tag << 3 | 2) + _varint(len(value)) + value


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 31)


def _glyph(font: ImageFont.FreeTypeFont, code: int, ascender: int) -> bytes | None:
    ch = chr(code)
    if not ch.isprintable() and ch != " ":
        return None
    advance = round(font.getlength(ch) / SCALE)
    left, top, right, bottom = font.getbbox(ch, anchor="ls")
    if right <= left or bottom <= top:  # a space: metrics only
        return _field(1, code) + _field(3, 0) + _field(4, 0) + _field(5, 0) + _field(6, 0) + _field(7, advance)
    x0, x1 = math.floor(left / SCALE), math.ceil(right / SCALE)
    y_top, y_bottom = math.ceil(-top / SCALE), math.floor(-bottom / SCALE)
    width, height = x1 - x0, y_top - y_bottom
    pad = (BUFFER_PX + 1) * SCALE
    canvas = Image.new("L", ((width + 2 * BUFFER_PX + 2) * SCALE, (height + 2 * BUFFER_PX + 2) * SCALE), 0)
    ImageDraw.Draw(canvas).text((pad - x0 * SCALE, pad + y_top * SCALE), ch, font=font, fill=255, anchor="ls")
    ink = np.asarray(canvas) >= 128
    signed = (distance_transform_edt(~ink) - distance_transform_edt(ink)) / SCALE
    cols = (np.arange(width + 2 * BUFFER_PX) + 1) * SCALE + SCALE // 2
    rows = (np.arange(height + 2 * BUFFER_PX) + 1) * SCALE + SCALE // 2
    sampled = signed[np.ix_(rows, cols)]
    bitmap = np.clip(255 - 255 * (sampled / RADIUS_PX + CUTOFF), 0, 255).astype(np.uint8)
    return (_field(1, code) + _bytes(2, bitmap.tobytes()) + _field(3, width) + _field(4, height)
            + _field(5, _zigzag(x0)) + _field(6, _zigzag(y_top - ascender)) + _field(7, advance))


def glyph_range_pbf(font_path: Path, stack_name: str, start: int) -> bytes:
    """The glyph PBF of code points ``start``..``start+255`` of the font at ``font_path``.

    Parameters
    ----------
    font_path : a TrueType font file.
    stack_name : the font stack name the style asks for (written into the PBF).
    start : first code point of the range, a multiple of 256.

    Raises
    ------
    ValueError
        If ``start`` is not a multiple of 256 in 0..65280.
    """
    if start % 256 or not 0 <= start <= 65280:
        raise ValueError(f"a glyph range starts at a multiple of 256 up to 65280, not {start}")
    font = ImageFont.truetype(str(font_path), SIZE_PX * SCALE, layout_engine=ImageFont.Layout.BASIC)
    covered = _covered(font_path)
    ascender = round(font.getmetrics()[0] / SCALE)
    glyphs = b"".join(_bytes(3, g) for code in range(start, start + 256)
                      if code in covered and (g := _glyph(font, code, ascender)) is not None)
    stack = _bytes(1, stack_name.encode()) + _bytes(2, f"{start}-{start + 255}".encode()) + glyphs
    return _bytes(1, stack)


def _covered(font_path: Path) -> set[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(font_path), lazy=True) as tt:
        return set(tt.getBestCmap())
