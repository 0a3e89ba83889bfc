//! How many top-level variables a session keeps.
//!
//! evcxr keeps each top-level `let` of a cell alive for later cells: every later cell's code
//! loads, checks and stores all of them, in one function. rustc's time for that function grows
//! faster than linearly with their number (1,000 variables add about 3.5 s to every cell, 2,000
//! about 16 s; see `bench/lets.py`), so a cell that would take the session past
//! [`MAX_VARIABLES`] is refused before anything is analysed or compiled.

use crate::diagnostics::Failure;
use crate::is_complete::{scan, Token};
use std::collections::HashSet;

/// Top-level variables a session may keep.
pub const MAX_VARIABLES: usize = 1000;

/// Refuses `code` when its top-level `let`s would take the session past [`MAX_VARIABLES`];
/// `kept` names the variables the session already has.
pub fn check<'a>(code: &str, kept: impl Iterator<Item = &'a str>) -> Result<(), Failure> {
    let kept: HashSet<&str> = kept.collect();
    let new = new_variables(code, &kept);
    if kept.len() + new <= MAX_VARIABLES {
        return Ok(());
    }
    Err(Failure::new(
        "TooManyVariables",
        format!(
            "this cell defines {new} top-level variables; with the {} this session already \
             keeps that is {}, and the kernel keeps at most {MAX_VARIABLES} (every later cell \
             would have to load and store them all, which makes each one compile slowly). \
             Nothing ran. Put them in a block `{{ … }}` (only what the block returns is kept), \
             or keep the values in a Vec or an array.",
            kept.len(),
            kept.len() + new,
        ),
    ))
}

/// How many variables the top-level `let` statements of `code` add to those `kept`. A pattern
/// (`let (a, b) = …`) counts as one; a name the session already has counts as none.
fn new_variables(code: &str, kept: &HashSet<&str>) -> usize {
    let mut names = HashSet::new();
    let mut patterns = 0;
    // The top-level token before the current one, and whether a `let` (and `mut`) just started.
    let mut previous: Option<Token> = None;
    let mut after_let = false;
    scan(code, |depth, token| {
        if depth > 0 {
            return;
        }
        if after_let {
            match token {
                Token::Word("mut") => return,
                Token::Word(name) => {
                    names.insert(name);
                }
                Token::Punct(_) => patterns += 1,
            }
            after_let = false;
        }
        let starts_statement = matches!(previous, None | Some(Token::Punct(';' | '}')));
        after_let = starts_statement && token == Token::Word("let");
        previous = Some(token);
    });
    names.iter().filter(|name| !kept.contains(*name)).count() + patterns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(code: &str, kept: &[&str]) -> usize {
        new_variables(code, &kept.iter().copied().collect())
    }

    #[test]
    fn counts_top_level_lets_only() {
        assert_eq!(
            count("let a = 1; let mut b = a;\nlet (c, d) = (1, 2);", &[]),
            3
        );
        assert_eq!(count("{ let a = 1; let b = 2; }", &[]), 0);
        assert_eq!(count("fn f() { let a = 1; } let b = 2;", &[]), 1);
        assert_eq!(
            count("if let Some(x) = y { } while let Some(z) = w {}", &[]),
            0
        );
        assert_eq!(count("let s = \"let t = 1;\"; // let u = 2;", &[]), 1);
        assert_eq!(count("let a = 1; let a = 2;", &[]), 1);
        assert_eq!(count("let a = 1; let b = 2;", &["a"]), 1);
    }

    #[test]
    fn refuses_too_many_with_the_numbers() {
        let many: String = (0..=MAX_VARIABLES)
            .map(|i| format!("let v{i} = {i};\n"))
            .collect();
        let failure = check(&many, ["kept"].into_iter()).unwrap_err();
        assert_eq!(failure.ename, "TooManyVariables");
        assert!(
            failure.evalue.starts_with(&format!(
                "this cell defines {} top-level variables; with the 1 this session already keeps \
                 that is {}, and the kernel keeps at most {MAX_VARIABLES}",
                MAX_VARIABLES + 1,
                MAX_VARIABLES + 2
            )),
            "{}",
            failure.evalue
        );
        let fits: String = (0..MAX_VARIABLES)
            .map(|i| format!("let v{i} = {i};\n"))
            .collect();
        assert!(check(&fits, std::iter::empty()).is_ok());
        assert!(check(&format!("{{ {many} }}"), std::iter::empty()).is_ok());
    }
}
