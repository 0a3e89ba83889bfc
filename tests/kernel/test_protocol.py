"""Protocol behaviour beyond the conformance suite: counts, silent/store_history, stop_on_error,
display ids, rich results, output ordering, stdin, comms, and serving while a cell runs."""

import pathlib
import shutil
import time

from conftest import outputs_of, stream_text


def display_line(payload: str) -> str:
    return f'println!("{{}}", r#"FAULTLINE_DISPLAY {payload}"#);'


def test_counts_silent_and_store_history(kernel):
    history_before = kernel.kc.history(hist_access_type="tail", n=1000, output=False, raw=True)
    before = len(kernel.shell_reply(history_before)["content"]["history"])
    first, _ = kernel.execute("10")
    count = first["content"]["execution_count"]
    silent, outputs = kernel.execute('println!("quiet"); 5', silent=True)
    assert silent["content"]["status"] == "ok"
    assert outputs == [], "silent requests broadcast nothing but status"
    unstored, _ = kernel.execute("11", store_history=False)
    assert unstored["content"]["status"] == "ok"
    after, outputs = kernel.execute("12")
    assert after["content"]["execution_count"] == count + 1
    assert outputs_of(outputs, "execute_input")[0]["execution_count"] == count + 1
    msg_id = kernel.kc.history(hist_access_type="tail", n=1000, output=False, raw=True)
    history = kernel.shell_reply(msg_id)["content"]["history"]
    assert [h[2] for h in history[before:]] == ["10", "12"]


def test_stop_on_error_aborts_queued_cells(kernel):
    failing = kernel.kc.execute('panic!("first")')
    queued = kernel.kc.execute("1 + 1")
    assert kernel.shell_reply(failing)["content"]["status"] == "error"
    assert kernel.shell_reply(queued)["content"]["status"] == "aborted"
    failing = kernel.kc.execute('panic!("again")', stop_on_error=False)
    queued = kernel.kc.execute("1 + 1")
    assert kernel.shell_reply(failing)["content"]["status"] == "error"
    assert kernel.shell_reply(queued)["content"]["status"] == "ok"
    kernel.flush_iopub()


def test_display_ids_updates_and_order(kernel):
    code = "\n".join(
        [
            'println!("before");',
            display_line('{"op":"display","data":{"text/plain":"0%"},"display_id":"progress"}'),
            display_line('{"op":"display","data":{"text/plain":"second"},"metadata":{"x":1}}'),
            display_line('{"op":"update","data":{"text/plain":"100%"},"display_id":"progress"}'),
            'println!("after");',
        ]
    )
    reply, outputs = kernel.execute(code)
    assert reply["content"]["status"] == "ok"
    kinds = [m["msg_type"] for m in outputs if m["msg_type"] != "execute_input"]
    assert kinds == ["stream", "display_data", "display_data", "update_display_data", "stream"]
    shown = outputs_of(outputs, "display_data")
    assert shown[0]["transient"]["display_id"] == "progress"
    assert shown[1]["metadata"] == {"x": 1}
    update = outputs_of(outputs, "update_display_data")[0]
    assert update["transient"]["display_id"] == "progress"
    assert update["data"]["text/plain"] == "100%"


def test_bad_display_line_is_reported_not_fatal(kernel):
    reply, outputs = kernel.execute(display_line('{"op":"update","data":{}}'))
    assert reply["content"]["status"] == "ok"
    assert "display_id" in stream_text(outputs, "stderr")


def test_evcxr_display_bundle_is_one_execute_result(kernel):
    # Debug too: a type's own evcxr_display wins over the kernel's Debug fallback.
    code = r'''
#[derive(Debug)]
pub struct Figure;
impl Figure {
    pub fn evcxr_display(&self) {
        println!("EVCXR_BEGIN_CONTENT text/plain\nfigure\nEVCXR_END_CONTENT");
        println!("EVCXR_BEGIN_CONTENT image/svg+xml\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>\nEVCXR_END_CONTENT");
    }
}
Figure
'''
    reply, outputs = kernel.execute(code)
    assert reply["content"]["status"] == "ok"
    results = outputs_of(outputs, "execute_result")
    assert len(results) == 1
    assert set(results[0]["data"]) == {"text/plain", "image/svg+xml"}


