"""Extractors: payloads in, the text a person wrote (and its thread) out; bounded on bad input."""

from __future__ import annotations

import gzip
import json
import zlib

import brotli
import pytest

from agent.addon import extractors as ex
from agent.addon.extractors import Extracted


def texts(items: list[Extracted]) -> list[str]:
    return [i.text for i in items]


# --- JSON bodies ---

@pytest.mark.parametrize(("body", "expected"), [
    # message-like fields are read, whatever their case or separator
    ('{"text": "hai kak, lagi apa?"}', [("hai kak, lagi apa?", None)]),
    ('{"message": "jangan bilang mama ya"}', [("jangan bilang mama ya", None)]),
    ('{"Caption": "liburan di pantai"}', [("liburan di pantai", None)]),
    ('{"message_text": "see you"}', [("see you", None)]),
    # a thread id next to the text names the conversation
    ('{"thread_id": "t-42", "body": "mau pulsa?"}', [("mau pulsa?", "t-42")]),
    ('{"chatId": 7, "content": "halo adik"}', [("halo adik", "7")]),
    ('{"Thread-Id": "t9", "Message Text": "ketemu yuk"}', [("ketemu yuk", "t9")]),
    # nested history: each message keeps the nearest enclosing thread
    ('{"conversation_id": "c1", "messages": [{"text": "pesan satu"}, {"text": "pesan dua"}]}',
     [("pesan satu", "c1"), ("pesan dua", "c1")]),
    ('{"message": {"text": "inner text", "id": "abc"}}', [("inner text", None)]),
    ('{"text": ["satu dua", "tiga empat"]}', [("satu dua", None), ("tiga empat", None)]),
    ('{"text": ["satu dua", 3, null, true, "tiga empat"]}', [("satu dua", None), ("tiga empat", None)]),
    ('{"tags": ["bukan pesan"], "items": [{"note": "catatan satu"}], "text": "pesan dua"}',
     [("catatan satu", None), ("pesan dua", None)]),
    # fields that are not messages, and values that are not writing, are ignored
    ('{"id": "hello world", "status": "ok"}', []),
    ('{"text": "https://example.com/a/b"}', []),
    ('{"text": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9abcdefgh"}', []),
    ('{"text": 12345}', []),
    ('{"text": "x"}', []),
    # broken JSON gives nothing, not an error
    ('{"text": "unterminated', []),
    ("", []),
])
def test_json_message_fields_are_read_with_their_thread(body, expected):
    assert [(i.text, i.thread) for i in ex.from_json(body)] == expected


def test_json_nested_100000_deep_gives_nothing_and_does_not_raise():
    body = "[" * 100_000 + "]" * 100_000
    assert ex.from_json(body) == []
    deep_dict = '{"a":' * 100_000 + '"x"' + "}" * 100_000
    assert ex.from_json(deep_dict) == []


def test_json_walk_stops_at_max_depth():
    value: object = {"text": "terlalu dalam sekali"}
    for _ in range(ex.MAX_DEPTH + 5):
        value = {"wrap": value}
    assert ex.from_json_value(value) == []
    assert texts(ex.from_json_value({"wrap": {"text": "cukup dangkal"}})) == ["cukup dangkal"]


def test_json_texts_are_capped_in_number_and_length():
    many = json.dumps([{"text": f"pesan nomor {i}"} for i in range(ex.MAX_TEXTS + 50)])
    assert len(ex.from_json(many)) == ex.MAX_TEXTS
    long = json.dumps({"text": "kata " * 5000})
    assert len(ex.from_json(long)[0].text) <= ex.MAX_TEXT_LEN


# --- Form posts and multipart ---

@pytest.mark.parametrize(("body", "expected"), [
    ("message=hai+kak&csrf=abc123", [("hai kak", None)]),
    ("comment=bagus+sekali&post_id=9", [("bagus sekali", None)]),
    ("message%5Bbody%5D=nested+field+name", [("nested field name", None)]),
    ("thread=room-1&msg=ketemu+di+kafe", [("ketemu di kafe", "room-1")]),
    ("username=budi&password=rahasia+sekali", []),
    ("", []),
])
def test_form_posts_read_message_fields_only(body, expected):
    assert [(i.text, i.thread) for i in ex.from_form(body)] == expected


def multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "XyZ") -> bytes:
    out = b""
    for name, filename, value in parts:
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{boundary}\r\nContent-Disposition: {disp}\r\n\r\n".encode() + value + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize(("parts", "expected"), [
    ([("caption", None, b"foto liburan kita")], ["foto liburan kita"]),
    ([("chat_id", None, b"99"), ("text", None, b"kirim foto dong")], ["kirim foto dong"]),
    # an uploaded file is never read, even when its field is called "text"
    ([("text", "notes.txt", b"file contents here"), ("message", None, b"ini pesannya")],
     ["ini pesannya"]),
    ([("avatar", "a.png", b"\x89PNG\r\n\x1a\n")], []),
])
def test_multipart_reads_text_fields_and_skips_files(parts, expected):
    body = multipart(parts)
    assert texts(ex.from_multipart(body, "multipart/form-data; boundary=XyZ")) == expected


def test_multipart_without_boundary_gives_nothing():
    assert ex.from_multipart(b"--a\r\n\r\nx", "multipart/form-data") == []


# --- Search queries ---

