"""Decoding uploaded text files the way town offices produce them.

Chinese Excel saves CSV as GBK unless told otherwise, or as UTF-8 with a byte-order mark ("CSV
UTF-8"), or as UTF-16 ("Unicode text"). We accept all of these for CSV and say which encoding
was used, so an operator who sees mojibake knows why. GeoJSON must be UTF-8 (RFC 7946/8259); a
BOM is tolerated.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from django.utils.translation import gettext as _

from gridgov.core.errors import ImportRejectedError, ImportRowError


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    note: str = ""


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _undecodable(source: str, data: bytes, exc: UnicodeDecodeError, tried: str) -> ImportRowError:
    line = _line_of(data, exc.start)
    bad = data[exc.start : exc.start + 4].hex(" ")
    return ImportRowError(
        _("第 %(line)d 行含有无法按 %(tried)s 解码的字节(%(bad)s),请另存为 UTF-8 编码后重试")
        % {"line": line, "tried": tried, "bad": bad},
        source=source,
    )


def decode_csv(data: bytes, *, source: str) -> DecodedText:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030; else a located error."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return DecodedText(data[3:].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            exc.start += 3
            raise ImportRejectedError([_undecodable(source, data, exc, "UTF-8")]) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return DecodedText(data.decode("utf-16"), "utf-16", _("按 UTF-16 编码读取"))
        except UnicodeDecodeError as exc:
            raise ImportRejectedError([_undecodable(source, data, exc, "UTF-16")]) from None
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ImportRejectedError(
                [_undecodable(source, data, utf8_error, _("UTF-8 或 GBK"))]
            ) from None
        return DecodedText(
            text,
            "gb18030",
            _("%(source)s 不是 UTF-8 编码,已按 GBK(GB18030)读取") % {"source": source},
        )


def decode_json_text(data: bytes, *, source: str) -> DecodedText:
    """GeoJSON is UTF-8 by definition; a BOM (some editors add one) is dropped."""
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    try:
        return DecodedText(body.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        if body is not data:
            exc.start += 3
        raise ImportRejectedError(
            [
                ImportRowError(
                    _(
                        "文件不是 UTF-8 编码(第 %(line)d 行字节 %(bad)s);"
                        "GeoJSON 须为 UTF-8,请用 UTF-8 另存后重试"
                    )
                    % {
                        "line": _line_of(data, exc.start),
                        "bad": data[exc.start : exc.start + 4].hex(" "),
                    },
                    source=source,
                )
            ]
        ) from None
