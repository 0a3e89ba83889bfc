//! Session input history for `history_request` (tail, range and search), kept in memory: a
//! notebook is its own persistent history, so the kernel only needs the current session.

use serde_json::{json, Value};

/// The current session's number in replies (the spec allows any; ranges may also say 0).
const SESSION: i64 = 1;

#[derive(Default)]
pub struct History {
    inputs: Vec<(u32, String)>,
}

impl History {
    pub fn record(&mut self, execution_count: u32, code: &str) {
        self.inputs.push((execution_count, code.to_owned()));
    }

    /// The `history` list of a reply to `request` (a history_request's content).
    pub fn query(&self, request: &Value) -> Vec<Value> {
        let with_output = request["output"].as_bool().unwrap_or(false);
        let n = request["n"].as_u64().map(|n| n as usize);
        let selected: Vec<&(u32, String)> = match request["hist_access_type"].as_str() {
            Some("tail") => tail(self.inputs.iter().collect(), n.unwrap_or(10)),
            Some("range") => {
                let session = request["session"].as_i64().unwrap_or(0);
                if session != 0 && session != SESSION {
                    Vec::new()
                } else {
                    let start = request["start"].as_u64().unwrap_or(0) as u32;
                    let stop = request["stop"].as_u64().map_or(u32::MAX, |s| s as u32);
                    self.inputs
                        .iter()
                        .filter(|(line, _)| *line >= start && *line < stop)
                        .collect()
                }
            }
            Some("search") => {
                let pattern = request["pattern"].as_str().unwrap_or("*");
                let unique = request["unique"].as_bool().unwrap_or(false);
                self.search(pattern, unique, n.unwrap_or(usize::MAX))
            }
            _ => Vec::new(),
        };
        selected
            .into_iter()
            .map(|(line, input)| {
                if with_output {
                    json!([SESSION, line, [input, null]])
                } else {
                    json!([SESSION, line, input])
                }
            })
            .collect()
    }
}

impl History {
    /// Inputs matching a glob, newest kept when `unique`. The search runs on the socket loop,
    /// so its cost is bounded: a pattern over [`MAX_PATTERN_CHARS`] finds nothing, and only the
    /// first [`SEARCHED_PREFIX_CHARS`] of each input are searched.
    fn search(&self, pattern: &str, unique: bool, n: usize) -> Vec<&(u32, String)> {
        if pattern.chars().count() > MAX_PATTERN_CHARS {
            return Vec::new();
        }
        let mut seen = std::collections::HashSet::new();
        let mut found: Vec<&(u32, String)> = Vec::new();
        for entry in self.inputs.iter().rev() {
            let searched = prefix(&entry.1, SEARCHED_PREFIX_CHARS);
            if glob_match(pattern, searched) && (!unique || seen.insert(entry.1.as_str())) {
                found.push(entry);
                if found.len() >= n {
                    break;
                }
            }
        }
        found.reverse();
        found
    }
}

/// Longest glob pattern searched for (glob matching costs pattern × text).
const MAX_PATTERN_CHARS: usize = 1_000;
/// How much of each input a search looks at.
const SEARCHED_PREFIX_CHARS: usize = 100_000;

fn prefix(text: &str, chars: usize) -> &str {
    text.char_indices()
        .nth(chars)
        .map_or(text, |(i, _)| &text[..i])
}

fn tail<T>(mut items: Vec<T>, n: usize) -> Vec<T> {
    let skip = items.len().saturating_sub(n);
    items.drain(..skip);
    items
}

/// Shell-style glob: `*` any run, `?` any one character.
fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> History {
        let mut h = History::default();
        for (i, code) in ["let a = 1;", "a + 1", "let a = 1;", "println!(\"hi\")"]
            .iter()
            .enumerate()
        {
            h.record(i as u32 + 1, code);
        }
        h
    }

    #[test]
    fn tail_range_search() {
        let h = history();
        let tail = h.query(&json!({"hist_access_type": "tail", "n": 2}));
        assert_eq!(
            tail,
            vec![
                json!([1, 3, "let a = 1;"]),
                json!([1, 4, "println!(\"hi\")"])
            ]
        );
        let range =
            h.query(&json!({"hist_access_type": "range", "session": 0, "start": 2, "stop": 4}));
        assert_eq!(range.len(), 2);
        let search =
            h.query(&json!({"hist_access_type": "search", "pattern": "let*", "unique": true}));
        assert_eq!(search, vec![json!([1, 3, "let a = 1;"])]);
        let out = h.query(&json!({"hist_access_type": "tail", "n": 1, "output": true}));
        assert_eq!(out, vec![json!([1, 4, ["println!(\"hi\")", null]])]);
    }

    /// The bounds that keep a search's cost in check, not a stopwatch: a pattern over the limit
    /// finds nothing even where it would match, and text past the searched prefix is not read.
    #[test]
    fn search_cost_is_bounded() {
        let mut h = History::default();
        let long = "a".repeat(MAX_PATTERN_CHARS + 1);
        h.record(1, &long);
        h.record(2, &format!("{}b", "a".repeat(SEARCHED_PREFIX_CHARS)));
        let search = |pattern: &str| {
            h.query(&json!({"hist_access_type": "search", "pattern": pattern}))
                .len()
        };
        assert_eq!(search(&long), 0, "over-long pattern");
        let at_limit = format!("{}*", "a".repeat(MAX_PATTERN_CHARS - 1));
        assert_eq!(search(&at_limit), 2, "at the limit it is searched");
        assert_eq!(search("*b"), 0, "the b lies past the searched prefix");
        assert_eq!(search("a*"), 2);
    }

    #[test]
    fn globs() {
        assert!(glob_match("a*c", "abbbc"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "abbc"));
        assert!(glob_match("*", ""));
    }
}
