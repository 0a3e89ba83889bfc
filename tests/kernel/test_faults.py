"""Faults: panics, compile errors, interrupts, a prelude that fails to load, start-up latency,
completion without rust-src (and without touching the toolchain), and shutdown."""

import os
import pathlib
import signal
import subprocess
import time

import pytest
from conftest import Kernel, outputs_of, stream_text

HERE = pathlib.Path(__file__).parent


def test_first_cell_is_count_one():
    kernel = Kernel()
    try:
        reply, _ = kernel.execute("1", timeout=600)
        assert reply["content"]["execution_count"] == 1
    finally:
        kernel.shutdown()


def test_panic_is_an_error_and_keeps_earlier_variables(kernel):
    kernel.execute("let kept: i32 = 41;")
    reply, outputs = kernel.execute('let fresh = 1;\nlet v: Vec<i32> = Vec::new();\nv[3]')
    content = reply["content"]
    assert content["status"] == "error"
    assert content["ename"] == "panic"
    assert "index out of bounds" in content["evalue"]
    assert "cell line 3" in content["traceback"][0]
    assert [m["msg_type"] for m in outputs if m["msg_type"] != "execute_input"] == ["error"]
    reply, outputs = kernel.execute("kept + 1")
    assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == "42"


def test_a_panic_message_with_escapes_quotes_and_newlines_keeps_its_location(kernel):
    """The hook's report is JSON: control characters (an ANSI colour), quotes and newlines in the
    message must neither break the report nor lose the cell line."""
    cell = 'let x = 1;\npanic!("\\u{1b}[31mred\\u{1b}[0m \\"quoted\\"\\nsecond line")'
    reply, _ = kernel.execute(cell)
    content = reply["content"]
    assert content["ename"] == "panic", content
    assert '\x1b[31mred\x1b[0m "quoted"\nsecond line' in content["evalue"], content["evalue"]
    assert "cell line 2" in content["traceback"][0], content["traceback"]


def test_compile_error_points_at_the_cell_line(kernel):
    reply, outputs = kernel.execute('let a = 1;\nlet b: i32 = "two";\n')
    content = reply["content"]
    assert content["status"] == "error"
    assert content["ename"] == "CompilationError"
    assert "cell line 2" in content["evalue"]
    assert "cell line 2:14" in content["traceback"][0]
    assert 'let b: i32 = "two";' in content["traceback"][0]
    assert len(outputs_of(outputs, "error")) == 1


def test_interrupt_stops_a_runaway_cell_and_the_kernel_recovers(kernel):
    kernel.execute("let before: i32 = 7;")
    msg_id = kernel.kc.execute('println!("spinning"); loop { std::hint::spin_loop(); }')
    deadline = time.monotonic() + 120
    while True:  # interrupt once it runs, not while it compiles
        msg = kernel.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["msg_type"] == "stream" and "spinning" in msg["content"]["text"]:
            break
    started = time.monotonic()
    kernel.km.interrupt_kernel()
    reply = kernel.shell_reply(msg_id, timeout=10)
    assert time.monotonic() - started < 2.0
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Interrupted"
    assert "variable" in reply["content"]["evalue"]
    kernel.flush_iopub()
    after, outputs = kernel.execute("let x: i32 = 20; x + 22")
    assert after["content"]["status"] == "ok", after["content"]
    assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == "42"
    lost, _ = kernel.execute("before")
    assert lost["content"]["status"] == "error"
    panicked, _ = kernel.execute('panic!("still reported after the restart")')
    assert panicked["content"]["ename"] == "panic"


def test_prelude_failure_is_reported_by_the_first_cell(tmp_path):
    started = time.monotonic()
    kernel = Kernel(
        env={
            "FAULTLINE_PRELUDE": str(HERE / "fixtures" / "broken_prelude"),
            "FAULTLINE_CACHE_DIR": str(tmp_path),
        }
    )
    try:
        # kernel_info is answered while evcxr and the prelude are still starting.
        assert time.monotonic() - started < 5.0
        first, _ = kernel.execute("1 + 1", timeout=300)
        content = first["content"]
        assert content["status"] == "error"
        assert content["ename"] == "PreludeLoadError"
        assert "mismatched types" in content["evalue"]
        assert any("broken_prelude" in line for line in content["traceback"])
        second, outputs = kernel.execute("1 + 1", timeout=120)
        assert second["content"]["status"] == "ok"
        assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == "2"
    finally:
        kernel.shutdown()


