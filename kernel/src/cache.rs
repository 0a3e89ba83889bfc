//! A persistent build directory for evcxr, keyed by toolchain and prelude, so the prelude and its
//! dependencies are compiled once and every later session starts warm.
//!
//! evcxr's own cache skips path crates (our prelude is one), but cargo's incremental target
//! directory does not: reusing the directory (`EVCXR_TMPDIR`) is what makes start-up fast. Each
//! directory serves one kernel at a time, guarded by an advisory lock; concurrent kernels take
//! the next free slot, which starts as a copy of a warm sibling's build (a second of copying
//! instead of minutes of compiling the prelude again).

use sha2::{Digest, Sha256};
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

const SLOTS: usize = 4;

/// The slot is a cargo workspace whose one member is evcxr's crate (in `crate/`). Being a
/// workspace root stops cargo from adopting the crate into an enclosing workspace (e.g. a cache
/// kept inside a project), and its profile — which then governs — compiles dependencies, the
/// prelude included, optimised, and the learner's cells quickly.
const WORKSPACE_MANIFEST: &str = r#"# Written by faultline-kernel: evcxr's build directory.
[workspace]
members = ["crate"]
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

/// Optimisation of the cell crates themselves.
const CELL_OPT_LEVEL: &str = "1";

/// A locked build directory (evcxr's crate is `dir/crate`); the lock lasts as long as this
/// value, i.e. the kernel process.
pub struct BuildSlot {
    pub dir: PathBuf,
    _lock: File,
}

/// Where caches live: `FAULTLINE_CACHE_DIR`, else the XDG cache directory.
pub fn cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("FAULTLINE_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("faultline-kernel")
}

/// Takes the first free slot for this toolchain and prelude, or None if all are busy.
pub fn acquire(root: &Path, toolchain: &str, prelude: &Path) -> std::io::Result<Option<BuildSlot>> {
    let mut hasher = Sha256::new();
    hasher.update(toolchain.as_bytes());
    hasher.update(prelude.as_os_str().as_encoded_bytes());
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    let key: String = hasher.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let keyed = root.join(key);
    std::fs::create_dir_all(&keyed)?;
    for n in 0..SLOTS {
        let lock = File::create(keyed.join(format!("slot-{n}.lock")))?;
        // SAFETY: flock on a descriptor we own; LOCK_NB makes it return at once.
        let locked = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        if locked {
            let dir = keyed.join(format!("slot-{n}"));
            std::fs::create_dir_all(dir.join("crate"))?;
            seed_from_sibling(&keyed, n);
            let manifest = WORKSPACE_MANIFEST.replace("CELL_OPT_LEVEL", CELL_OPT_LEVEL);
            let path = dir.join("Cargo.toml");
            // Rewritten only when it changes, so cargo's fingerprints stay valid.
            if std::fs::read_to_string(&path).ok().as_deref() != Some(manifest.as_str()) {
                std::fs::write(path, manifest)?;
            }
            return Ok(Some(BuildSlot { dir, _lock: lock }));
        }
    }
    Ok(None)
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
        let a = acquire(&root, "rustc x", Path::new("/p")).unwrap().unwrap();
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
        let b = acquire(&root, "rustc x", Path::new("/p")).unwrap().unwrap();
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
        let c = acquire(&root, "rustc x", Path::new("/p")).unwrap().unwrap();
        assert_eq!(c.dir, a_dir);
        let other = acquire(&root, "rustc y", Path::new("/p")).unwrap().unwrap();
        assert_ne!(other.dir.parent(), c.dir.parent());
        drop((b, c, other));
        std::fs::remove_dir_all(root).unwrap();
    }
}
