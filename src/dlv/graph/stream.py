"""Streaming a dlv-graph document in: decompression with a cap, and an incremental reader.

The reader never holds the document: it keeps a window of text (about ``WINDOW`` characters
plus one item) and hands the items of ``nodes`` and ``edges`` out in batches.

Speed: parsing a 1 GB document item by item with a pure event parser (ijson, even its C
backend) costs about 50 s here. The reader decodes whole runs of items at once with msgspec
instead: it cuts the window at the last line break (a raw line break is never inside a JSON
string) and decodes ``[`` + the items before it + ``]``. A cut that falls inside an item
makes that text invalid JSON (unbalanced brackets or an open string), so a successful decode
proves the cut was between items. When a cut fails (a pretty-printed or single-line
document), the reader parses item by item with the standard library's ``raw_decode`` up to
that point, then tries again: any JSON layout is read correctly, at worst about twice as
slowly.
"""

from __future__ import annotations

import codecs
import json
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from dlv.errors import DlvError, FieldError
from dlv.limits import TOO_DEEP

GZIP_MAGIC = b"\x1f\x8b"
WINDOW = 1 << 20  # characters decoded per batch (about 5,000 edges)
MAX_ITEM = 64 << 20  # a single node or edge larger than this is not a plausible document
_WS = re.compile(r"[ \t\n\r]*")
_SECTIONS = ("nodes", "edges", "dashboards")
_HEADER_KEYS = ("format", "version")

Section = Literal["nodes", "edges", "dashboards"]


class MalformedDocument(DlvError):
    """The body is not JSON (or not UTF-8, or a broken gzip stream)."""

    status = 400
    slug = "malformed-document"
    title = "Malformed document"


class PayloadTooLarge(DlvError):
    status = 413
    slug = "payload-too-large"
    title = "Payload too large"


