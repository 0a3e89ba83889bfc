//! Experiment tables: one row per (parameter value, metric), each with a full summary.

use crate::display::{show_bundle, write_evcxr, MimeBundle, Rich};
use crate::number::fmt_value;
use crate::stats::Summary;
use std::fmt::{self, Write as _};
use std::io;

/// One summarised metric at one parameter value.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The parameter value as written (e.g. `0.05`, `"3 of 5"`).
    pub label: String,
    /// The parameter value as a number for plotting: the value itself when it is numeric,
    /// otherwise its position in the sweep (0, 1, 2, …).
    pub x: f64,
    pub metric: String,
    pub summary: Summary,
}

/// The result of a sweep: rows in sweep order, metrics in the order the experiment named them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// The swept parameter's name, used as the x-axis label.
    pub param: String,
    pub rows: Vec<Row>,
}

impl Table {
    /// Metric names, in first-seen order.
    pub fn metrics(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for r in &self.rows {
            if !seen.contains(&r.metric.as_str()) {
                seen.push(&r.metric);
            }
        }
        seen
    }

    /// The rows of one metric, in sweep order.
    pub fn metric<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Row> + 'a {
        self.rows.iter().filter(move |r| r.metric == name)
    }

    /// The summary of `metric` at the parameter value labelled `label`.
    pub fn get(&self, label: &str, metric: &str) -> Option<&Summary> {
        self.rows
            .iter()
            .find(|r| r.label == label && r.metric == metric)
            .map(|r| &r.summary)
    }

    /// Mean of `metric` at each parameter value, as `(x, mean)` points.
    pub fn means(&self, metric: &str) -> Vec<(f64, f64)> {
        self.metric(metric).map(|r| (r.x, r.summary.mean)).collect()
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>12} {:>16} {:>7} {:>10} {:>23} {:>10} {:>10}",
            self.param, "metric", "n", "mean", "95% CI", "p50", "p99"
        )?;
        for r in &self.rows {
            let s = &r.summary;
            writeln!(
                f,
                "{:>12} {:>16} {:>7} {:>10.4} {:>23} {:>10.4} {:>10.4}",
                r.label,
                r.metric,
                s.n,
                s.mean,
                format!("[{:.4}, {:.4}]", s.ci_low, s.ci_high),
                s.p50,
                s.p99
            )?;
        }
        Ok(())
    }
}

/// Escapes text for HTML.
fn html_esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn cell(v: f64) -> String {
    if v.is_nan() {
        "–".into()
    } else {
        fmt_value(v)
    }
}

impl Table {
    /// The table as an HTML `<table>`: one row per parameter value and metric, with n, mean,
    /// 95% CI, p50 and p99.
    pub fn to_html(&self) -> String {
        let mut h = String::from("<table class=\"faultline-table\">\n<thead><tr>");
        for head in [
            self.param.as_str(),
            "metric",
            "n",
            "mean",
            "95% CI",
            "p50",
            "p99",
        ] {
            let _ = write!(h, "<th>{}</th>", html_esc(head));
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for r in &self.rows {
            let s = &r.summary;
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>[{}, {}]</td><td>{}</td><td>{}</td></tr>",
                html_esc(&r.label),
                html_esc(&r.metric),
                s.n,
                cell(s.mean),
                cell(s.ci_low),
                cell(s.ci_high),
                cell(s.p50),
                cell(s.p99)
            );
        }
        h.push_str("</tbody>\n</table>\n");
        h
    }

    /// The table's representations: HTML and plain text.
    pub fn mime_bundle(&self) -> MimeBundle {
        vec![
            ("text/html", self.to_html()),
            ("text/plain", self.to_string()),
        ]
    }

    /// Shows the table inline (evcxr's display convention).
    pub fn evcxr_display(&self) {
        let _ = write_evcxr(&mut io::stdout().lock(), &self.mime_bundle());
    }

    /// Shows the table now, mid-cell (several outputs per cell under Faultline's kernel).
    pub fn show(&self) {
        show_bundle(&self.mime_bundle());
    }
}

impl Rich for Table {
    fn mime_bundle(&self) -> MimeBundle {
        Table::mime_bundle(self)
    }
}
