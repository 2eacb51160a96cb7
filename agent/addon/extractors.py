"""Turning HTTP and WebSocket payloads into chat text: small pure functions, no mitmproxy.

Each extractor takes plain values (bytes, strings, a content type) and returns `Extracted` items:
the text a person wrote and, where the payload names one, the thread it belongs to. Everything is
bounded, because the payloads come from the internet: at most `MAX_BODY` bytes are ever decoded
(so a gzip bomb inflates to no more than that), JSON is walked to `MAX_DEPTH` levels and at most
`MAX_TEXTS` texts, and each text is cut at `MAX_TEXT_LEN` characters. Bad input gives an empty
list, never an exception the caller must handle (the worker still guards against bugs).
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from email.message import Message
from urllib.parse import parse_qsl, urlsplit

MAX_BODY = 256 * 1024  # bytes of any body that are decoded and looked at
MAX_DEPTH = 16  # JSON nesting levels walked
MAX_TEXTS = 200  # texts taken from one payload
MAX_TEXT_LEN = 4000  # characters kept of one text


@dataclass(frozen=True, slots=True)
class Extracted:
    text: str
    thread: str | None = None  # the conversation id inside the app, where the payload names it


_KEY_CACHE: dict[str, str] = {}
_KEY_CACHE_SIZE = 4096  # field names seen: a few hundred in practice; cleared when full


def _key(name: str) -> str:
    """Field names compared without case, `_`, `-`: `thread_id`, `threadId`, `Thread-Id` are one."""
    # Every JSON field name of every body comes here: cached, since apps use the same few names.
    key = _KEY_CACHE.get(name)
    if key is None:
        key = "".join(name.split()).replace("_", "").replace("-", "").lower()
        if len(_KEY_CACHE) >= _KEY_CACHE_SIZE:
            _KEY_CACHE.clear()
        _KEY_CACHE[name] = key
    return key


# Fields whose string value is something a person wrote (chat apps, comments, captions).
MESSAGE_FIELDS = frozenset(_key(k) for k in (
    "text", "message", "msg", "body", "content", "caption", "comment", "reply", "tweet",
    "message_text", "messageText", "chat_message", "note",
))
# Fields naming the conversation a message belongs to.
THREAD_FIELDS = frozenset(_key(k) for k in (
    "thread", "thread_id", "conversation", "conversation_id", "chat_id", "chat", "room",
    "room_id", "channel", "channel_id", "dialog_id", "peer_id", "recipient_id", "to",
))

# Search engines and video sites, and the query parameters that carry what was searched.
SEARCH_SITES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"(^|\.)google\.[a-z.]+$"), ("q",)),
    (re.compile(r"(^|\.)bing\.com$"), ("q",)),
    (re.compile(r"(^|\.)duckduckgo\.com$"), ("q",)),
    (re.compile(r"(^|\.)search\.yahoo\.com$"), ("p",)),
    (re.compile(r"(^|\.)yandex\.[a-z.]+$"), ("text",)),
    (re.compile(r"(^|\.)baidu\.com$"), ("wd",)),
    (re.compile(r"(^|\.)ecosia\.org$"), ("q",)),
    (re.compile(r"(^|\.)search\.brave\.com$"), ("q",)),
    (re.compile(r"(^|\.)youtube\.com$"), ("search_query", "q")),
    (re.compile(r"(^|\.)tiktok\.com$"), ("q", "keyword")),
    (re.compile(r"(^|\.)instagram\.com$"), ("query",)),
    (re.compile(r"(^|\.)(twitter|x)\.com$"), ("q",)),
    (re.compile(r"(^|\.)facebook\.com$"), ("q",)),
    (re.compile(r"(^|\.)roblox\.com$"), ("keyword", "q")),
)
GENERIC_SEARCH_PARAMS = ("q", "query", "search")

_READABLE_TYPES = re.compile(
    r"^(text/plain|application/(json|[\w.+-]*\+json|x-www-form-urlencoded|graphql|x-ndjson)|"
    r"multipart/form-data)", re.IGNORECASE)


def is_readable(content_type: str | None) -> bool:
    """Whether jaga reads bodies of this type: JSON, forms, multipart, plain text. Everything else
    (media, binary, and HTML, scripts and styles too) is streamed through and never read."""
    return bool(content_type and _READABLE_TYPES.match(content_type.strip()))


def looks_written(value: str) -> bool:
    """A value a person wrote, not an id, token, URL or number."""
    s = value.strip()
    if len(s) < 2 or not any(c.isalpha() for c in s):
        return False
    if s.startswith(("http://", "https://", "data:", "/")):
        return False
    # One long unbroken word is an id, a token or base64, not a message.
    return " " in s or len(s) <= 30


def _clip(text: str) -> str:
    return text.strip()[:MAX_TEXT_LEN]


# --- Bodies ------------------------------------------------------------------------------------

def decode_body(raw: bytes, content_encoding: str | None = None, limit: int = MAX_BODY) -> bytes | None:
    """At most `limit` bytes of the decompressed body; None for an encoding jaga does not read.

    Decompression is bounded by output size, so a gzip bomb costs `limit` bytes, not gigabytes.
    """
    encoding = (content_encoding or "identity").strip().lower()
    try:
        if encoding in ("", "identity", "none"):
            return raw[:limit]
        if encoding in ("gzip", "x-gzip", "deflate"):
            # wbits 32+15 reads gzip and zlib headers; raw deflate needs -15.
            wbits = 47 if encoding != "deflate" or raw[:1] == b"\x78" else -15
            return zlib.decompressobj(wbits).decompress(raw[: limit * 4], limit)
        if encoding == "br":
            import brotli  # a mitmproxy dependency

            return brotli.Decompressor().process(raw[: limit * 4], output_buffer_limit=limit)[:limit]
    except Exception:
        return b""
    return None


def charset_of(content_type: str | None) -> str:
    if content_type:
        m = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
        if m:
            return m.group(1)
    return "utf-8"


def to_text(data: bytes, content_type: str | None = None) -> str:
    """Bytes as text; invalid bytes become U+FFFD rather than an error."""
    try:
        return data.decode(charset_of(content_type), errors="replace")
    except LookupError:  # an unknown charset name
        return data.decode("utf-8", errors="replace")


# --- JSON --------------------------------------------------------------------------------------

def from_json_value(value: object, thread: str | None = None) -> list[Extracted]:
    """Message-like string fields of a parsed JSON value, with the nearest enclosing thread id.

    Walked with an explicit stack (no recursion), to `MAX_DEPTH` levels and `MAX_TEXTS` results.
    """
    out: list[Extracted] = []
    stack: list[tuple[object, int, str | None, bool]] = [(value, 0, thread, False)]
    while stack and len(out) < MAX_TEXTS:
        node, depth, current, in_message = stack.pop()
        if depth > MAX_DEPTH:
            continue
        if isinstance(node, str):
            if in_message and looks_written(node):
                out.append(Extracted(_clip(node), current))
        elif isinstance(node, dict):
            keys = [_key(k if isinstance(k, str) else str(k)) for k in node]
            for key, v in zip(keys, node.values(), strict=True):
                if key in THREAD_FIELDS and isinstance(v, (str, int)) and not isinstance(v, bool):
                    current = str(v)[:200]
                    break
            # Only what can hold text is pushed: numbers, booleans, nulls and strings outside
            # a message field would be popped and dropped.
            children = [(v, depth + 1, current, key in MESSAGE_FIELDS)
                        for key, v in zip(keys, node.values(), strict=True)
                        if isinstance(v, (dict, list)) or (isinstance(v, str) and key in MESSAGE_FIELDS)]
            stack.extend(reversed(children))  # keep document order in the output
        elif isinstance(node, list):
            stack.extend(reversed([(v, depth + 1, current, in_message) for v in node
                                   if isinstance(v, (dict, list)) or (in_message and isinstance(v, str))]))
    return out


def from_json(body: str) -> list[Extracted]:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return []
    return from_json_value(value)


# --- Forms and multipart -----------------------------------------------------------------------

def _field_is_message(name: str) -> bool:
    # "message[body]", "comment_text", "msg": the last bracketed part names the field.
    last = re.split(r"[\[\].]", name.strip("]"))[-1] if name else ""
    return _key(last) in MESSAGE_FIELDS or _key(name) in MESSAGE_FIELDS


def from_form(body: str) -> list[Extracted]:
    """Message-like fields of an application/x-www-form-urlencoded body."""
    pairs = parse_qsl(body, keep_blank_values=False, max_num_fields=1000) if body else []
    thread = next((v for k, v in pairs if _key(k) in THREAD_FIELDS), None)
    return [Extracted(_clip(v), thread) for k, v in pairs
            if _field_is_message(k) and looks_written(v)][:MAX_TEXTS]


def from_multipart(body: bytes, content_type: str) -> list[Extracted]:
    """Message-like text fields of a multipart/form-data body; file parts are skipped."""
    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        return []
    fields: list[tuple[str, str]] = []
    for part in body.split(b"--" + boundary.encode("latin-1", "replace"))[1:]:
        head, sep, value = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        disposition = Message()
        for line in head.decode("latin-1").split("\r\n"):
            name, _, v = line.partition(":")
            if name.strip():
                disposition[name.strip()] = v.strip()
        if disposition.get_param("filename", header="content-disposition") is not None:
            continue  # an uploaded file: never read
        field_name = disposition.get_param("name", header="content-disposition")
        if isinstance(field_name, str):
            fields.append((field_name, value.removesuffix(b"\r\n").decode("utf-8", "replace")))
    thread = next((v for k, v in fields if _key(k) in THREAD_FIELDS), None)
    return [Extracted(_clip(v), thread) for k, v in fields
            if _field_is_message(k) and looks_written(v)][:MAX_TEXTS]


# --- Search queries ----------------------------------------------------------------------------

def may_be_search(host: str, path: str) -> bool:
    """A cheap test for the proxy's hot path: could this request carry a search query?"""
    host = host.lower().rstrip(".")
    return "search" in path.lower() or any(p.search(host) for p, _ in SEARCH_SITES)