class UnsupportedEncoding(DlvError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


def _malformed(message: str) -> MalformedDocument:
    return MalformedDocument("The document is not valid JSON", errors=[FieldError("body", message)])


def gunzip(chunks: Iterable[bytes], max_bytes: int | None = None) -> Iterator[bytes]:
    """Decompress a gzip stream chunk by chunk; more than ``max_bytes`` out is a 413."""
    inflater = zlib.decompressobj(wbits=31)
    total = 0
    for chunk in chunks:
        data = chunk
        while data:
            try:
                # Bounded output per step: 1 MB of gzip can inflate to far more.
                out = inflater.decompress(data, WINDOW)
            except zlib.error:
                raise _malformed("the gzip stream is corrupt") from None
            data = inflater.unconsumed_tail
            total += len(out)
            if max_bytes is not None and total > max_bytes:
                raise PayloadTooLarge(
                    f"The decompressed document is larger than the limit of {max_bytes} bytes"
                )
            if out:
                yield out
            if inflater.eof:
                if inflater.unused_data.strip(b"\x00"):
                    raise _malformed("data after the end of the gzip stream")
                break
    if not inflater.eof:
        raise _malformed("the gzip stream is truncated")


def maybe_gunzip(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks, decompressed when they start with the gzip magic bytes."""
    it = iter(chunks)
    head = b""
    for chunk in it:
        head += chunk
        if len(head) >= 2:
            break
    rest = _chain(head, it)
    yield from gunzip(rest) if head.startswith(GZIP_MAGIC) else rest


def _chain(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if head:
        yield head
    yield from rest


@dataclass(frozen=True)
class Header:
    key: str  # "format" or "version"
    value: Any


@dataclass(frozen=True)
class Batch:
    """Items ``start``, ``start+1``, ... of a section; ``typed`` when ``fast`` decoded them."""

    section: Section
    start: int
    items: list[Any]
    typed: bool


Event = Header | Batch
Decoder = Callable[[str], list[Any]]


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_STDLIB = json.JSONDecoder(parse_constant=_no_constants)
_ANY = msgspec.json.Decoder()


class DocumentReader:
    """Reads ``{"format", "version", "nodes": [...], "edges": [...]}`` from text chunks.

    ``fast`` maps a section to a decoder of a JSON array of its items that may raise
    ``msgspec.ValidationError`` (then the items are decoded untyped and ``typed`` is False,
    for the caller to validate with precise messages).
    """

    def __init__(self, chunks: Iterable[bytes], fast: dict[str, Decoder] | None = None) -> None:
        self._chunks = iter(chunks)
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._fast = fast or {}
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._base = 0  # offset of the window's first character in the document
        self.seen: set[str] = set()

    # -- the window ----------------------------------------------------------------------

    def _fill(self) -> bool:
        """Append at least ``WINDOW`` more characters (fewer at the end); False if none."""
        if self._eof:
            return False
        parts = [self._buf[self._pos :]]
        added = 0
        for chunk in self._chunks:
            try:
                text = self._utf8.decode(chunk)
            except UnicodeDecodeError:
                raise _malformed("the document is not UTF-8") from None
            parts.append(text)
            added += len(text)
            if added >= WINDOW:
                break
        else:
            self._eof = True
            try:
                tail = self._utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                raise _malformed("the document ends inside a UTF-8 character") from None
            parts.append(tail)
            added += len(tail)
        self._base += self._pos
        self._buf = "".join(parts)
        self._pos = 0
        return added > 0

    def _ensure(self, n: int) -> None:
        while len(self._buf) - self._pos < n and self._fill():
            pass

    def _peek(self) -> str:
        """The next non-blank character ('' at the end), without consuming it."""
        while True:
            self._pos = _WS.match(self._buf, self._pos).end()  # type: ignore[union-attr]
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def _expect(self, chars: str, where: str) -> str:
        c = self._peek()
        if not c or c not in chars:
            found = "the end of the document" if not c else repr(c)
            raise _malformed(f"expected {' or '.join(map(repr, chars))} {where}, found {found}")
        self._pos += 1
        return c

    def _value(self, where: str, field: str = "body") -> Any:
        """One JSON value with the standard library (small values and slow-path items)."""
        self._peek()
        while True:
            try:
                value, end = _STDLIB.raw_decode(self._buf, self._pos)
            except RecursionError:
                # Valid JSON, maybe, but deeper than any dlv-graph document; more text would
                # not help, so it is not read on.
                raise DocumentInvalid(field, TOO_DEEP) from None
            except (json.JSONDecodeError, ValueError) as exc:
                if len(self._buf) - self._pos > MAX_ITEM or not self._fill():
                    raise _malformed(f"invalid JSON {where}: {_reason(exc)}") from None
                continue
            # A number at the end of the window may continue in the next chunk.
            if end == len(self._buf) and self._fill():
                continue
            self._pos = end
            return value

    # -- the document --------------------------------------------------------------------

    def events(self) -> Iterator[Event]:
        """Header values and item batches, in document order."""
        self._fill()
        c = self._peek()
        if not c:
            raise _malformed("the body is empty")
        if c != "{":
            self._value("at the top")  # not JSON at all: 400 from here
            raise DocumentInvalid("body", "must be a JSON object (a dlv-graph document)")
        self._pos += 1
        if self._peek() == "}":
            self._pos += 1
        else:
            while True:
                key = self._value("as an object key")
                if not isinstance(key, str):
                    raise _malformed("object keys must be strings")
                self._expect(":", f"after the key {key!r}")
                yield from self._member(key)
                if self._expect(",}", "between the document's fields") == "}":
                    break
        if self._peek():
            raise _malformed("data after the end of the document")

    def _member(self, key: str) -> Iterator[Event]:
        if key in self.seen:
            raise DocumentInvalid(key, "appears twice")
        self.seen.add(key)
        if key in _HEADER_KEYS:
            yield Header(key, self._value(f"in {key}", key))
        elif key in _SECTIONS:
            if self._peek() != "[":
                raise DocumentInvalid(key, "must be an array")
            self._pos += 1
            yield from self._items(key)  # type: ignore[arg-type]
        else:
            raise DocumentInvalid(
                key,
                "unknown field; a dlv-graph document has format, version, nodes, edges, dashboards",
            )

    def _items(self, section: Section) -> Iterator[Batch]:
        index = 0
        retry_at = 0  # document offset before which the fast path is known to fail
        if self._peek() == "]":
            self._pos += 1
            return
        while True:
            self._ensure(WINDOW)
            if self._base + self._pos >= retry_at:
                fast = self._fast_batch(section, index)
                if fast is not None:
                    batch, more = fast
                    index += len(batch.items)
                    yield batch
                    if not more:
                        return
                    continue
                # Item by item up to the window's last line break, then try a batch again.
                cut = self._buf.rfind("\n", self._pos, self._pos + WINDOW)
                retry_at = self._base + (cut + 1 if cut > self._pos else len(self._buf))
            item = self._value(f"in {section}[{index}]", f"{section}[{index}]")
            yield Batch(section, index, [item], typed=False)
            index += 1
            if self._expect(",]", f"after {section}[{index - 1}]") == "]":
                return

    def _fast_batch(self, section: Section, index: int) -> tuple[Batch, bool] | None:
        """Decode every whole item before the window's last line break, if the cut is clean.

        Returns the batch and whether more items follow (a trailing comma was consumed).
        """
        start = self._pos
        cut = self._buf.rfind("\n", start, start + WINDOW)  # batches stay about WINDOW long
        if cut <= start:
            return None
        end = cut
        while end > start and self._buf[end - 1] in " \t\r\n":
            end -= 1
        more = end > start and self._buf[end - 1] == ","
        if more:
            end -= 1
        if end <= start:
            return None
        text = "[" + self._buf[start:end] + "]"
        typed = section in self._fast
        try:
            if typed:
                try:
                    items = self._fast[section](text)
                except msgspec.ValidationError:
                    typed = False
                    items = _ANY.decode(text)
            else:
                items = _ANY.decode(text)
        except (msgspec.DecodeError, RecursionError):
            # Not a clean cut, or nested too deeply: item by item, which names the item.
            return None
        self._pos = end + 1 if more else end
        if not more and self._expect(",]", f"after {section}[{index + len(items) - 1}]") == ",":
            more = True
        return Batch(section, index, items, typed), more


class DocumentInvalid(DlvError):
    """The document is JSON but not a dlv-graph document."""

    status = 422
    slug = "invalid-document"
    title = "Invalid document"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(
            f"The document is not a valid dlv-graph document: {field}: {message}",
            errors=[FieldError(field, message)],
        )


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg
    return str(exc)
