// PATCH(faultline): new module. Re-running a cell replaces what it defined.
//
// Upstream keys stored items by name, and `impl` blocks have none: a re-run impl was appended
// again (conflicting implementations), and items or variables built on a type the learner just
// changed broke later cells with errors located nowhere in the cell. Here impl blocks get keys of
// their own, generated code marks where each stored item starts so an error can be traced back
// to it, and the notices that tell the learner what was dropped are worded.

use crate::errors::CompilationError;
use ra_ap_syntax::AstNode;
use ra_ap_syntax::ast;
use ra_ap_syntax::ast::HasName;

/// The start of the comment line that precedes each stored item in generated code.
const ITEM_MARKER: &str = "// EVCXR_STORED_ITEM ";
/// The comment line after the last stored item that has a key.
const ITEMS_END: &str = "// EVCXR_STORED_ITEMS_END";

/// The key an impl block is stored under: its header (generics, trait, self type, where clause)
/// with whitespace collapsed; for an inherent impl, also the names it defines (`impl S {a,b}`),
/// since a type may have several inherent impls.
pub(crate) fn impl_key(imp: &ast::Impl) -> String {
    let text = imp.syntax().text().to_string();
    let header_end = imp.assoc_item_list().map_or(text.len(), |list| {
        usize::from(list.syntax().text_range().start() - imp.syntax().text_range().start())
    });
    let header = text[..header_end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if imp.trait_().is_some() {
        return header;
    }
    let names: Vec<String> = imp
        .assoc_item_list()
        .into_iter()
        .flat_map(|list| list.assoc_items())
        .filter_map(|item| match item {
            ast::AssocItem::Fn(f) => f.name(),
            ast::AssocItem::Const(c) => c.name(),
            ast::AssocItem::TypeAlias(t) => t.name(),
            ast::AssocItem::MacroCall(_) => None,
        })
        .map(|name| name.text().to_string())
        .collect();
    format!("{header} {{{}}}", names.join(","))
}

/// Whether the stored item `key` is an inherent impl that a new inherent impl `new_key` of the
/// same type replaces: they define a name in common (a re-run, or an edit of it).
pub(crate) fn replaces_inherent_impl(new_key: &str, key: &str) -> bool {
    let (Some((new_header, new_names)), Some((header, names))) =
        (split_inherent(new_key), split_inherent(key))
    else {
        return false;
    };
    new_header == header && (new_names == names || new_names.iter().any(|n| names.contains(n)))
}

fn split_inherent(key: &str) -> Option<(&str, Vec<&str>)> {
    let (header, names) = key.strip_suffix('}')?.rsplit_once(" {")?;
    header
        .starts_with("impl")
        .then(|| (header, names.split(',').filter(|n| !n.is_empty()).collect()))
}

/// Whether an item of this kind defines a type (or trait) that values and impls can depend on.
pub(crate) fn defines_type(item: &ast::Item) -> bool {
    matches!(
        item,
        ast::Item::Struct(_)
            | ast::Item::Enum(_)
            | ast::Item::Union(_)
            | ast::Item::Trait(_)
            | ast::Item::TypeAlias(_)
    )
}

/// Whether the type `ty` (as written) mentions the identifier `name`.
pub(crate) fn mentions(ty: &str, name: &str) -> bool {
    ty.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|word| word == name)
}

/// The type names in an impl header (`<El> for Peer` → `El`, `Peer`; the trait name too, which
/// kept values rarely mention): words that start with a capital letter.
pub(crate) fn type_words(header: &str) -> impl Iterator<Item = &str> {
    header
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with(|c: char| c.is_ascii_uppercase()))
}

pub(crate) fn item_marker(key: &str) -> String {
    format!("{ITEM_MARKER}{}", key.replace('\n', " "))
}

pub(crate) fn items_end_marker() -> &'static str {
    ITEMS_END
}

/// The key of the stored item that contains `line` (1-based) of the generated `code`.
pub(crate) fn item_at_line(code: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = code.lines().collect();
    for text in lines.get(..line)?.iter().rev() {
        if text.starts_with(ITEMS_END) {
            return None;
        }
        if let Some(key) = text.strip_prefix(ITEM_MARKER) {
            return Some(key.to_owned());
        }
    }
    None
}

/// What an evaluation dropped, worded for the learner, and the variables it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    /// The variables no longer kept.
    pub variables: Vec<String>,
}

