"""A corpus of malformed, unsigned, wrongly signed and oversized messages: each is dropped
without a reply, and the kernel keeps serving."""

import hashlib
import hmac
import json
import socket
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
        "oversized and wrongly signed": message(
            key, content=b'{"code": "' + b"x" * (17 << 20) + b'"}', signature=b"0" * 64
        ),
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


def zmtp_greeting() -> bytes:
    """A ZMTP 3.0 greeting with the NULL mechanism: 64 bytes, no authentication needed."""
    mechanism = b"NULL".ljust(20, b"\0")
    return b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x00" + mechanism + b"\0" + b"\0" * 31


def zmtp_ready(socket_type: bytes = b"DEALER") -> bytes:
    """The READY command that completes a NULL-mechanism handshake."""
    prop = b"\x0bSocket-Type" + len(socket_type).to_bytes(4, "big") + socket_type
    body = b"\x05READY" + prop
    return b"\x04" + bytes([len(body)]) + body


def huge_frame_header(length: int = 1 << 40) -> bytes:
    """A long-frame header (flags 0x02) announcing `length` bytes that never come."""
    return b"\x02" + length.to_bytes(8, "big")


@pytest.mark.parametrize("channel", ["shell", "control", "stdin", "iopub", "hb"])
def test_a_frame_announcing_a_terabyte_is_refused_before_allocating(kernel, channel):
    """73 unauthenticated bytes used to abort the kernel (the transport reserved the announced
    length). Now the peer is disconnected and the kernel keeps serving."""
    info = kernel.km.get_connection_info()
    with socket.create_connection((info["ip"], info[f"{channel}_port"]), timeout=5) as raw:
        raw.sendall(zmtp_greeting() + huge_frame_header())
        raw.settimeout(5)
        received = b""
        try:  # the kernel's greeting, then EOF when it drops us
            while chunk := raw.recv(4096):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    assert kernel.km.is_alive(), f"the kernel died after 73 bytes on {channel}"
    msg_id = kernel.kc.kernel_info()
    assert kernel.shell_reply(msg_id, timeout=10)["content"]["status"] == "ok"
    assert kernel.kc.is_alive()


def test_many_frames_adding_up_past_the_limit_are_refused(kernel):
    """Frames each below the limit but together far above it: the transport stops buffering."""
    info = kernel.km.get_connection_info()
    frame = b"\x03" + (8 << 20).to_bytes(8, "big")  # long, more-frames-follow, 8 MiB
    chunk = b"\0" * (1 << 20)
    with socket.create_connection((info["ip"], info["shell_port"]), timeout=5) as raw:
        raw.sendall(zmtp_greeting() + zmtp_ready())
        sent = 0
        try:
            for _ in range(16):  # 128 MiB announced in all, twice the transport's limit
                raw.sendall(frame)
                for _ in range(8):
                    raw.sendall(chunk)
                sent += 8
        except (BrokenPipeError, ConnectionResetError):
            pass
    assert sent < 128, "the kernel kept reading a message far over its limit"
    msg_id = kernel.kc.kernel_info()
    assert kernel.shell_reply(msg_id, timeout=10)["content"]["status"] == "ok"


def test_an_oversized_request_gets_an_error_reply(kernel, raw):
    key, sockets = raw
    content = b'{"code": "' + b"x" * (17 << 20) + b'", "silent": false}'
    sockets["shell"].send_multipart(message(key, header("execute_request"), content=content))
    assert sockets["shell"].poll(10_000), "no reply to an oversized request"
    reply = sockets["shell"].recv_multipart()
    at = reply.index(DELIM)
    assert json.loads(reply[at + 2])["msg_type"] == "execute_reply"
    content = json.loads(reply[at + 5])
    assert content["status"] == "error"
    assert content["ename"] == "RequestTooLarge"
    assert "16 MiB" in content["evalue"]


def test_a_replayed_message_is_refused(kernel, raw):
    key, sockets = raw
    shell = sockets["shell"]
    frames = message(key, header("execute_request"), content=b'{"code": "40 + 2"}')
    shell.send_multipart(frames)
    assert shell.poll(60_000), "no reply to the original"
    shell.recv_multipart()
    shell.send_multipart(frames)
    assert not shell.poll(2_000), "the kernel ran a replayed message again"
    kernel.flush_iopub()
