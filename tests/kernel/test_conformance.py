"""jupyter_kernel_test's conformance suite with every attribute set."""

import unittest

import jupyter_kernel_test as jkt
from conftest import KERNEL_NAME, WARM_TIMEOUT


def display_line(payload: str) -> str:
    """A cell that prints one line of the kernel's display protocol (see kernel/DISPLAY.md)."""
    return f'println!("{{}}", r#"FAULTLINE_DISPLAY {payload}"#);'


class FaultlineKernelTests(jkt.KernelTests):
    kernel_name = KERNEL_NAME

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        # The suite gives each reply 15 s; load the prelude first.
        msg_id = cls.kc.execute("1")
        reply = cls.kc.get_shell_msg(timeout=WARM_TIMEOUT)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"]["status"] == "ok", reply["content"]

    def setUp(self) -> None:
        self.flush_channels()

    language_name = "rust"
    file_extension = ".rs"

    code_hello_world = 'println!("hello, world");'
    code_stderr = 'eprintln!("to stderr");'

    code_execute_result = [
        {"code": "1 + 2 + 3", "result": "6"},
        {"code": "2 * 21", "result": "42"},
        {"code": '"ab".repeat(2)', "result": '"abab"'},
    ]
    code_display_data = [
        {
            "code": display_line(
                '{"op":"display","data":{"image/svg+xml":"<svg xmlns=\'http://www.w3.org/2000/svg\'/>",'
                '"text/plain":"a plot"},"metadata":{},"display_id":null,"wait":false}'
            ),
            "mime": "image/svg+xml",
        },
        {
            "code": display_line('{"op":"display","data":{"text/html":"<b>hi</b>"}}'),
            "mime": "text/html",
        },
    ]
    code_clear_output = display_line('{"op":"clear","wait":false}')

    code_generate_error = 'panic!("deliberate")'

    completion_samples = [
        {"text": "let zebra_count = 1;\nzebra_c", "matches": {"zebra_count"}},
    ]

    complete_code_samples = ["1 + 1", "fn f() {}", 'let s = "{";', "// just a comment"]
    incomplete_code_samples = ["fn f() {", "let v = vec![1,", 'let s = "abc', "/* open"]
    invalid_code_samples = [")", "fn f() }", "let v = [1, 2);"]

    code_page_something = ":doc faultline"

    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "1 + 2*"

    code_inspect_sample = "faultline"


class FaultlineIopubWelcomeTests(jkt.IopubWelcomeTests):
    kernel_name = KERNEL_NAME
    support_iopub_welcome = True


if __name__ == "__main__":
    unittest.main()
