//! No answer key within the learner's reach: an exercise "answered" by calling a ready-made
//! answer does not compile against the learner's crate's dependencies.
//!
//! The test writes a small crate whose `[dependencies]` are exactly those of
//! `exercises/Cargo.toml` (paths made absolute) and whose code tries, one line each, every
//! shortcut that once existed — the quorum arithmetic of `quorums::arithmetic`, the quorum
//! register of `quorums::replicas` and `quorums::read_repair`, the backoff of
//! `retries::backoff`. It runs `cargo check` and requires a compile error on every one of those
//! lines and on no other line (so a broken set-up cannot pass for a blocked shortcut). Adding
//! `faultline-lab` to the learner's dependencies, or moving an answer back into `faultline`,
//! makes it fail.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Each line is one shortcut a learner might try; every one must fail to compile.
const SHORTCUTS: &[&str] = &[
    "pub fn a(n: usize) -> usize { faultline::check::quorum::majority(n) }",
    "pub fn b(f: usize) -> usize { faultline::check::quorum::nodes_for_crashes(f) }",
    "pub fn c(f: usize) -> usize { faultline::check::quorum::nodes_for_byzantine(f) }",
    "pub fn d(n: usize, r: usize, w: usize) -> bool { faultline::check::quorum::quorums_overlap(n, r, w).is_ok() }",
    "pub fn e(n: usize) -> usize { faultline_lab::quorum::majority(n) }",
    "pub fn f(n: usize, r: usize, w: usize) -> bool { faultline_lab::quorum::quorums_overlap(n, r, w).is_ok() }",
    "pub use faultline::blocks::register::QuorumClient;",
    "pub use faultline_lab::register::{QuorumClient as Q2, Replica};",
    "pub use faultline::prelude::{QuorumClient as Q3, Replica as R3};",
    "pub fn g(b: faultline::time::Time, c: faultline::time::Time, a: u32, r: &mut faultline::rng::Rng) -> faultline::time::Time { faultline::blocks::retry::Backoff::exponential(b).cap(c).delay(a, r) }",
];

/// Lines that must compile: the learner's ordinary imports still work.
const ALLOWED: &[&str] = &[
    "use faultline::prelude::*;",
    "pub fn ok(n: u64) -> Time { ms(n) + secs(1) }",
    "pub use faultline_grader::quorums::arithmetic::Bind as ArithmeticBind;",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root")
}

/// The learner's crate's `[dependencies]`, with relative paths made absolute.
fn learner_dependencies(root: &Path) -> String {
    let manifest = std::fs::read_to_string(root.join("exercises/Cargo.toml")).expect("manifest");
    let manifest: toml::Table = manifest.parse().expect("exercises/Cargo.toml parses");
    let workspace: toml::Table = std::fs::read_to_string(root.join("Cargo.toml"))
        .expect("workspace manifest")
        .parse()
        .expect("Cargo.toml parses");
    let shared = &workspace["workspace"]["dependencies"];
    let mut out = String::from("[dependencies]\n");
    for (name, spec) in manifest["dependencies"].as_table().expect("a table") {
        let mut spec = spec.as_table().cloned().expect("a table spec");
        let base = if spec.remove("workspace").is_some() {
            spec = shared[name.as_str()]
                .as_table()
                .cloned()
                .expect("a table spec");
            root.to_path_buf()
        } else {
            root.join("exercises")
        };
        if let Some(path) = spec.get("path").and_then(|p| p.as_str()) {
            let absolute = base.join(path).canonicalize().expect("a dependency path");
            spec.insert("path".into(), absolute.display().to_string().into());
        }
        out += &format!("{name} = {}\n", toml::Value::Table(spec));
    }
    out
}

#[test]
fn answers_are_out_of_the_learners_reach() {
    let root = workspace();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("answer-key");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        "[package]\nname = \"answer-key\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n{}",
        learner_dependencies(&root)
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let mut source = String::from("#![allow(unused_imports)]\n");
    source += &ALLOWED.join("\n");
    source += "\n";
    let first = source.lines().count() + 1;
    source += &SHORTCUTS.join("\n");
    source += "\n";
    std::fs::write(dir.join("src/lib.rs"), &source).unwrap();

    let output = Command::new(env!("CARGO"))
        .args(["check", "--offline", "--message-format=json"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let mut failed_lines = BTreeSet::new();
    let mut rendered = String::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let diagnostic = &message["message"];
        if message["reason"] != "compiler-message" || diagnostic["level"] != "error" {
            continue;
        }
        rendered += diagnostic["rendered"].as_str().unwrap_or_default();
        for span in diagnostic["spans"].as_array().into_iter().flatten() {
            if span["is_primary"] == true && span["file_name"] == "src/lib.rs" {
                failed_lines.insert(span["line_start"].as_u64().unwrap() as usize);
            }
        }
    }
    let shortcuts: BTreeSet<usize> = (first..first + SHORTCUTS.len()).collect();
    let compiled: Vec<&str> = shortcuts
        .difference(&failed_lines)
        .map(|line| SHORTCUTS[line - first])
        .collect();
    assert!(
        compiled.is_empty(),
        "the learner's crate can reach an answer; these compiled:\n  {}\n(cargo: {})",
        compiled.join("\n  "),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        failed_lines,
        shortcuts,
        "errors outside the shortcut lines (lines {first}..): a broken set-up?\n{rendered}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
