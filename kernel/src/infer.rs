//! Types for variables that rust-analyzer cannot infer.
//!
//! evcxr stores each top-level variable under a type it asks rust-analyzer for. Without the
//! rust-src component (which we never install behind the user's back) rust-analyzer knows no
//! std types, so `let s = String::new();` fails with "Couldn't automatically determine type".
//! We then ask the compiler instead — `let _: () = s;` makes rustc name the type — and run the
//! cell again with the annotation added (`let s: String = …`). Line numbers do not change.
//! rustc names types by their short names (`NotLinearizable`); one that is not in scope is
//! spelled with the path rustc suggests importing it from (`faultline::check::NotLinearizable`).

use evcxr::{CommandContext, CompilationError, Error, EvalCallbacks, EvalOutputs};

/// Variables one cell may need typed this way (each costs a `cargo check`).
const MAX_INFERRED: usize = 8;

/// Runs a cell; when evcxr cannot type a variable, asks rustc for the type and runs the cell
/// again with that annotation. evcxr fails before compiling in that case, so nothing has run.
/// Stops retrying once `interrupted` says so.
pub fn execute(
    context: &mut CommandContext,
    code: &str,
    callbacks: &mut EvalCallbacks,
    interrupted: &dyn Fn() -> bool,
) -> Result<EvalOutputs, Error> {
    let mut cell = code.to_owned();
    let mut first_failure = None;
    for _ in 0..MAX_INFERRED {
        let result = context.execute_with_callbacks(&cell, callbacks);
        if interrupted() {
            return result;
        }
        let annotated = result.as_ref().err().and_then(|error| {
            let variable = untyped_variable(error)?;
            let errors = context.check(&probe(&cell, &variable)).ok()?;
            let mut ty = type_from_errors(&errors)?;
            let unknown = context.check(&annotate(&cell, &variable, &ty)?).ok()?;
            for name in unknown_types(&unknown).into_iter().take(MAX_INFERRED) {
                let errors = context
                    .check(&path_probe(&cell, &variable, &ty, &name))
                    .ok()?;
                let path = path_from_errors(&errors, &name)?;
                ty = spell_out(&ty, |word| (word == name).then_some(path.as_str()));
            }
            annotate(&cell, &variable, &ty)
        });
        match (annotated, result) {
            (Some(next), Err(error)) => {
                first_failure.get_or_insert(error);
                cell = next;
            }
            // evcxr only fails to type a variable in code that compiles, so a failure after
            // annotating is ours (e.g. a type rustc names but that is not in scope): report the
            // learner's original problem instead.
            (_, Err(error)) => return Err(first_failure.unwrap_or(error)),
            (_, ok) => return ok,
        }
    }
    Err(first_failure.expect("the loop only continues after a failure"))
}

/// The variable evcxr could not type, from its error.
fn untyped_variable(error: &Error) -> Option<String> {
    let Error::Message(message) = error else {
        return None;
    };
    let rest = message.strip_prefix("Couldn't automatically determine type of variable `")?;
    Some(rest.split('`').next()?.to_owned())
}

/// The cell plus a statement whose type error names `variable`'s type.
fn probe(cell: &str, variable: &str) -> String {
    format!("{cell}\n;let _: () = {variable};")
}

/// The type rustc reports in the probe's "expected `()`, found `T`" error, if nameable.
fn type_from_errors(errors: &[CompilationError]) -> Option<String> {
    errors.iter().find_map(|error| {
        error.spanned_messages().iter().find_map(|m| {
            let found = m.label.strip_prefix("expected `()`, found `")?;
            let found = found.strip_suffix('`')?;
            let named = qualify(&found.replace("{integer}", "i32").replace("{float}", "f64"));
            // Closures, opaque and anonymous types cannot be written down.
            let unnameable = named.contains('{') || named.contains("impl ") || named.contains('@');
            (!unnameable).then_some(named)
        })
    })
}

/// Adds `: ty` to the first `let [mut] variable =` in the cell that has no annotation.
fn annotate(cell: &str, variable: &str, ty: &str) -> Option<String> {
    let mut search_from = 0;
    while let Some(found) = cell[search_from..].find("let ") {
        let start = search_from + found;
        search_from = start + 4;
        if start > 0 && is_ident(cell[..start].chars().next_back()) {
            continue;
        }
        let after_let = cell[start + 4..].trim_start();
        let after_mut = after_let
            .strip_prefix("mut ")
            .map_or(after_let, str::trim_start);
        let Some(after_name) = after_mut.strip_prefix(variable) else {
            continue;
        };
        if is_ident(after_name.chars().next()) || !after_name.trim_start().starts_with('=') {
            continue;
        }
        let insert_at = cell.len() - after_name.len();
        return Some(format!(
            "{}: {ty}{}",
            &cell[..insert_at],
            &cell[insert_at..]
        ));
    }
    None
}

