//! `is_complete_request`: is this cell ready to run, does it need more lines, or can it never
//! parse? Decided by a small scanner over brackets, strings and comments — enough for a console
//! to know when Enter should run the cell, without a compiler round trip.

/// The verdict and, for incomplete code, the indent to continue with.
#[derive(Debug, PartialEq)]
pub enum Completeness {
    Complete,
    Incomplete(String),
    Invalid,
}

pub fn check(code: &str) -> Completeness {
    scan(code, |_, _| {})
}

/// A token outside strings and comments: a whole identifier (or keyword, or number), or one
/// other character.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Token<'a> {
    Word(&'a str),
    Punct(char),
}

/// Scans `code`, giving each token and its bracket depth (a closing bracket has the depth of
/// what follows it) to `on_token`, and tells whether the code is complete.
pub fn scan<'a>(code: &'a str, mut on_token: impl FnMut(usize, Token<'a>)) -> Completeness {
    let starts: Vec<usize> = code.char_indices().map(|(i, _)| i).collect();
    let chars: Vec<char> = code.chars().collect();
    let mut stack: Vec<char> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '/' if next == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if next == Some('*') => match skip_block_comment(&chars, i) {
                Some(end) => i = end,
                None => return incomplete(stack.len()),
            },
            '"' => match skip_string(&chars, i + 1) {
                Some(end) => i = end,
                None => return incomplete(stack.len()),
            },
            'r' | 'b' if starts_raw_string(&chars, i) => match skip_raw_string(&chars, i) {
                Some(end) => i = end,
                None => return incomplete(stack.len()),
            },
            '\'' => i = skip_char_or_lifetime(&chars, i),
            '(' | '[' | '{' => {
                on_token(stack.len(), Token::Punct(c));
                stack.push(c);
            }
            ')' | ']' | '}' => {
                let open = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if stack.pop() != Some(open) {
                    return Completeness::Invalid;
                }
                on_token(stack.len(), Token::Punct(c));
            }
            _ if is_ident_char(c) => {
                // Skip whole identifiers so that e.g. the `r` in `for` never starts a raw string.
                let start = i;
                while i + 1 < chars.len() && is_ident_char(chars[i + 1]) {
                    i += 1;
                }
                let end = starts.get(i + 1).copied().unwrap_or(code.len());
                on_token(stack.len(), Token::Word(&code[starts[start]..end]));
            }
            _ if c.is_whitespace() => {}
            _ => on_token(stack.len(), Token::Punct(c)),
        }
        i += 1;
    }
    if stack.is_empty() {
        Completeness::Complete
    } else {
        incomplete(stack.len())
    }
}

fn incomplete(depth: usize) -> Completeness {
    Completeness::Incomplete("    ".repeat(depth))
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Index of the closing `*/` (nested comments allowed), or None if unterminated.
fn skip_block_comment(chars: &[char], start: usize) -> Option<usize> {
    let mut depth = 0;
    let mut i = start;
    while i + 1 < chars.len() {
        match (chars[i], chars[i + 1]) {
            ('/', '*') => {
                depth += 1;
                i += 2;
            }
            ('*', '/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i - 1);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Index of the closing quote of a string whose body starts at `i`.
fn skip_string(chars: &[char], mut i: usize) -> Option<usize> {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn starts_raw_string(chars: &[char], i: usize) -> bool {
    if i > 0 && is_ident_char(chars[i - 1]) {
        return false;
    }
    let mut j = i;
    if chars[j] == 'b' {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return false;
    }
    j += 1;
    while chars.get(j) == Some(&'#') {
        j += 1;
    }
    chars.get(j) == Some(&'"')
}

fn skip_raw_string(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start;
    while chars[i] != '#' && chars[i] != '"' {
        i += 1;
    }
    let hashes = chars[i..].iter().take_while(|&&c| c == '#').count();
    i += hashes + 1;
    while i < chars.len() {
        if chars[i] == '"'
            && chars[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes
        {
            return Some(i + hashes);
        }
        i += 1;
    }
    None
}

/// `'a'`, `'\n'` and `'\u{1F600}'` are chars; `'a` is a lifetime. Returns the last index used.
fn skip_char_or_lifetime(chars: &[char], i: usize) -> usize {
    match chars.get(i + 1) {
        Some('\\') => chars[i + 2..]
            .iter()
            .position(|&c| c == '\'')
            .map_or(chars.len(), |p| i + 2 + p),
        Some(_) if chars.get(i + 2) == Some(&'\'') => i + 2,
        _ => i,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Completeness::*;

    #[test]
    fn verdicts() {
        assert_eq!(check("1 + 1"), Complete);
        assert_eq!(check("fn f() {"), Incomplete("    ".into()));
        assert_eq!(check("fn f() { if x {"), Incomplete("        ".into()));
        assert_eq!(check("let s = \"abc"), Incomplete(String::new()));
        assert_eq!(check("/* open"), Incomplete(String::new()));
        assert_eq!(check(")"), Invalid);
        assert_eq!(check("fn f() }"), Invalid);
        assert_eq!(check("let v = [1, 2);"), Invalid);
    }

    #[test]
    fn ignores_brackets_in_strings_comments_and_chars() {
        assert_eq!(check("let s = \"{(\";"), Complete);
        assert_eq!(check("let s = r#\"\"{\"#;"), Complete);
        assert_eq!(check("// {\nlet x = 1;"), Complete);
        assert_eq!(check("/* { /* } */ */ 1"), Complete);
        assert_eq!(check("let c = '{';"), Complete);
        assert_eq!(check("let c = '\\'';"), Complete);
        assert_eq!(check("fn f<'a>(x: &'a str) -> &'a str { x }"), Complete);
        assert_eq!(check("for r in x { }"), Complete);
    }
}