def test_debug_values_show_and_others_say_why_not(kernel):
    reply, outputs = kernel.execute('(1..=3).map(|i| i * 2).collect::<Vec<u8>>()')
    assert reply["content"]["status"] == "ok", reply["content"]
    assert outputs_of(outputs, "execute_result")[0]["data"] == {"text/plain": "[2, 4, 6]"}
    reply, _ = kernel.execute("struct Opaque;\nOpaque")
    assert reply["content"]["status"] == "error"
    assert "`Opaque` doesn't implement `Debug`" in reply["content"]["evalue"]


def test_stderr_arrives_before_idle(kernel):
    code = 'for i in 0..300 { eprintln!("line {i}"); } println!("done");'
    reply, outputs = kernel.execute(code)
    assert reply["content"]["status"] == "ok"
    err = stream_text(outputs, "stderr").splitlines()
    assert err == [f"line {i}" for i in range(300)]


def test_unit_result_is_not_shown(kernel):
    _, outputs = kernel.execute('println!("x")')
    assert outputs_of(outputs, "execute_result") == []


def test_input_request(kernel):
    code = (
        'println!("EVCXR_INPUT_REQUEST:Your name? ");'
        "let mut line = String::new();"
        "std::io::stdin().read_line(&mut line).unwrap();"
        'println!("hello {}", line.trim());'
    )
    msg_id = kernel.kc.execute(code, allow_stdin=True)
    request = kernel.kc.get_stdin_msg(timeout=60)
    assert request["msg_type"] == "input_request"
    assert request["content"]["prompt"] == "Your name? "
    assert request["parent_header"]["msg_id"] == msg_id
    kernel.kc.input("Ada")
    reply, outputs = kernel.reply_and_outputs(msg_id)
    assert reply["content"]["status"] == "ok"
    assert "hello Ada" in stream_text(outputs, "stdout")


def test_comm_info_and_unknown_comm(kernel):
    msg_id = kernel.kc.comm_info()
    reply = kernel.shell_reply(msg_id)
    assert reply["content"] == {"status": "ok", "comms": {}}
    open_msg = kernel.kc.session.msg("comm_open", {"comm_id": "c1", "target_name": "nope", "data": {}})
    kernel.kc.shell_channel.send(open_msg)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        msg = kernel.kc.get_iopub_msg(timeout=10)
        if msg["msg_type"] == "comm_close":
            assert msg["content"]["comm_id"] == "c1"
            break
    else:
        raise AssertionError("no comm_close for an unknown comm target")


def test_served_while_a_cell_runs(kernel):
    long_cell = kernel.kc.execute("std::thread::sleep(std::time::Duration::from_secs(4));")
    time.sleep(1.0)
    start = time.monotonic()
    info = kernel.kc.kernel_info()
    assert kernel.shell_reply(info, timeout=2)["msg_type"] == "kernel_info_reply"
    complete = kernel.kc.complete("let abc = 1; ab", 15)
    assert kernel.shell_reply(complete, timeout=2)["content"]["status"] == "ok"
    check = kernel.kc.is_complete("fn f() {")
    assert kernel.shell_reply(check, timeout=2)["content"]["status"] == "incomplete"
    assert kernel.kc.hb_channel.is_beating()
    assert time.monotonic() - start < 2.0
    assert kernel.shell_reply(long_cell, timeout=30)["content"]["status"] == "ok"
    kernel.flush_iopub()


def test_dependency_build_progress_is_shown(kernel, tmp_path):
    # A fresh path each run: cargo builds it anew even though the kernel's cache persists.
    path = tmp_path / "tiny_dep"
    shutil.copytree(pathlib.Path(__file__).parent / "fixtures" / "tiny_dep", path)
    reply, outputs = kernel.execute(f':dep tiny_dep = {{ path = "{path}" }}\ntiny_dep::answer()', timeout=300)
    assert reply["content"]["status"] == "ok", reply["content"]
    shown = outputs_of(outputs, "display_data")
    assert shown and shown[0]["data"]["text/plain"].startswith("Compiling tiny_dep")
    final = outputs_of(outputs, "update_display_data")[-1]
    assert final["data"]["text/plain"] == "Compiled 1 crate."
    assert final["transient"]["display_id"] == shown[0]["transient"]["display_id"]
    assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == "42"


