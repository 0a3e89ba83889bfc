"""A corpus of malformed, unsigned, wrongly signed and oversized messages: each is dropped
without a reply, and the kernel keeps serving."""

import hashlib
import hmac
import json
import uuid

import pytest
import zmq
from conftest import outputs_of

DELIM = b"<IDS|MSG>"


def header(msg_type="kernel_info_request", **overrides):
    h = {
        "msg_id": uuid.uuid4().hex,
        "session": "corpus",
        "username": "test",
        "date": "2024-01-01T00:00:00.000000Z",
        "msg_type": msg_type,
        "version": "5.3",
    }
    h.update(overrides)
    return h


def sign(key: bytes, parts: list[bytes]) -> bytes:
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        mac.update(part)
    return mac.hexdigest().encode()


def message(key: bytes, hdr=None, content=b"{}", signature=None) -> list[bytes]:
    parts = [
        hdr if isinstance(hdr, bytes) else json.dumps(hdr or header()).encode(),
        b"{}",
        b"{}",
        content,
    ]
    return [DELIM, sign(key, parts) if signature is None else signature, *parts]


def corpus(key: bytes) -> dict[str, list[bytes]]:
    good = message(key)
    tampered = list(good)
    tampered[-1] = b'{"x": 1}'
    no_type = header()
    del no_type["msg_type"]
    return {
        "no delimiter": [b"hello"],
        "empty frame": [b""],
        "only delimiter": [DELIM],
        "missing frames": good[:3],
        "unsigned": message(key, signature=b""),
        "signed with another key": message(b"not-the-key"),
        "tampered after signing": tampered,
        "signature not hex": message(key, signature=b"zz" * 32),
        "signature truncated": message(key, signature=sign(key, [b"x"])[:10]),
        "header not JSON": message(key, hdr=b"{not json"),
        "header is an array": message(key, hdr=b"[1, 2]"),
        "header without msg_type": message(key, hdr=no_type),
        "header with numeric msg_id": message(key, hdr=header(msg_id=7)),
        "content not an object": message(key, content=b"[]"),
        "content invalid UTF-8": message(key, content=b"\xff\xfe"),
        "oversized": message(key, content=b'{"code": "' + b"x" * (17 << 20) + b'"}'),
        "too many identities": [b"id"] * 20 + good,
        "binary garbage": [bytes(range(256)), bytes(reversed(range(256)))],
    }


@pytest.fixture()
def raw(kernel):
    info = kernel.km.get_connection_info()
    context = zmq.Context.instance()
    sockets = {}
    for channel in ("shell", "control"):
        sock = context.socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(f"{info['transport']}://{info['ip']}:{info[channel + '_port']}")
        sockets[channel] = sock
    yield info["key"], sockets
    for sock in sockets.values():
        sock.close()


def test_bad_messages_are_dropped_and_the_kernel_keeps_serving(kernel, raw):
    key, sockets = raw
    for channel, sock in sockets.items():
        for name, frames in corpus(key).items():
            sock.send_multipart(frames)
            assert not sock.poll(300), f"{channel}: kernel answered a bad message ({name})"
        # The same socket still gets answers to a good message.
        sock.send_multipart(message(key))
        assert sock.poll(5000), f"{channel}: no reply to a valid message after the corpus"
        reply = sock.recv_multipart()
        assert json.loads(reply[reply.index(DELIM) + 2])["msg_type"] == "kernel_info_reply"
    kernel.flush_iopub()
    reply, outputs = kernel.execute("40 + 2")
    assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == "42"
