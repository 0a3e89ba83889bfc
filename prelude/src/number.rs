//! Numbers as people read them: what plots, tables and text summaries print.

/// Formats a value for annotations and summaries: about three significant figures.
pub fn fmt_value(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    // Float noise around zero (e.g. a CI bound of 6.9e-18) reads as zero.
    if v.abs() < 1e-12 {
        return "0".into();
    }
    let a = v.abs();
    for (div, suffix) in [(1e9, "G"), (1e6, "M"), (1e4, "k")] {
        if a >= div {
            let div = if suffix == "k" { 1e3 } else { div };
            return format!("{}{suffix}", fmt_value(v / div));
        }
    }
    if a >= 100.0 {
        return format!("{v:.0}");
    }
    if a < 1e-3 {
        return format!("{v:.2e}");
    }
    let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}
