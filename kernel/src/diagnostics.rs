//! Turns evaluation failures into Jupyter errors (`ename`, `evalue`, `traceback`) that point at
//! the learner's cell lines, never at evcxr's generated code.

use evcxr::{CompilationError, Error};
use serde::Deserialize;
use std::collections::HashMap;

const RED: &str = "\x1b[1;31m";
const BLUE: &str = "\x1b[1;34m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// A failed cell as Jupyter reports it.
#[derive(Debug)]
pub struct Failure {
    pub ename: String,
    pub evalue: String,
    pub traceback: Vec<String>,
}

impl Failure {
    pub fn new(ename: &str, evalue: impl Into<String>) -> Failure {
        let evalue = evalue.into();
        Failure {
            ename: ename.to_owned(),
            traceback: vec![format!("{RED}{ename}{RESET}: {evalue}")],
            evalue,
        }
    }
}

/// Any evcxr error. Compile errors get rustc-style snippets of the cell.
pub fn from_evcxr(error: &Error, cell: &str) -> Failure {
    match error {
        Error::CompilationErrors(errors) if !errors.is_empty() => compile_errors(errors, cell),
        Error::SubprocessTerminated(why) => Failure::new(
            "ProcessCrashed",
            format!(
                "the evaluation process died ({}); it was restarted, so all variables were lost",
                why.trim()
            ),
        ),
        other => Failure::new("EvaluationError", other.to_string().trim()),
    }
}

/// Adds, for each variable the compiler "cannot find" that an earlier cell dropped, the note
/// that said why (`dropped`: variable → note).
pub fn recall_dropped(
    mut failure: Failure,
    error: &Error,
    dropped: &HashMap<String, String>,
) -> Failure {
    let Error::CompilationErrors(errors) = error else {
        return failure;
    };
    let mut recalled: Vec<&str> = Vec::new();
    for error in errors {
        let message = error.message();
        let name = message
            .strip_prefix("cannot find value `")
            .and_then(|rest| rest.split('`').next());
        if let Some(note) = name.and_then(|name| dropped.get(name)) {
            if !recalled.contains(&note.as_str()) {
                recalled.push(note);
            }
        }
    }
    for note in recalled {
        let note = note.strip_prefix("note: ").unwrap_or(note);
        failure
            .traceback
            .push(format!("{BOLD}an earlier cell dropped it{RESET}: {note}"));
    }
    failure
}

fn compile_errors(errors: &[CompilationError], cell: &str) -> Failure {
    let lines: Vec<&str> = cell.lines().collect();
    let mut traceback = Vec::new();
    for error in errors {
        if !error.is_from_user_code() {
            traceback.push(error.rendered());
            continue;
        }
        let code = error.code().map(|c| format!("[{c}]")).unwrap_or_default();
        let mut text = format!(
            "{RED}{}{code}{RESET}{BOLD}: {}{RESET}\n",
            error.level(),
            error.message()
        );
        for spanned in error.spanned_messages() {
            match &spanned.span {
                Some(span) => text.push_str(&snippet(
                    &lines,
                    (span.start_line, span.start_column),
                    (span.end_line, span.end_column),
                    &spanned.label,
                )),
                None if !spanned.label.is_empty() => {
                    text.push_str(&format!("  = {}\n", spanned.label))
                }
                None => {}
            }
        }
        for help in error.help() {
            // rustc's suggestion (e.g. a `use` line) follows the help text after a blank line.
            let mut lines = help.lines().filter(|l| !l.trim().is_empty());
            let first = lines.next().unwrap_or_default();
            text.push_str(&format!("  = {BOLD}help{RESET}: {first}\n"));
            for suggestion in lines {
                text.push_str(&format!("      {suggestion}\n"));
            }
        }
        traceback.push(text);
    }
    let first = &errors[0];
    let evalue = match first.primary_spanned_message().and_then(|m| m.span) {
        Some(span) => format!("{} (cell line {})", first.message(), span.start_line),
        None => first.message(),
    };
    Failure {
        ename: "CompilationError".into(),
        evalue,
        traceback,
    }
}

/// ` --> cell line 2:14`, the source line and a caret underline with the label.
/// `start` and `end` are 1-based (line, column) in the cell.
fn snippet(lines: &[&str], start: (usize, usize), end: (usize, usize), label: &str) -> String {
    let number = start.0.to_string();
    let pad = " ".repeat(number.len());
    let source = lines.get(start.0.wrapping_sub(1)).copied().unwrap_or("");
    let indent = start.1.saturating_sub(1);
    let width = if end.0 == start.0 {
        end.1.saturating_sub(start.1).max(1)
    } else {
        source.chars().count().saturating_sub(indent).max(1)
    };
    format!(
        "{pad}{BLUE}-->{RESET} cell line {}:{}\n{pad} {BLUE}|{RESET}\n{BLUE}{number} |{RESET} {source}\n{pad} {BLUE}|{RESET} {}{RED}{} {label}{RESET}\n",
        start.0,
        start.1,
        " ".repeat(indent),
        "^".repeat(width),
    )
}

