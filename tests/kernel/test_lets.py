"""Many top-level `let`s: a cell with too many is refused at once with the limit, one within it
completes, and an interrupt while rust-analyzer types a cell returns at once and keeps every
variable. Timings are measured by bench/lets.py, not here."""

from conftest import outputs_of

# kernel/src/variables.rs
MAX_VARIABLES = 1000


def chain(count: int, prefix: str) -> str:
    """`count` top-level lets, each typed from the one before."""
    lines = [f"let {prefix}0 = 0u64;"]
    lines += [f"let {prefix}{i} = {prefix}{i - 1} + 1;" for i in range(1, count)]
    return "\n".join(lines)


def test_a_cell_past_the_variable_limit_is_refused_before_any_work(kernel):
    kernel.execute("let kept: i32 = 41;")
    # Today's main spent about 11 minutes on this cell (typing, then compiling it).
    reply, outputs = kernel.execute(chain(20_000, "many"), timeout=30)
    content = reply["content"]
    assert content["status"] == "error"
    assert content["ename"] == "TooManyVariables"
    assert content["evalue"].startswith("this cell defines 20000 top-level variables;"), content
    assert f"the kernel keeps at most {MAX_VARIABLES}" in content["evalue"]
    assert "Nothing ran" in content["evalue"]
    assert "block" in content["evalue"] and "Vec" in content["evalue"]
    assert len(outputs_of(outputs, "error")) == 1
    reply, outputs = kernel.execute("kept + 1")
    assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == "42"


def test_a_cell_within_the_limit_completes_and_keeps_its_variables(kernel):
    reply, _ = kernel.execute(chain(500, "within"), timeout=300)
    assert reply["content"]["status"] == "ok", reply["content"]
    reply, outputs = kernel.execute("within499", timeout=300)
    assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == "499"
    # The same lets inside a block keep nothing, so any number fits.
    reply, _ = kernel.execute("{\n" + chain(1500, "inner") + "\n}", timeout=300)
    assert reply["content"]["status"] == "ok", reply["content"]


def test_an_interrupt_while_types_are_inferred_returns_at_once_and_keeps_variables(kernel):
    kernel.execute("let kept: i32 = 41;")
    kernel.execute("fn faultline_keep_static<T: 'static>(_: T) {}")
    # rust-analyzer (inside the kernel) types `z` by inferring the whole cell, which takes it
    # many seconds here; killing a process cannot stop it.
    slow = "let z = 1u64;\n" + "\n".join("faultline_keep_static(z);" for _ in range(3000))
    content, elapsed = kernel.interrupt_after(slow, 1.5, timeout=120)
    assert content["status"] == "error"
    assert content["ename"] == "Interrupted", content
    assert "none of it ran; every variable is kept" in content["evalue"], content
    assert elapsed < 3, f"the interrupt waited {elapsed:.1f} s for type inference"
    kernel.flush_iopub()
    reply, outputs = kernel.execute("kept + 1", timeout=120)
    assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == "42"
