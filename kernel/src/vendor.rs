//! The prelude's dependencies as sources at one fixed path, so a shared build stays fresh for
//! every user.
//!
//! Cargo's fingerprint of a registry crate records the absolute path of its sources, which lie in
//! the cargo home. Each learner on a class server has a cargo home of their own, so the
//! administrator's warm build of the prelude looks changed to every one of them — cargo would
//! rebuild it all, and cannot, since the shared build is read-only. A class install therefore
//! vendors the dependencies next to the prelude (`cargo vendor --versioned-dirs`, into
//! `vendor/` beside the prelude's directory), and every build slot patches crates.io with those
//! directories: path sources, at the same path for everyone, which cargo checks by timestamps
//! like the prelude itself. Crates a cell adds with `:dep` still come from the registry.

use std::io;
use std::path::Path;

/// The `[patch.crates-io]` section that points each crate vendored in `dir` at its directory,
/// or an empty string when there is no such directory (a developer's checkout).
pub fn patch_section(dir: &Path) -> io::Result<String> {
    if !dir.is_dir() {
        return Ok(String::new());
    }
    let mut crates = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let manifest = path.join("Cargo.toml");
        if manifest.is_file() {
            let (name, version) = package_id(&manifest)?;
            crates.push((name, version, path));
        }
    }
    crates.sort();
    let mut section = String::from("\n[patch.crates-io]\n");
    for (name, version, path) in crates {
        // One key per version: two versions of a crate need two entries naming the package.
        let key: String = format!("{name}-{version}")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = serde_json::to_string(&path.to_string_lossy()).expect("a string");
        let name = serde_json::to_string(&name).expect("a string");
        section.push_str(&format!("{key} = {{ package = {name}, path = {path} }}\n"));
    }
    Ok(section)
}

/// The name and version a vendored crate's manifest declares.
fn package_id(manifest: &Path) -> io::Result<(String, String)> {
    let invalid = |what: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {what}", manifest.display()),
        )
    };
    let text = std::fs::read_to_string(manifest)?;
    let parsed: toml::Table = text
        .parse()
        .map_err(|e| invalid(&format!("not a valid manifest ({e})")))?;
    let field = |key: &str| {
        parsed
            .get("package")
            .and_then(|p| p.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .ok_or_else(|| invalid(&format!("no package.{key}")))
    };
    Ok((field("name")?, field("version")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vendored_version_gets_its_own_patch_entry() {
        let root = std::env::temp_dir().join(format!("fk-vendor-test-{}", std::process::id()));
        let add = |dir: &str, name: &str, version: &str| {
            std::fs::create_dir_all(root.join(dir)).unwrap();
            let manifest = format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\n");
            std::fs::write(root.join(dir).join("Cargo.toml"), manifest).unwrap();
        };
        add("rand-0.8.5", "rand", "0.8.5");
        add("rand-0.9.2", "rand", "0.9.2");
        add("plotters-backend-0.3.7", "plotters-backend", "0.3.7");
        std::fs::create_dir_all(root.join("not-a-crate")).unwrap();
        let section = patch_section(&root).unwrap();
        let at = |dir: &str| format!("{:?}", root.join(dir).to_string_lossy());
        let expected = format!(
            "\n[patch.crates-io]\n\
             plotters-backend-0_3_7 = {{ package = \"plotters-backend\", path = {} }}\n\
             rand-0_8_5 = {{ package = \"rand\", path = {} }}\n\
             rand-0_9_2 = {{ package = \"rand\", path = {} }}\n",
            at("plotters-backend-0.3.7"),
            at("rand-0.8.5"),
            at("rand-0.9.2"),
        );
        assert_eq!(section, expected);
        std::fs::write(root.join("rand-0.8.5/Cargo.toml"), "[package]\nname = 1\n").unwrap();
        let error = patch_section(&root).unwrap_err().to_string();
        assert!(
            error.contains("rand-0.8.5/Cargo.toml: no package.name"),
            "{error}"
        );
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(patch_section(&root).unwrap(), "");
    }
}
