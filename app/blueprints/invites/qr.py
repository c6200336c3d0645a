"""Drawing an invite link as a QR code, on the server, as SVG."""

from __future__ import annotations

import io

import segno


def qr_svg(url: str) -> bytes:
    """Return a scalable SVG QR code of `url`: dark on light, with the quiet zone readers need."""
    code = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    code.save(
        buffer,
        kind="svg",
        scale=10,
        border=4,
        dark="#14112b",
        light="#ffffff",
        xmldecl=False,
        svgclass="qr",
        lineclass=None,
        omitsize=True,
    )
    return buffer.getvalue()
