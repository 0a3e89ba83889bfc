//! `use faultline::prelude::*;` stays small: at most 80 names, each re-exported explicitly (no
//! globs that would grow it unseen).

/// The names the prelude's `pub use` items bring into scope, read from `src/lib.rs`.
fn prelude_names() -> Vec<String> {
    let source = include_str!("../src/lib.rs");
    let start = source
        .find("pub mod prelude {")
        .expect("lib.rs has `pub mod prelude {`");
    let body = &source[start + "pub mod prelude {".len()..];
    let end = body.find("\n}").expect("the prelude module ends");
    let mut names = Vec::new();
    for item in body[..end].split(';') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let tree = item
            .strip_prefix("pub use ")
            .unwrap_or_else(|| panic!("only `pub use` items belong in the prelude: {item:?}"));
        leaves(tree, &mut names);
    }
    names
}

/// Appends the names a use tree binds (`a::{b, c as d, self}` → `c`… ; `x as _` binds none).
fn leaves(tree: &str, names: &mut Vec<String>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let prefix = tree[..open].trim_end_matches("::");
        let inner = &tree[open + 1..tree.rfind('}').expect("balanced braces")];
        let mut depth = 0;
        let mut from = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    leaf_in(prefix, &inner[from..i], names);
                    from = i + 1;
                }
                _ => {}
            }
        }
        leaf_in(prefix, &inner[from..], names);
        return;
    }
    assert!(!tree.ends_with('*'), "no globs in the prelude: {tree}");
    let name = match tree.split_once(" as ") {
        Some((_, alias)) => alias.trim(),
        None => tree.rsplit("::").next().unwrap(),
    };
    if name != "_" {
        names.push(name.to_owned());
    }
}

fn leaf_in(prefix: &str, part: &str, names: &mut Vec<String>) {
    let part = part.trim();
    if part.is_empty() {
        return;
    }
    if part == "self" {
        names.push(prefix.rsplit("::").next().unwrap().to_owned());
    } else {
        leaves(part, names);
    }
}

#[test]
fn the_prelude_brings_at_most_80_names() {
    let names = prelude_names();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "a name re-exported twice");
    assert!(names.len() >= 40, "the parser lost names: {names:?}");
    println!("the prelude brings {} names", names.len());
    assert!(
        names.len() <= 80,
        "`use faultline::prelude::*` brings {} names (at most 80): {names:?}",
        names.len()
    );
}

#[test]
fn the_parser_counts_what_a_glob_binds() {
    let mut names = Vec::new();
    leaves("crate::a::{b, c as d, e::{self, f}, g as _}", &mut names);
    leaves("crate::plot::{self, Figure}", &mut names);
    leaves("rand::Rng as _", &mut names);
    assert_eq!(names, ["b", "d", "e", "f", "plot", "Figure"]);
}