/// The note shown when stored items no longer compile and were dropped.
pub(crate) fn dropped_items_notice(items: &[(String, &CompilationError)]) -> Notice {
    let described: Vec<String> = items
        .iter()
        .map(|(key, error)| format!("`{}` ({})", display_key(key), error.message()))
        .collect();
    let (what, cells) = if described.len() == 1 {
        ("an earlier cell's definition", "its cell")
    } else {
        ("earlier cells' definitions", "their cells")
    };
    let text = format!(
        "note: dropped {what} that no longer compiles with the new definitions: {}. \
         Re-run {cells} (fixed) to define it again.",
        described.join(", ")
    );
    Notice {
        text,
        variables: Vec::new(),
    }
}

/// The note shown when variables were dropped because their types were redefined.
pub(crate) fn dropped_variables_notice(variables: &[String]) -> Notice {
    let names: Vec<String> = variables.iter().map(|v| format!("`{v}`")).collect();
    let (noun, verb) = if names.len() == 1 {
        ("variable", "was")
    } else {
        ("variables", "were")
    };
    let text = format!(
        "note: {noun} {} {verb} dropped: {} type was redefined.",
        names.join(", "),
        if names.len() == 1 { "its" } else { "their" }
    );
    Notice {
        text,
        variables: variables.to_vec(),
    }
}

/// The note shown when an impl changed while values built with the old one are kept.
pub(crate) fn old_code_notice(key: &str, variables: &[String]) -> Notice {
    let names: Vec<String> = variables.iter().map(|v| format!("`{v}`")).collect();
    let text = format!(
        "note: `{}` changed, but {} built before keep{} the code {} built with: re-run the \
         cells that build {} to use the new one.",
        display_key(key),
        names.join(", "),
        if names.len() == 1 { "s" } else { "" },
        if names.len() == 1 { "it was" } else { "they were" },
        if names.len() == 1 { "it" } else { "them" },
    );
    Notice {
        text,
        variables: Vec::new(),
    }
}

/// The note shown when a cell moved (part of) a kept variable's value away.
pub(crate) fn moved_variable_notice(variable: &str) -> Notice {
    let text = format!(
        "note: `{variable}` is no longer kept: this cell moved its value (or part of it) away. \
         To keep it, take a copy with `.clone()` (e.g. `{variable}.clone()`) or borrow it."
    );
    Notice {
        text,
        variables: vec![variable.to_owned()],
    }
}

/// An inherent impl's key as the learner wrote its header (`impl S`), without the names.
fn display_key(key: &str) -> &str {
    split_inherent(key).map_or(key, |(header, _)| header)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ra_ap_syntax::Edition;
    use ra_ap_syntax::SourceFile;

    fn impl_of(code: &str) -> ast::Impl {
        SourceFile::parse(code, Edition::Edition2021)
            .tree()
            .syntax()
            .descendants()
            .find_map(ast::Impl::cast)
            .unwrap()
    }

    #[test]
    fn keys_of_impls() {
        assert_eq!(
            impl_key(&impl_of("impl  Node<Pb>\n for Replica2 { fn a() {} }")),
            "impl Node<Pb> for Replica2"
        );
        assert_eq!(
            impl_key(&impl_of("impl<T> S<T> { fn a() {} const B: u8 = 1; }")),
            "impl<T> S<T> {a,B}"
        );
        assert!(replaces_inherent_impl("impl S {a,c}", "impl S {a,b}"));
        assert!(!replaces_inherent_impl("impl S {c}", "impl S {a,b}"));
        assert!(!replaces_inherent_impl("impl T {a}", "impl S {a}"));
        assert!(replaces_inherent_impl("impl S {}", "impl S {}"));
        assert!(!replaces_inherent_impl("impl Tr for S", "impl Tr for S"));
    }

    #[test]
    fn finds_the_item_of_a_line() {
        let code = format!(
            "x\n{}\nstruct S;\n{}\nfn f() {{\n}}\n{}\nlet a = 1;",
            item_marker("S"),
            item_marker("impl S {f}"),
            items_end_marker()
        );
        assert_eq!(item_at_line(&code, 3).as_deref(), Some("S"));
        assert_eq!(item_at_line(&code, 6).as_deref(), Some("impl S {f}"));
        assert_eq!(item_at_line(&code, 1), None);
        assert_eq!(item_at_line(&code, 8), None);
        assert!(mentions("Vec<crate::Replica2>", "Replica2"));
        assert!(!mentions("Replica22", "Replica2"));
    }
}
