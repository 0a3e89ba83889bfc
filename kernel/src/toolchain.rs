//! What we need to know about the user's Rust toolchain, found without changing it.
//!
//! rust-analyzer (inside evcxr) looks for the standard library's sources and, when they are
//! missing, runs `rustup component add rust-src` — a 53 MB download into the user's toolchain.
//! We never let that happen. Nor do we let cells pay for std analysis: loading and analysing the
//! std sources costs ~2 s at start-up and ~2.5 s on the first `let`. So rust-analyzer starts on
//! an empty stand-in (`RUST_SRC_PATH`), variables whose type it cannot name are typed by rustc
//! ([`crate::infer`]), and the real sources, when installed, are loaded on the first
//! completion or hover request ([`crate::evaluator`]).

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Toolchain {
    /// `rustc -vV` output: identifies the compiler exactly, so it keys the build cache.
    pub verbose_version: String,
    /// e.g. `1.95.0`, for `language_info.version`.
    pub release: String,
    /// The standard library's sources: the user's `RUST_SRC_PATH`, else the rust-src component.
    pub std_sources: Option<PathBuf>,
    sysroot: PathBuf,
}

impl Toolchain {
    pub fn probe() -> Result<Toolchain, String> {
        let verbose_version = run_rustc(&["-vV"])?;
        let release = verbose_version
            .lines()
            .find_map(|l| l.strip_prefix("release: "))
            .unwrap_or_default()
            .to_owned();
        let sysroot = PathBuf::from(run_rustc(&["--print", "sysroot"])?.trim());
        let std_sources = std::env::var_os("RUST_SRC_PATH")
            .map(PathBuf::from)
            .into_iter()
            .chain([sysroot.join("lib/rustlib/src/rust/library")])
            .find(|dir| dir.join("core/src/lib.rs").is_file());
        Ok(Toolchain {
            verbose_version,
            release,
            std_sources,
            sysroot,
        })
    }

    /// rust-analyzer runs cargo and rustc about a dozen times per project load; through the
    /// rustup proxies each call costs an extra process. Point it (via `CARGO` and `RUSTC`, which
    /// it honours) at this toolchain's binaries directly — the ones the proxies would pick.
    /// Call before any thread starts (it sets process environment).
    pub fn bypass_rustup_proxies(&self) {
        for (var, tool) in [("CARGO", "cargo"), ("RUSTC", "rustc")] {
            let path = self.sysroot.join("bin").join(tool);
            if std::env::var_os(var).is_none() && path.is_file() {
                std::env::set_var(var, path);
            }
        }
    }
}

/// Makes rust-analyzer start on an empty standard library under `cache_root`: it neither
/// installs rust-src nor spends cells' time on std. Call before any thread starts (it sets
/// process environment).
pub fn hide_std_sources(cache_root: &Path) -> std::io::Result<()> {
    let stand_in = cache_root.join("no-rust-src");
    std::fs::create_dir_all(stand_in.join("core"))?;
    std::env::set_var("RUST_SRC_PATH", stand_in);
    Ok(())
}

fn run_rustc(args: &[&str]) -> Result<String, String> {
    let output = Command::new("rustc")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run rustc (is Rust installed and on PATH?): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "rustc {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
