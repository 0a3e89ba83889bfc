//! Keeping a notebook's text true to its output. Every number the prose quotes from a run is
//! asserted by a hidden *check cell* (tag `check`) right after it; the check cell calls these
//! functions with the number spelled exactly as the text spells it, so a re-run that gives a
//! different result fails the notebook instead of silently contradicting the text.
//! `tests/notebooks/test_checks.py` requires that every quoted string appears in the notebook's
//! markdown, which ties each check to the sentence it guards.

/// Panics unless `value`, rounded to the precision `quoted` is written with, is `quoted`:
/// `says("24.1", 24.07)` passes, `says("24.1", 24.2)` fails. `quoted` is the text's own words
/// around the number, and the *first* number in it counts: `"$158,300"`, `"64%"`, `"4 of the
/// 5 pongs"`, `"the p99 is 31.1 ms"` (so `value` must be in the unit the text uses, e.g.
/// percent for `"64%"`).
pub fn says(quoted: &str, value: f64) {
    let (number, decimals) = parse(quoted);
    let step = 10f64.powi(-(decimals as i32));
    let close = (value - number).abs() <= step / 2.0 + 1e-9 * number.abs().max(1.0); // NaN: false
    if !close {
        fail(quoted, value, &format!("rounds to {value:.decimals$}"));
    }
}

/// Panics unless `value` is within `relative` (e.g. 0.05 for 5%) of the number `quoted`, for
/// prose that rounds loosely ("about $116,300", "about 24 in 100").
pub fn about(quoted: &str, value: f64, relative: f64) {
    let (number, _) = parse(quoted);
    let close = (value - number).abs() <= relative * number.abs();
    if !close {
        fail(
            quoted,
            value,
            &format!("more than {}% away", relative * 100.0),
        );
    }
}

/// Panics unless `lo ≤ value ≤ hi`, for prose that quotes a range ("between 20 and 30 s"):
/// `quoted` is the range as the text writes it, so the static test can find it.
pub fn between(quoted: &str, value: f64, lo: f64, hi: f64) {
    if !(lo..=hi).contains(&value) {
        fail(quoted, value, &format!("outside [{lo}, {hi}]"));
    }
}

fn fail(quoted: &str, value: f64, why: &str) -> ! {
    panic!(
        "the notebook's text says {quoted:?}, but this run gives {value} ({why}): \
         the output changed — update the text or find what changed the result"
    )
}

/// The first number in `quoted` and how many decimals it is written with. `quoted` may be a
/// phrase ("4 of the 5 pongs", "the p99 is 31.1 ms"), so the static test can match it against
/// one sentence; digits inside a word, like the 99 of "p99", are skipped.
fn parse(quoted: &str) -> (f64, usize) {
    // A digit inside a word ("p99", "R2") is part of a name, not a number.
    let start = quoted.char_indices().find_map(|(i, c)| {
        let in_word = quoted[..i]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        (c.is_ascii_digit() && !in_word).then_some(i)
    });
    let token: String = start.map_or(String::new(), |i| {
        let digits = quoted[i..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.')
            .collect::<String>();
        let negative = quoted[..i].ends_with(['−', '-']);
        let digits = digits.trim_end_matches([',', '.']).replace(',', "");
        if negative {
            format!("-{digits}")
        } else {
            digits
        }
    });
    let number: f64 = token.parse().unwrap_or_else(|_| {
        panic!("prose check: {quoted:?} holds no number as prose writes it (e.g. \"24.1\", \"$158,300\", \"4 of 5\")")
    });
    let decimals = token.split_once('.').map_or(0, |(_, d)| d.len());
    (number, decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_rounded_as_written_passes() {
        says("24.1", 24.07);
        says("$158,300", 158_300.4);
        says("64%", 64.0);
        says("−18 ms", -18.2);
        says("4 of the 5 pongs", 4.0);
        says("seed 7 brings back 4", 7.0); // the first number counts
        says("the p99 is 31.1 ms", 31.1); // a name's digits do not
        says("about 0.68.", 0.68);
        about("116,300", 116_000.0, 0.01);
        between("20 to 30 s", 25.0, 20.0, 30.0);
    }

    #[test]
    #[should_panic(expected = "the notebook's text says \"24.1\"")]
    fn a_different_value_fails_loudly() {
        says("24.1", 24.2);
    }

    #[test]
    #[should_panic(expected = "more than 1% away")]
    fn about_has_a_limit() {
        about("116,300", 118_000.0, 0.01);
    }

    #[test]
    #[should_panic(expected = "outside")]
    fn between_has_limits() {
        between("20 to 30 s", 31.0, 20.0, 30.0);
    }

    #[test]
    #[should_panic(expected = "holds no number as prose writes it")]
    fn a_quote_that_is_no_number_is_a_clear_error() {
        says("twenty", 20.0);
    }
}
