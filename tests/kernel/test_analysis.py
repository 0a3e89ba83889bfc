"""rust-analyzer stays off the cells' path: cells never make it load the standard library's
sources; the first completion or hover does, when they are installed. A stand-in std given
through RUST_SRC_PATH (the way a user points at their sources) shows which std it loaded."""

from conftest import Kernel, outputs_of

LOADED = "std sources"


def stand_in_std(root):
    library = root / "library"
    crates = {
        "core": "",
        "alloc": "",
        "std": "pub mod lazily_loaded { pub fn only_in_this_std() {} }",
    }
    for name, source in crates.items():
        (library / name / "src").mkdir(parents=True)
        (library / name / "src" / "lib.rs").write_text(source)
    return library


def completions(kernel, code):
    reply = kernel.shell_reply(kernel.kc.complete(code, len(code)), timeout=120)
    return set(reply["content"]["matches"])


def test_std_sources_load_on_the_first_completion_only(tmp_path):
    log_path = tmp_path / "kernel.log"
    with open(log_path, "w") as log:
        kernel = Kernel(env={"RUST_SRC_PATH": str(stand_in_std(tmp_path))}, log=log)
        try:
            kernel.warm()
            reply, outputs = kernel.execute('let word = String::from("ok");\nword.len()')
            assert reply["content"]["status"] == "ok", reply["content"]
            assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == "2"
            log.flush()
            assert LOADED not in log_path.read_text(), "a cell made rust-analyzer load std"

            found = completions(kernel, "std::lazily_loaded::only_")
            assert any(m.startswith("only_in_this_std") for m in found), found
            log.flush()
            assert LOADED in log_path.read_text()

            # Cells still work, and variables persist, with std loaded.
            reply, outputs = kernel.execute("word.to_uppercase()")
            assert reply["content"]["status"] == "ok", reply["content"]
            assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == '"OK"'
        finally:
            kernel.shutdown()
