//! What we need to know about the user's Rust toolchain, found without changing it.
//!
//! rust-analyzer (inside evcxr) looks for the standard library's sources and, when they are
//! missing, runs `rustup component add rust-src` — a 53 MB download into the user's toolchain.
//! We never let that happen. Nor do we let cells pay for std analysis: loading and analysing the
//! std sources costs ~2 s at start-up and ~2.5 s on the first `let`. So rust-analyzer starts on
//! an empty stand-in (`RUST_SRC_PATH`), variables whose type it cannot name are typed by rustc
//! ([`crate::infer`]), and the real sources, when installed, are loaded on the first
//! completion or hover request ([`crate::evaluator`]).
//!
//! Jupyter (and JupyterHub's spawners) start kernels with another PATH and HOME than the shell
//! the kernel was installed from, so rustup's proxies and `~/.cargo/bin` are often missing. The
//! installer records the toolchain it found ([`RECORDED`]); the kernel puts it first on PATH
//! and points rustup at it ([`use_recorded`]), and when no toolchain can be run at all, every
//! cell says what is missing, where the kernel looked and what fixes it ([`missing`]).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The kernelspec variable holding the toolchain's directory (`rustc --print sysroot`).
pub const RECORDED: &str = "FAULTLINE_TOOLCHAIN";

pub struct Toolchain {
    /// `rustc -vV` output: identifies the compiler exactly, so it keys the build cache.
    pub verbose_version: String,
    /// e.g. `1.95.0`, for `language_info.version`.
    pub release: String,
    /// The standard library's sources: the user's `RUST_SRC_PATH`, else the rust-src component.
    pub std_sources: Option<PathBuf>,
    /// The toolchain's directory; its `bin/` holds rustc and cargo.
    pub sysroot: PathBuf,
}

impl Toolchain {
    /// Runs rustc to learn the toolchain, and checks that cargo is beside it or on PATH.
    pub fn probe() -> Result<Toolchain, String> {
        let verbose_version = run_rustc(&["-vV"])?;
        let release = verbose_version
            .lines()
            .find_map(|l| l.strip_prefix("release: "))
            .unwrap_or_default()
            .to_owned();
        let sysroot = PathBuf::from(run_rustc(&["--print", "sysroot"])?.trim());
        if !sysroot.join("bin/cargo").is_file() && on_path("cargo").is_none() {
            return Err(format!(
                "found rustc ({}) but no cargo beside it or on PATH",
                sysroot.join("bin/rustc").display()
            ));
        }
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

    /// Cells are shared libraries linked against the toolchain's `libstd-*.so`, which they find
    /// through a relative RUNPATH computed from where cargo built them. evcxr loads a renamed
    /// copy one directory up, where that path climbs one level too high: harmless when the
    /// toolchain is far from the cache (the extra `..` stop at `/`), fatal when both share a
    /// prefix (a class install's `PREFIX/rust` and `PREFIX/cache`). The loader also searches
    /// `LD_LIBRARY_PATH`, which evcxr's child inherits. Call before any thread starts.
    pub fn expose_std_library(&self) {
        let host = self
            .verbose_version
            .lines()
            .find_map(|l| l.strip_prefix("host: "))
            .unwrap_or_default();
        let libdir = self.sysroot.join("lib/rustlib").join(host).join("lib");
        let current = std::env::var_os("LD_LIBRARY_PATH").unwrap_or_default();
        let dirs = std::iter::once(libdir).chain(std::env::split_paths(&current));
        if let Ok(joined) = std::env::join_paths(dirs) {
            std::env::set_var("LD_LIBRARY_PATH", joined);
        }
    }
}

/// Makes the toolchain recorded at install time the one every tool finds: its `bin/` first on
/// PATH (for evcxr, cargo and build scripts) and `RUSTUP_TOOLCHAIN` naming it (evcxr asks
/// `rustup which` first, which would otherwise pick the user's default toolchain). Returns the
/// recorded directory. Call before any thread starts (it sets process environment).
pub fn use_recorded() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os(RECORDED)?);
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::iter::once(dir.join("bin")).chain(std::env::split_paths(&path));
    if let Ok(joined) = std::env::join_paths(dirs) {
        std::env::set_var("PATH", joined);
    }
    std::env::set_var("RUSTUP_TOOLCHAIN", &dir);
    Some(dir)
}

/// What every cell says when no toolchain can be run: what failed, where the kernel looked and
/// the command that fixes it.
pub fn missing(why: &str, recorded: Option<&Path>) -> String {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let looked = match recorded {
        Some(dir) => format!(
            "in {} (recorded by `faultline-kernel install` in this kernelspec) and on PATH ({})",
            dir.join("bin").display(),
            path.to_string_lossy()
        ),
        None => format!(
            "on PATH ({}); this kernelspec records no toolchain ({RECORDED} is not set)",
            path.to_string_lossy()
        ),
    };
    format!(
        "Rust toolchain not found, so no cell can run: {why}.\n\
         The kernel looked for rustc and cargo {looked}.\n\
         Fix: install Rust (https://rustup.rs) if it is missing, then, from a shell where \
         `cargo --version` works, install the kernel again so it records that toolchain: \
         `faultline-kernel install --sys-prefix` (in the Faultline repository: `./scripts/lab`)."
    )
}

fn on_path(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| candidate.is_file())
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
        .map_err(|e| format!("cannot run `rustc`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "rustc {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
