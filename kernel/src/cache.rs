//! A persistent build directory for evcxr, keyed by toolchain and prelude, so the prelude and its
//! dependencies are compiled once and every later session starts warm.
//!
//! evcxr's own cache skips path crates (our prelude is one), but cargo's incremental target
//! directory does not: reusing the directory (`EVCXR_TMPDIR`) is what makes start-up fast. Each
//! directory serves one kernel at a time, guarded by an advisory lock; concurrent kernels take
//! the next free slot, which starts as a copy of a warm sibling's build (a second of copying
//! instead of minutes of compiling the prelude again). On a class server, a learner whose own
//! cache is empty starts from the administrator's shared one instead ([`crate::seed`]).

use crate::{seed, vendor};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

const SLOTS: usize = 4;

/// The slot is a cargo workspace around evcxr's crate (in `crate/`). Being a workspace root stops
/// cargo from adopting the crate into an enclosing workspace (e.g. a cache kept inside a
/// project), and its profile — which then governs — compiles dependencies, the prelude included,
/// optimised, and the learner's cells quickly. The second member, `pin/`, depends on the prelude
/// alone (see [`PIN_MANIFEST`]). A class install adds a patch section ([`crate::vendor`]).
const WORKSPACE_MANIFEST: &str = r#"# Written by faultline-kernel: evcxr's build directory.
[workspace]
members = ["crate", "pin"]
resolver = "2"

[profile.dev]
opt-level = CELL_OPT_LEVEL
debug = false
strip = "debuginfo"
rpath = true
debug-assertions = true
overflow-checks = true
codegen-units = 16
incremental = true
panic = "unwind"

[profile.dev.package."*"]
opt-level = 2
"#;

/// A member that depends on the prelude (and the lab crate beside it) and is never built. evcxr
/// checks each `:dep` by writing a manifest that holds only the new crate and running `cargo
/// metadata`, which rewrites the lockfile; without this member that drops every prelude
/// dependency from it, and the next build resolves them afresh against the registry index —
/// newer versions, and a rebuilt prelude. With it, the prelude's locked versions stay in the
/// lockfile whatever a cell declares.
const PIN_MANIFEST: &str = r#"# Written by faultline-kernel: keeps the prelude's locked versions in the lockfile.
[package]
name = "faultline-pin"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
path = "lib.rs"

[dependencies]
faultline = { path = PRELUDE }
LAB_DEPENDENCY
"#;

/// Optimisation of the cell crates themselves.
const CELL_OPT_LEVEL: &str = "1";

/// A locked build directory (evcxr's crate is `dir/crate`); the lock lasts as long as this
/// value, i.e. the kernel process.
pub struct BuildSlot {
    pub dir: PathBuf,
    _lock: File,
}

/// The caches a kernel uses: its own (written), and possibly a shared one it starts from.
pub struct Caches {
    pub own: PathBuf,
    /// An administrator's warm cache this user cannot write (see [`crate::seed`]).
    pub shared: Option<PathBuf>,
}

impl Caches {
    /// `FAULTLINE_CACHE_DIR` (the installer records it in the kernelspec) when this user may
    /// write it; when it exists but is read-only — a class server's shared cache — this user's
    /// own cache under `XDG_CACHE_HOME` (or `~/.cache`), started from it.
    pub fn locate() -> Caches {
        let own = user_cache();
        match std::env::var_os("FAULTLINE_CACHE_DIR").map(PathBuf::from) {
            Some(dir) if dir.is_dir() && !writable(&dir) => Caches {
                own,
                shared: Some(dir),
            },
            Some(dir) => Caches {
                own: dir,
                shared: None,
            },
            None => Caches { own, shared: None },
        }
    }

    /// The cargo home of the kernel's builds, in its own cache: whatever HOME or CARGO_HOME a
    /// kernel starts with, it finds the sources of the prelude's dependencies there, and on a
    /// class server they come from the shared cache's cargo home. (Cargo settings for the
    /// kernel's builds go in its `config.toml`.)
    pub fn cargo_home(&self) -> std::io::Result<PathBuf> {
        let home = self.own.join("cargo-home");
        std::fs::create_dir_all(&home)?;
        if let Some(shared) = &self.shared {
            seed::link_cargo_home(&shared.join("cargo-home"), &home)?;
        }
        Ok(home)
    }
}

fn user_cache() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("faultline-kernel")
}

fn writable(dir: &Path) -> bool {
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    // SAFETY: access(2) only reads the NUL-terminated path.
    unsafe { libc::access(path.as_ptr(), libc::W_OK) == 0 }
}

