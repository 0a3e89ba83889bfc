//! `cargo test` in exercises/: grades your code (see exercises/README.md).

fn main() -> std::process::ExitCode {
    faultline_grader::main(faultline_grader::impls!(faultline_exercises))
}