def test_each_cell_owns_its_output_whatever_bytes_it_prints(kernel):
    """Non-UTF-8 bytes on stdout, evcxr's completion marker printed by the cell, and an
    unterminated rich-content block used to shift every later result by one cell."""
    tricky = [
        r'{ use std::io::Write; std::io::stdout().write_all(b"bad \xff\xfe bytes\n").unwrap(); }',
        'println!("EVCXR_EXECUTION_COMPLETE");',
        'println!("EVCXR_BEGIN_CONTENT text/plain");',
    ]
    for n, code in enumerate(tricky):
        reply, outputs = kernel.execute(code + f'\nprintln!("tail {n}");', timeout=30)
        assert reply["content"]["status"] == "ok", (code, reply["content"])
        if "BEGIN_CONTENT" not in code:  # there, what follows is the block's content
            assert f"tail {n}" in stream_text(outputs, "stdout"), (code, outputs)
        reply, outputs = kernel.execute(f"{n} + 1000", timeout=30)
        results = outputs_of(outputs, "execute_result")
        assert results and results[0]["data"]["text/plain"] == str(n + 1000), (code, outputs)
    shown = stream_text(kernel.execute(tricky[0])[1], "stdout")
    assert shown == "bad \ufffd\ufffd bytes\n"


def test_a_bad_byte_on_stderr_does_not_break_later_eprintln(kernel):
    code = r'{ use std::io::Write; std::io::stderr().write_all(b"oops \xff\n").unwrap(); }'
    reply, _ = kernel.execute(code, timeout=30)
    assert reply["content"]["status"] == "ok", reply["content"]
    for n in range(3):
        reply, outputs = kernel.execute(f'eprintln!("still here {n}");', timeout=30)
        assert reply["content"]["status"] == "ok", reply["content"]
        assert f"still here {n}" in stream_text(outputs, "stderr")


def test_stdin_read_line_asks_the_front_end(kernel):
    """`std::io::stdin().read_line` used to hang with no prompt (it read evcxr's command pipe)."""
    code = (
        'print!("Your name: "); { use std::io::Write; std::io::stdout().flush().unwrap(); }\n'
        "let mut line = String::new();\n"
        "std::io::stdin().read_line(&mut line).unwrap();\n"
        'println!("hello {}", line.trim());'
    )
    msg_id = kernel.kc.execute(code, allow_stdin=True)
    request = kernel.kc.get_stdin_msg(timeout=60)
    assert request["msg_type"] == "input_request"
    assert "Your name" in request["content"]["prompt"]
    kernel.kc.input("Ada")
    reply, outputs = kernel.reply_and_outputs(msg_id, timeout=30)
    assert reply["content"]["status"] == "ok", reply["content"]
    assert "hello Ada" in stream_text(outputs, "stdout")


def test_another_client_cannot_answer_the_prompt(kernel):
    from jupyter_client import BlockingKernelClient

    other = BlockingKernelClient()
    other.load_connection_info(kernel.km.get_connection_info())
    other.start_channels()
    try:
        code = 'let mut l = String::new(); std::io::stdin().read_line(&mut l).unwrap(); println!("got {}", l.trim());'
        msg_id = kernel.kc.execute(code, allow_stdin=True)
        assert kernel.kc.get_stdin_msg(timeout=60)["msg_type"] == "input_request"
        other.input("forged")
        time.sleep(0.5)
        kernel.kc.input("real")
        reply, outputs = kernel.reply_and_outputs(msg_id, timeout=30)
        assert reply["content"]["status"] == "ok", reply["content"]
        assert stream_text(outputs, "stdout") == "got real\n"
    finally:
        other.stop_channels()