/// The names of the types rustc "cannot find" in the annotated cell (not in scope there).
fn unknown_types(errors: &[CompilationError]) -> Vec<String> {
    let mut names: Vec<String> = errors
        .iter()
        .filter_map(|error| {
            let message = error.message();
            let rest = message.strip_prefix("cannot find type `")?;
            Some(rest.split('`').next()?.to_owned())
        })
        .collect();
    names.dedup();
    names
}

/// The cell plus a stand-in type named `name` that `variable` is expected to have in `ty`'s
/// place: rustc then writes both types with their paths ("expected `evcxr_probe::T`, found
/// `faultline::check::T`"). The stand-in takes up to four type arguments.
fn path_probe(cell: &str, variable: &str, ty: &str, name: &str) -> String {
    let stand_in = format!("evcxr_probe::{name}");
    format!(
        "{cell}\n;mod evcxr_probe {{ pub struct {name}<A = (), B = (), C = (), D = ()>(A, B, C, D); }}\n\
         let _: {} = {variable};",
        spell_out(ty, |word| (word == name).then_some(stand_in.as_str()))
    )
}

/// The path rustc gives `name` when it tells it apart from the stand-in of [`path_probe`].
fn path_from_errors(errors: &[CompilationError], name: &str) -> Option<String> {
    let expected = format!("expected `evcxr_probe::{name}`, found `");
    let suffix = format!("::{name}");
    errors.iter().find_map(|error| {
        error.spanned_messages().iter().find_map(|m| {
            let path = m.label.split_once(&expected)?.1.split('`').next()?;
            (path.ends_with(&suffix) && !path.contains('<')).then(|| path.to_owned())
        })
    })
}

/// rustc prints std types by their short names (`HashMap<K, V>`); cells only have the std
/// prelude in scope, so spell out the common ones.
fn qualify(ty: &str) -> String {
    const PATHS: &[(&str, &str)] = &[
        ("HashMap", "std::collections::HashMap"),
        ("HashSet", "std::collections::HashSet"),
        ("BTreeMap", "std::collections::BTreeMap"),
        ("BTreeSet", "std::collections::BTreeSet"),
        ("VecDeque", "std::collections::VecDeque"),
        ("BinaryHeap", "std::collections::BinaryHeap"),
        ("Rc", "std::rc::Rc"),
        ("Arc", "std::sync::Arc"),
        ("Mutex", "std::sync::Mutex"),
        ("RefCell", "std::cell::RefCell"),
        ("Cell", "std::cell::Cell"),
        ("Duration", "std::time::Duration"),
        ("Instant", "std::time::Instant"),
    ];
    spell_out(ty, |word| {
        PATHS
            .iter()
            .find(|(short, _)| *short == word)
            .map(|(_, p)| *p)
    })
}

/// `ty` with every (path) word that `path_of` knows replaced by the path it gives.
fn spell_out<'a>(ty: &str, path_of: impl Fn(&str) -> Option<&'a str>) -> String {
    let mut out = String::new();
    let mut word = String::new();
    for c in ty.chars().chain(std::iter::once(' ')) {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
            continue;
        }
        out.push_str(path_of(&word).unwrap_or(&word));
        word.clear();
        out.push(c);
    }
    out.pop();
    out
}

fn is_ident(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_variable() {
        let error = Error::Message(
            "Couldn't automatically determine type of variable `line`.\nPlease give it an explicit type."
                .into(),
        );
        assert_eq!(untyped_variable(&error).as_deref(), Some("line"));
    }

    #[test]
    fn qualifies_std_types() {
        assert_eq!(
            qualify("HashMap<u8, Vec<Rc<String>>>"),
            "std::collections::HashMap<u8, Vec<std::rc::Rc<String>>>"
        );
        assert_eq!(qualify("MyHashMap"), "MyHashMap");
    }

    #[test]
    fn annotates_the_binding() {
        let cell = "let mut total = 0;\nlet mut line = String::new();\nlet lines = 2;";
        assert_eq!(
            annotate(cell, "line", "String").unwrap(),
            "let mut total = 0;\nlet mut line: String = String::new();\nlet lines = 2;"
        );
        assert_eq!(
            annotate("let v = vec![1];", "v", "Vec<i32>").unwrap(),
            "let v: Vec<i32> = vec![1];"
        );
        assert_eq!(annotate("let outlet = 1;", "let", "i32"), None);
        assert_eq!(annotate("let (a, b) = f();", "a", "i32"), None);
    }

    #[test]
    fn probes_for_the_path_of_a_type_out_of_scope() {
        let probe = path_probe("let e = f();", "e", "Vec<NotLin>", "NotLin");
        assert!(
            probe.ends_with("let _: Vec<evcxr_probe::NotLin> = e;"),
            "{probe}"
        );
        assert!(probe.contains("pub struct NotLin<A = ()"), "{probe}");
    }
}
