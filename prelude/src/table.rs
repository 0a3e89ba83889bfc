//! Experiment tables: one row per (parameter value, metric), each with a full summary.

use crate::stats::Summary;
use std::fmt;

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