/// What our panic hook in the child reports (see `evaluator::PANIC_HOOK`).
#[derive(Deserialize)]
struct PanicReport {
    message: String,
    file: String,
    line: usize,
}

impl PanicReport {
    /// Our panic hook's JSON; anything else is kept as the message. Empty: the panic was seen
    /// (evcxr caught it) but the hook did not report it.
    fn parse(report: &str) -> PanicReport {
        let message = if report.is_empty() {
            "the cell panicked".to_owned()
        } else {
            report.to_owned()
        };
        serde_json::from_str(report).unwrap_or(PanicReport {
            message,
            file: String::new(),
            line: 0,
        })
    }
}

/// The cell was interrupted while it ran.
pub fn interrupted() -> Failure {
    Failure::new(
        "Interrupted",
        "the cell was stopped. Its process had to be restarted, so every variable was lost; \
         the prelude, `use` items, functions and types are kept. Re-run the cells that define \
         the variables you need.",
    )
}

/// The cell was interrupted while it compiled: nothing ran.
pub fn interrupted_compile() -> Failure {
    Failure::new(
        "Interrupted",
        "the cell was stopped while it compiled (its variables' types were being inferred, or \
         it was being built), so none of it ran; every variable is kept.",
    )
}

/// A panic the cell's code caught (or one from a thread that outlived its cell), as the text
/// Rust itself would print on stderr.
pub fn caught_panic(report: &str) -> String {
    let report = PanicReport::parse(report);
    if report.file.is_empty() {
        return format!("a thread panicked: {}\n", report.message);
    }
    format!(
        "a thread panicked at {}:{}:\n{}\n",
        report.file, report.line, report.message
    )
}

/// A panic, located in the cell when it happened in the cell's code. `generated` is the source
/// evcxr compiled for the cell, whose line numbers the hook reports. `crashed`: the process
/// died with it (a second panic while unwinding aborts), which loses every variable.
pub fn panic(report: &str, cell: &str, generated: Option<&str>, crashed: bool) -> Failure {
    let report = PanicReport::parse(report);
    // evcxr's generated crate is `src/lib.rs` relative to the build workspace.
    let generated_file = report.file.ends_with("src/lib.rs") && !report.file.starts_with('/');
    let cell_line = generated_file
        .then(|| generated?.lines().nth(report.line.checked_sub(1)?))
        .flatten()
        .and_then(|text| {
            let text = text.trim();
            cell.lines()
                .position(|l| !text.is_empty() && l.trim() == text)
        });
    let location = match cell_line {
        Some(i) => format!(
            "cell line {}\n{BLUE}{} |{RESET} {}",
            i + 1,
            i + 1,
            cell.lines().nth(i).unwrap_or_default()
        ),
        None if generated_file || report.file.is_empty() => "this cell".into(),
        None => format!("{}:{}", report.file, report.line),
    };
    Failure {
        ename: "panic".into(),
        evalue: report.message.clone(),
        traceback: vec![
            format!("{RED}panicked{RESET} at {location}"),
            format!("{BOLD}{}{RESET}", report.message),
            if crashed {
                "Then the process aborted (a panic while unwinding, e.g. in a `Drop`): it was \
                 restarted, and every variable was lost."
                    .into()
            } else {
                "Variables this cell defined were not kept; earlier variables are unchanged.".into()
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_points_at_cell_line() {
        let generated = "fn x() {\nlet v = 1;\n    assert!(v > 2, \"too small\");\n}";
        let cell = "let v = 1;\nassert!(v > 2, \"too small\");";
        let report = r#"{"message":"too small","file":"crate/src/lib.rs","line":3}"#;
        let failure = panic(report, cell, Some(generated), false);
        assert_eq!(failure.ename, "panic");
        assert_eq!(failure.evalue, "too small");
        assert!(
            failure.traceback[0].contains("cell line 2"),
            "{:?}",
            failure.traceback
        );
    }

    #[test]
    fn panic_outside_cell_names_file() {
        let report = r#"{"message":"boom","file":"/p/src/sim.rs","line":9}"#;
        let failure = panic(report, "run()", None, false);
        assert!(failure.traceback[0].contains("/p/src/sim.rs:9"));
    }
}