@pytest.mark.parametrize(("host", "url", "expected"), [
    ("www.google.com", "https://www.google.com/search?q=cara+dapat+pulsa+gratis", "cara dapat pulsa gratis"),
    ("www.google.co.id", "https://www.google.co.id/search?q=game+online", "game online"),
    ("www.youtube.com", "https://www.youtube.com/results?search_query=lagu+anak", "lagu anak"),
    ("www.bing.com", "https://www.bing.com/search?q=kafe+dekat+sini", "kafe dekat sini"),
    ("search.yahoo.com", "https://search.yahoo.com/search?p=tugas+sekolah", "tugas sekolah"),
    ("www.tiktok.com", "https://www.tiktok.com/search?q=dance", "dance"),
    # an unknown site counts only when the path says it is a search
    ("shop.example.com", "https://shop.example.com/search?q=sepatu", "sepatu"),
    ("shop.example.com", "https://shop.example.com/item?q=sepatu", None),
    # empty or numeric queries are not searches for words
    ("www.google.com", "https://www.google.com/search?q=", None),
    ("www.google.com", "https://www.google.com/search?q=12345", None),
])
def test_search_queries_of_known_sites(host, url, expected):
    found = ex.search_query(host, url)
    assert (found.text if found else None) == expected
    if found:
        assert found.thread == "search"


@pytest.mark.parametrize(("host", "path", "maybe"), [
    ("www.google.com", "/complete/search?q=a", True),
    ("m.youtube.com", "/results?search_query=a", True),
    ("shop.example.com", "/search?q=a", True),
    ("cdn.example.com", "/img.png?v=3", False),
])
def test_may_be_search_prefilters_the_hot_path(host, path, maybe):
    assert ex.may_be_search(host, path) is maybe


# --- WebSocket frames ---

@pytest.mark.parametrize(("frame", "expected"), [
    ("halo, kamu kelas berapa?", [("halo, kamu kelas berapa?", None)]),
    ('{"type": "msg", "room": "r7", "text": "jangan kasih tau siapa-siapa"}',
     [("jangan kasih tau siapa-siapa", "r7")]),
    # socket.io event frames: a numeric prefix, then ["event", payload]
    ('42["chat message",{"text":"ketemuan yuk"}]', [("ketemuan yuk", None)]),
    ('42/chat,["msg",{"body":"namespace frame"}]', [("namespace frame", None)]),
    # control frames and ids carry no writing
    ("2", []),
    ("40", []),
    ('{"type": "ping"}', []),
    ("   ", []),
])
def test_websocket_text_frames_plain_or_json(frame, expected):
    assert [(i.text, i.thread) for i in ex.from_websocket_text(frame)] == expected


# --- Bodies: decoding, bounds, dispatch ---

BOMB = gzip.compress(b"\0" * (50 * 1024 * 1024))


@pytest.mark.parametrize(("raw", "encoding", "expected"), [
    (b'{"text":"hai"}', None, b'{"text":"hai"}'),
    (gzip.compress(b'{"text":"hai"}'), "gzip", b'{"text":"hai"}'),
    (zlib.compress(b"deflated"), "deflate", b"deflated"),
    (brotli.compress(b"brotli body"), "br", b"brotli body"),
    (b"not gzip at all", "gzip", b""),  # corrupt: not read
    (b"whatever", "compress", None),  # an encoding jaga does not read
])
def test_decode_body_handles_encodings(raw, encoding, expected):
    assert ex.decode_body(raw, encoding) == expected


def test_gzip_bomb_inflates_no_further_than_the_limit():
    assert len(BOMB) < 100_000
    assert len(ex.decode_body(BOMB, "gzip")) == ex.MAX_BODY


def test_identity_body_is_cut_at_the_limit():
    assert len(ex.decode_body(b"a" * (ex.MAX_BODY + 10))) == ex.MAX_BODY


@pytest.mark.parametrize(("body", "content_type", "expected"), [
    (b'{"text":"lewat json"}', "application/json; charset=utf-8", ["lewat json"]),
    (b'{"text":"vendor json"}', "application/vnd.chat+json", ["vendor json"]),
    (b"message=lewat+form", "application/x-www-form-urlencoded", ["lewat form"]),
    (b"<html>message</html>", "text/html", []),
    (b'{"text":"json as text/plain"}', "text/plain;charset=UTF-8", ["json as text/plain"]),
    (b"just some plain words", "text/plain", []),
    # invalid UTF-8 is replaced, never an error
    (b'{"text":"rusak \xff\xfe di sini"}', "application/json", ["rusak \ufffd\ufffd di sini"]),
    (b'{"text":"latin caf\xe9 ya"}', "application/json; charset=latin-1", ["latin café ya"]),
    (b'{"text":"unknown charset ok"}', "application/json; charset=klingon", ["unknown charset ok"]),
])
def test_http_bodies_dispatch_on_content_type(body, content_type, expected):
    assert texts(ex.from_http_body(body, content_type)) == expected


@pytest.mark.parametrize(("content_type", "readable"), [
    ("application/json", True),
    ("application/x-www-form-urlencoded", True),
    ("multipart/form-data; boundary=x", True),
    ("text/plain", True),
    ("text/html; charset=utf-8", False),
    ("text/javascript", False),
    ("application/ld+json", True),
    ("image/jpeg", False),
    ("video/mp4", False),
    ("application/octet-stream", False),
    ("", False),
    (None, False),
])
def test_only_json_forms_multipart_and_plain_text_are_read(content_type, readable):
    assert ex.is_readable(content_type) is readable
