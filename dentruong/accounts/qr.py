"""A QR code as inline SVG, for the enrolment page's otpauth:// link.

The module matrix comes from ReportLab's QR encoder (already a dependency, for the PDF
reports); the SVG is one path of unit squares, drawn here: no image file, no script, no
style attribute (the Content-Security-Policy allows none inline).
"""

from __future__ import annotations

from django.utils.html import escape
from reportlab.graphics.barcode import qrencoder

QUIET = 4  # modules of white margin the standard asks for


def matrix(text: str) -> list[list[bool]]:
    """Dark (True) and light modules, row by row; error correction level M."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(qrencoder.QR8bitByte(text))
    code.make()
    size = code.getModuleCount()
    return [[bool(code.isDark(row, col)) for col in range(size)] for row in range(size)]


def svg(text: str, *, label: str) -> str:
    modules = matrix(text)
    size = len(modules) + 2 * QUIET
    squares = "".join(
        f"M{col + QUIET} {row + QUIET}h1v1h-1z"
        for row, line in enumerate(modules)
        for col, dark in enumerate(line)
        if dark
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
        f'class="qr" aria-label="{escape(label)}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/><path d="{squares}" fill="#000"/>'
        "</svg>"
    )
