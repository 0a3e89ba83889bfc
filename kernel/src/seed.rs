//! Starting a learner's own cache from a shared, read-only one, by symbolic links.
//!
//! On a class server the administrator installs the kernel and compiles the prelude once, into a
//! cache every learner can read but none can write. A learner's kernel builds in a directory of
//! its own, which starts as links to the shared build of the prelude and its dependencies —
//! cargo finds them fresh and builds only the cell — and to the shared cargo home's package
//! sources. Links, not copies: a learner adds kilobytes, not the ~300 MB of a build. (Hard links
//! would do too, but Linux refuses to let a user hard-link files they do not own.)
//!
//! Nothing linked is ever written: cargo writes only the files of the units it rebuilds, and a
//! unit whose inputs differ (another feature set, a changed prelude) gets a new file name. The
//! cell crate's files (`ctx`) and incremental state are not linked, since every cell rewrites
//! them.

use std::io;
use std::path::Path;

/// Links the shared `from` build directory (a cargo `target/`) into `to`.
pub fn link_build(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let (source, dest) = (entry.path(), to.join(&*name));
        if is_cell_crate(&name) || name == "incremental" || dest.symlink_metadata().is_ok() {
            continue;
        }
        let parent = from.file_name().unwrap_or_default();
        if entry.file_type()?.is_dir() {
            // A unit's fingerprint or build-script directory belongs to that unit alone.
            if parent == ".fingerprint" || parent == "build" {
                std::os::unix::fs::symlink(&source, &dest)?;
            } else {
                link_build(&source, &dest)?;
            }
        } else if parent == "deps" {
            std::os::unix::fs::symlink(&source, &dest)?;
        }
        // Other files (cargo's lock and rustc cache) are cargo's to write: left to it.
    }
    Ok(())
}

/// Gives the cargo home `to` the package sources and index of the shared cargo home `from`:
/// sources and downloaded crates are linked, the index (which cargo refreshes) is copied.
pub fn link_cargo_home(from: &Path, to: &Path) -> io::Result<()> {
    for kind in ["src", "cache"] {
        for registry in subdirectories(&from.join("registry").join(kind))? {
            let dest = to
                .join("registry")
                .join(kind)
                .join(registry.file_name().unwrap());
            std::fs::create_dir_all(&dest)?;
            for entry in std::fs::read_dir(&registry)? {
                let entry = entry?;
                let link = dest.join(entry.file_name());
                if link.symlink_metadata().is_err() {
                    std::os::unix::fs::symlink(entry.path(), link)?;
                }
            }
        }
    }
    copy_missing(&from.join("registry/index"), &to.join("registry/index"))
}

/// evcxr names the cell's crate `ctx`: its files are `ctx-<hash>`, `libctx-<hash>.so`, ….
fn is_cell_crate(name: &str) -> bool {
    let stem = name.strip_prefix("lib").unwrap_or(name);
    stem == "ctx" || stem.starts_with("ctx-") || stem.starts_with("ctx.")
}

fn subdirectories(dir: &Path) -> io::Result<Vec<std::path::PathBuf>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Copies files of `from` that `to` lacks, recursively.
fn copy_missing(from: &Path, to: &Path) -> io::Result<()> {
    let entries = match std::fs::read_dir(from) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    std::fs::create_dir_all(to)?;
    for entry in entries {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_missing(&entry.path(), &dest)?;
        } else if dest.symlink_metadata().is_err() {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, path.to_string_lossy().as_bytes()).unwrap();
    }

    #[test]
    fn links_dependency_units_but_not_the_cell_crate() {
        let root = std::env::temp_dir().join(format!("fk-seed-test-{}", std::process::id()));
        let (shared, own) = (root.join("shared"), root.join("own"));
        for file in [
            "debug/deps/libfaultline-1.rlib",
            "debug/deps/libctx-2.so",
            "debug/.fingerprint/faultline-1/lib-faultline",
            "debug/.fingerprint/ctx-2/lib-ctx",
            "debug/build/zerocopy-3/output",
            "debug/incremental/ctx-4/s",
            "debug/.cargo-lock",
        ] {
            touch(&shared.join(file));
        }
        link_build(&shared, &own).unwrap();
        let linked = |p: &str| {
            own.join(p)
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink())
        };
        assert!(linked("debug/deps/libfaultline-1.rlib"));
        assert!(linked("debug/.fingerprint/faultline-1"));
        assert!(linked("debug/build/zerocopy-3"));
        for absent in [
            "debug/deps/libctx-2.so",
            "debug/.fingerprint/ctx-2",
            "debug/incremental",
            "debug/.cargo-lock",
        ] {
            assert!(own.join(absent).symlink_metadata().is_err(), "{absent}");
        }
        assert_eq!(
            std::fs::read_to_string(own.join("debug/.fingerprint/faultline-1/lib-faultline"))
                .unwrap(),
            shared
                .join("debug/.fingerprint/faultline-1/lib-faultline")
                .to_string_lossy()
        );
        // Seeding twice is harmless.
        link_build(&shared, &own).unwrap();
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn cargo_home_links_sources_and_copies_the_index() {
        let root = std::env::temp_dir().join(format!("fk-seed-home-{}", std::process::id()));
        let (shared, own) = (root.join("shared"), root.join("own"));
        touch(&shared.join("registry/src/idx-1/rand-0.9.0/Cargo.toml"));
        touch(&shared.join("registry/cache/idx-1/rand-0.9.0.crate"));
        touch(&shared.join("registry/index/idx-1/.cache/ra/nd/rand"));
        link_cargo_home(&shared, &own).unwrap();
        let src = own.join("registry/src/idx-1/rand-0.9.0");
        assert!(src.symlink_metadata().unwrap().file_type().is_symlink());
        assert!(src.join("Cargo.toml").is_file());
        let index = own.join("registry/index/idx-1/.cache/ra/nd/rand");
        assert!(index.symlink_metadata().unwrap().file_type().is_file());
        link_cargo_home(&shared, &own).unwrap();
        std::fs::remove_dir_all(root).unwrap();
    }
}