def rust_src_installed() -> bool:
    sysroot = subprocess.run(
        ["rustc", "--print", "sysroot"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return (pathlib.Path(sysroot) / "lib/rustlib/src/rust/library/core").is_dir()


def test_completion_without_rust_src_and_toolchain_untouched(kernel):
    had_rust_src = rust_src_installed()
    kernel.execute("let zebra_total: u64 = 3;")
    code = "let zebra_local = 1;\nzebra_"
    msg_id = kernel.kc.complete(code, len(code))
    reply = kernel.shell_reply(msg_id, timeout=15)
    matches = set(reply["content"]["matches"])
    assert {"zebra_local", "zebra_total"} <= matches
    assert reply["content"]["cursor_start"] == len(code) - len("zebra_")
    msg_id = kernel.kc.inspect("Vec::new", 8)
    assert kernel.shell_reply(msg_id, timeout=15)["content"]["status"] == "ok"
    assert rust_src_installed() == had_rust_src, "the kernel changed the user's toolchain"


def test_type_of_std_values_without_rust_src(kernel):
    reply, _ = kernel.execute('let words = vec![String::from("a"), String::from("b")];')
    assert reply["content"]["status"] == "ok", reply["content"]
    reply, outputs = kernel.execute("words.join(\"+\")")
    assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == '"a+b"'


@pytest.mark.parametrize("restart", [False, True])
def test_shutdown(restart):
    kernel = Kernel()
    try:
        msg_id = kernel.kc.shutdown(restart=restart)
        reply = kernel.kc.get_control_msg(timeout=10)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"] == {"status": "ok", "restart": restart}
        deadline = time.monotonic() + 10
        while kernel.km.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not kernel.km.is_alive()
    finally:
        kernel.kc.stop_channels()
        kernel.km.cleanup_resources()


def children(pid: int) -> list[int]:
    found = []
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(p) for p in text)
    return found


def is_evcxr_child(pid: int) -> bool:
    try:
        return b"EVCXR_IS_RUNTIME=1" in pathlib.Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_evcxr_child_dies_with_a_killed_kernel():
    """SIGKILL gives the kernel no chance to clean up, and a busy child never reads the EOF
    on its command pipe: it must still not be orphaned."""
    kernel = Kernel()
    try:
        kernel.warm()
        kernel.kc.execute('println!("spinning"); loop { std::hint::spin_loop(); }')
        deadline = time.monotonic() + 120
        while True:  # until the cell runs
            msg = kernel.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            if msg["msg_type"] == "stream" and "spinning" in msg["content"]["text"]:
                break
        pid = kernel.km.provisioner.process.pid
        child = [c for c in children(pid) if is_evcxr_child(c)]
        assert child, "no evcxr child found"
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while alive(child[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(child[0]), "evcxr's child outlived the kernel"
    finally:
        kernel.kc.stop_channels()
        kernel.km.cleanup_resources()


PANIC_IN_DROP = """
struct Bomb;
impl Drop for Bomb { fn drop(&mut self) { panic!("second panic, in drop"); } }
let _bomb = Bomb;
panic!("first panic");
"""


def test_a_panic_while_unwinding_is_an_error_and_later_panics_still_are():
    """The abort after a panic in a destructor used to leave every later panic reported as ok.
    (Its own kernel: on failure it leaves the process without its panic hook.)"""
    kernel = Kernel()
    try:
        kernel.warm()
        reply, _ = kernel.execute(PANIC_IN_DROP, timeout=60)
        content = reply["content"]
        assert content["status"] == "error", content
        assert content["ename"] == "panic", content
        for _ in range(2):
            reply, outputs = kernel.execute('panic!("later")', timeout=60)
            assert reply["content"]["status"] == "error", reply["content"]
            assert reply["content"]["ename"] == "panic"
            kinds = [m["msg_type"] for m in outputs if m["msg_type"] != "execute_input"]
            assert kinds == ["error"]
        assert "aborted" in " ".join(content["traceback"])
    finally:
        kernel.shutdown()


def test_panics_the_cell_handles_are_not_cell_errors(kernel):
    caught = '{ let r = std::panic::catch_unwind(|| panic!("caught")); println!("{}", r.is_err()); }'
    joined = '{ let j = std::thread::spawn(|| panic!("in a thread")).join(); println!("{}", j.is_err()); }'
    for code, message in [(caught, "caught"), (joined, "in a thread")]:
        reply, outputs = kernel.execute(code, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
        assert stream_text(outputs, "stdout") == "true\n"
        assert message in stream_text(outputs, "stderr")


def test_a_late_background_panic_is_not_blamed_on_another_cell(kernel):
    kernel.execute(
        'std::thread::spawn(|| { std::thread::sleep(std::time::Duration::from_millis(1500)); '
        'panic!("late"); });'
    )
    reply, _ = kernel.execute("std::thread::sleep(std::time::Duration::from_millis(3000)); 1")
    assert reply["content"]["status"] == "ok", reply["content"]


def test_an_interrupt_as_a_cell_finishes_spares_the_next_cell(kernel):
    """An interrupt that lands after a cell's code finished, while its output and reply are
    still on their way, used to kill the process under the next cell (its variables gone)."""
    noisy = 'for i in 0..150_000u32 { println!("line {i}"); }'
    for delay in [0.2, 0.5, 0.8, 1.2, 1.6, 2.0]:
        kernel.execute("let kept: i32 = 41;")
        kernel.flush_iopub()
        msg_id = kernel.kc.execute(noisy)
        while True:  # the cell is running once its output arrives
            msg = kernel.kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
                break
        time.sleep(delay)
        kernel.km.interrupt_kernel()
        first = kernel.shell_reply(msg_id, timeout=60)["content"]
        if first["status"] != "ok":
            assert first["ename"] == "Interrupted", first
            continue  # stopped while it ran: losing variables is expected then
        kernel.flush_iopub()
        reply, outputs = kernel.execute("kept + 1")
        assert reply["content"]["status"] == "ok", (delay, reply["content"])
        assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == "42"


def test_an_interrupt_during_a_compile_stops_it_and_keeps_variables(kernel):
    kernel.execute("let kept: i32 = 41;")
    # A cell that takes rustc seconds to compile, with no top-level variables to type.
    pushes = "\n".join(
        f'v.push(format!("{{:?}}", ({i}, [{i}u8; 3], vec![Some({i})], ("{i}", {i}.5))));'
        for i in range(3000)
    )
    slow = "{\nlet mut v = Vec::new();\n" + pushes + "\nv.len()\n};"
    content, elapsed = kernel.interrupt_after(slow, 1.0)
    assert content["status"] == "error"
    assert content["ename"] == "Interrupted"
    assert "compiled" in content["evalue"], content
    assert elapsed < 3, f"the interrupt waited {elapsed:.1f} s for the compile"
    kernel.flush_iopub()
    reply, outputs = kernel.execute("kept + 1")
    assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == "42"