def search_query(host: str, url: str) -> Extracted | None:
    """What was searched for, on a known search engine or video site (or any `/search` path)."""
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query, max_num_fields=200))
    host = host.lower().rstrip(".")
    names: tuple[str, ...] = ()
    for pattern, site_params in SEARCH_SITES:
        if pattern.search(host):
            names = site_params
            break
    else:
        if "search" in parts.path.lower():
            names = GENERIC_SEARCH_PARAMS
    for name in names:
        value = params.get(name, "").strip()
        if value and any(c.isalpha() for c in value):
            return Extracted(_clip(value), "search")
    return None


# --- WebSocket ---------------------------------------------------------------------------------

_SOCKETIO_PREFIX = re.compile(r"^\d+(/[\w/-]*,)?\d*")


def from_websocket_text(frame: str) -> list[Extracted]:
    """Chat text of one WebSocket text frame: JSON (also socket.io's `42[...]`) or plain text."""
    s = frame.strip()[:MAX_BODY]
    if not s:
        return []
    candidate = _SOCKETIO_PREFIX.sub("", s, count=1) if s[0].isdigit() else s
    if candidate[:1] in ("{", "["):
        try:
            value = json.loads(candidate)
        except (ValueError, RecursionError):
            value = None
        if value is not None:
            if isinstance(value, list) and value and isinstance(value[0], str):
                value = value[1:]  # socket.io: ["event", payload...]
            return from_json_value(value)
    if candidate is not s and not candidate:
        return []  # a bare socket.io control frame ("2", "3", "40")
    return [Extracted(_clip(s))] if looks_written(s) else []


# --- HTTP dispatch -----------------------------------------------------------------------------

def from_http_body(body: bytes, content_type: str | None) -> list[Extracted]:
    """Chat text of a (decoded, capped) HTTP request or response body, by content type."""
    ct = (content_type or "").lower()
    if "multipart/form-data" in ct:
        return from_multipart(body, content_type or "")
    text = to_text(body, content_type)
    if "x-www-form-urlencoded" in ct:
        return from_form(text)
    if "json" in ct or "graphql" in ct:
        return from_json(text)
    if ct.startswith("text/plain") and text.lstrip()[:1] in ("{", "["):
        return from_json(text)  # JSON sent as text/plain, which spares web apps a CORS preflight
    return []