/// Takes the first free slot for this toolchain and prelude, or None if all are busy. A slot
/// without a build starts from a sibling's or, failing that, the shared cache's.
pub fn acquire(
    caches: &Caches,
    toolchain: &str,
    prelude: &Path,
) -> std::io::Result<Option<BuildSlot>> {
    let mut hasher = Sha256::new();
    hasher.update(toolchain.as_bytes());
    hasher.update(prelude.as_os_str().as_encoded_bytes());
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    let key: String = hasher.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let keyed = caches.own.join(&key);
    std::fs::create_dir_all(&keyed)?;
    for n in 0..SLOTS {
        let lock = File::create(keyed.join(format!("slot-{n}.lock")))?;
        // SAFETY: flock on a descriptor we own; LOCK_NB makes it return at once.
        let locked = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        if locked {
            let dir = keyed.join(format!("slot-{n}"));
            std::fs::create_dir_all(dir.join("crate"))?;
            seed_from_sibling(&keyed, n);
            if let Some(shared) = &caches.shared {
                seed_from_shared(&shared.join(&key), &dir.join("crate/target"))?;
            }
            let vendored = prelude
                .parent()
                .map(|p| p.join("vendor"))
                .unwrap_or_default();
            let manifest = WORKSPACE_MANIFEST.replace("CELL_OPT_LEVEL", CELL_OPT_LEVEL)
                + &vendor::patch_section(&vendored)?;
            write_if_changed(&dir.join("Cargo.toml"), &manifest)?;
            let lab = crate::lab_beside(prelude).map_or(String::new(), |lab| {
                let lab = serde_json::to_string(&lab.to_string_lossy()).expect("a string");
                format!("faultline-lab = {{ path = {lab} }}")
            });
            let prelude = serde_json::to_string(&prelude.to_string_lossy()).expect("a string");
            std::fs::create_dir_all(dir.join("pin"))?;
            write_if_changed(
                &dir.join("pin/Cargo.toml"),
                &PIN_MANIFEST
                    .replace("PRELUDE", &prelude)
                    .replace("LAB_DEPENDENCY", &lab),
            )?;
            write_if_changed(&dir.join("pin/lib.rs"), "")?;
            return Ok(Some(BuildSlot { dir, _lock: lock }));
        }
    }
    Ok(None)
}

/// Writes only when the content changes, so cargo's fingerprints stay valid.
fn write_if_changed(path: &Path, content: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(content) {
        std::fs::write(path, content)?;
    }
    Ok(())
}

/// Where `target` has no build yet, links the first warm build of the shared cache's slots.
fn seed_from_shared(keyed: &Path, target: &Path) -> std::io::Result<()> {
    if target.exists() {
        return Ok(());
    }
    let warm = (0..SLOTS)
        .map(|slot| keyed.join(format!("slot-{slot}/crate/target")))
        .find(|t| t.is_dir());
    match warm {
        Some(from) => seed::link_build(&from, target),
        None => Ok(()),
    }
}

/// Where slot `n` has no build yet, copies the first sibling's (`cp -a` keeps the timestamps
/// cargo's freshness checks compare). Best effort: on failure the slot simply builds cold.
fn seed_from_sibling(keyed: &Path, n: usize) {
    let target = |slot: usize| keyed.join(format!("slot-{slot}/crate/target"));
    if target(n).exists() {
        return;
    }
    let Some(source) = (0..SLOTS)
        .filter(|&m| m != n)
        .map(target)
        .find(|t| t.is_dir())
    else {
        return;
    };
    let partial = target(n).with_extension("partial");
    let _ = std::fs::remove_dir_all(&partial);
    let copied = std::process::Command::new("cp")
        .arg("-a")
        .arg(&source)
        .arg(&partial)
        .status()
        .is_ok_and(|s| s.success());
    if copied {
        let _ = std::fs::rename(&partial, target(n));
    } else {
        let _ = std::fs::remove_dir_all(&partial);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_holders_get_distinct_slots() {
        let root = std::env::temp_dir().join(format!("fk-cache-test-{}", std::process::id()));
        let caches = Caches {
            own: root.clone(),
            shared: None,
        };
        let a = acquire(&caches, "rustc x", Path::new("/p"))
            .unwrap()
            .unwrap();
        let built = a.dir.join("crate/target/debug/libdep.rlib");
        std::fs::create_dir_all(built.parent().unwrap()).unwrap();
        std::fs::write(&built, "compiled").unwrap();
        let long_ago = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1 << 30);
        File::options()
            .write(true)
            .open(&built)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        let b = acquire(&caches, "rustc x", Path::new("/p"))
            .unwrap()
            .unwrap();
        assert_ne!(a.dir, b.dir);
        // The new slot starts from a copy of the warm one, timestamps included.
        let copy = b.dir.join("crate/target/debug/libdep.rlib");
        assert_eq!(std::fs::read_to_string(&copy).unwrap(), "compiled");
        assert_eq!(
            std::fs::metadata(&copy).unwrap().modified().unwrap(),
            long_ago
        );
        let a_dir = a.dir.clone();
        drop(a);
        let c = acquire(&caches, "rustc x", Path::new("/p"))
            .unwrap()
            .unwrap();
        assert_eq!(c.dir, a_dir);
        let other = acquire(&caches, "rustc y", Path::new("/p"))
            .unwrap()
            .unwrap();
        assert_ne!(other.dir.parent(), c.dir.parent());
        drop((b, c, other));
        std::fs::remove_dir_all(root).unwrap();
    }
}
