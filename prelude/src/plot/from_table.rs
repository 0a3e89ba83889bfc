//! Plots straight from a sweep [`Table`]: each metric's mean against the swept parameter, with
//! its 95% confidence interval as a band.

use super::bar::{bar, BarChart};
use super::line::{line, XyChart};
use crate::table::Table;

/// A line chart of `metrics` from a sweep table: mean per parameter value with a 95% CI band,
/// the x axis labelled with the table's parameter. Non-numeric parameter values (e.g. `"3 of 5"`)
/// are placed in sweep order and labelled as written; numeric values from a geometric sweep
/// over a factor of 20 or more (1, 2, 5, 10, 20, 50, …) get a log x axis. An empty `metrics`
/// plots them all. Retitle with [`XyChart::title`].
///
/// ```
/// use faultline::plot;
/// use faultline::stats::Summary;
/// use faultline::table::{Row, Table};
/// let row = |x: f64, ok: &[f64]| Row {
///     label: x.to_string(), x, metric: "ok_rate".into(), summary: Summary::of(ok),
/// };
/// let t = Table { param: "loss".into(), rows: vec![row(0.0, &[1.0, 1.0]), row(0.2, &[1.0, 0.0])] };
/// let fig = plot::table(&t, &["ok_rate"]).figure();
/// assert!(fig.svg().contains("loss"));
/// // the same, as a method:
/// let fig2 = t.plot("ok_rate").figure();
/// assert_eq!(fig.svg(), fig2.svg());
/// ```
pub fn table(t: &Table, metrics: &[&str]) -> XyChart {
    let all = t.metrics();
    let metrics: Vec<&str> = if metrics.is_empty() {
        all
    } else {
        metrics.to_vec()
    };
    let title = format!("{} vs {}", metrics.join(", "), t.param);
    let y_label = if metrics.len() == 1 {
        format!("{} (mean, 95% CI)", metrics[0])
    } else {
        "mean, 95% CI".to_string()
    };
    let mut chart = line(&title).x_label(&t.param).y_label(&y_label);
    let numeric = t.rows.iter().all(|r| r.label.trim().parse::<f64>().is_ok());
    if !numeric {
        let mut ticks: Vec<(f64, String)> = Vec::new();
        for r in &t.rows {
            if !ticks.iter().any(|(x, _)| *x == r.x) {
                ticks.push((r.x, r.label.clone()));
            }
        }
        chart = chart.x_ticks(ticks);
    } else {
        let mut xs: Vec<f64> = t.rows.iter().map(|r| r.x).collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        if xs.len() >= 4 && xs[0] > 0.0 && xs[xs.len() - 1] / xs[0] >= 20.0 {
            let mut ratios: Vec<f64> = xs.windows(2).map(|w| w[1] / w[0]).collect();
            ratios.sort_by(f64::total_cmp);
            if ratios[ratios.len() / 2] >= 1.8 {
                chart = chart.log_x();
            }
        }
    }
    for m in &metrics {
        let pts: Vec<(f64, f64, f64, f64)> = t
            .metric(m)
            .filter(|r| r.summary.mean.is_finite())
            .map(|r| {
                let s = &r.summary;
                let (lo, hi) = if s.ci_low.is_finite() && s.ci_high.is_finite() {
                    (s.ci_low, s.ci_high)
                } else {
                    (s.mean, s.mean)
                };
                (r.x, s.mean, lo, hi)
            })
            .collect();
        chart = chart.series_ci(m, pts);
    }
    chart
}

/// A grouped bar chart of `metrics` from a sweep table: one group per parameter value (as
/// written, in sweep order), one bar per metric showing its mean, with the 95% CI as an error
/// bar. Best for sweeps over named alternatives (defences, strategies); an empty `metrics`
/// plots them all.
///
/// ```
/// use faultline::plot;
/// use faultline::stats::Summary;
/// use faultline::table::{Row, Table};
/// let row = |i: usize, label: &str, ok: &[f64]| Row {
///     label: label.into(), x: i as f64, metric: "accepted".into(), summary: Summary::of(ok),
/// };
/// let t = Table {
///     param: "defence".into(),
///     rows: vec![row(0, "none", &[9.0, 11.0]), row(1, "MAC + nonce", &[0.0, 0.0])],
/// };
/// let fig = t.bar("accepted").figure();
/// assert_eq!(fig.svg().matches("class=\"bar\"").count(), 2);
/// ```
pub fn table_bar(t: &Table, metrics: &[&str]) -> BarChart {
    let all = t.metrics();
    let metrics: Vec<&str> = if metrics.is_empty() {
        all
    } else {
        metrics.to_vec()
    };
    let mut labels: Vec<&str> = Vec::new();
    for r in &t.rows {
        if !labels.contains(&r.label.as_str()) {
            labels.push(&r.label);
        }
    }
    let value_label = if metrics.len() == 1 {
        format!("{} (mean, 95% CI)", metrics[0])
    } else {
        "mean, 95% CI".to_string()
    };
    let mut chart = bar(&format!("{} by {}", metrics.join(", "), t.param))
        .categories(labels.iter().copied())
        .category_label(&t.param)
        .value_label(&value_label);
    for m in &metrics {
        let vals = labels.iter().map(|l| match t.get(l, m) {
            Some(s) => (s.mean, s.ci_low, s.ci_high),
            None => (f64::NAN, f64::NAN, f64::NAN),
        });
        chart = chart.series_ci(m, vals);
    }
    chart
}

impl Table {
    /// A bar chart of one metric: mean per parameter value with its 95% CI as an error bar.
    /// See [`plot::table_bar`](crate::plot::table_bar) for several metrics at once.
    pub fn bar(&self, metric: &str) -> BarChart {
        table_bar(self, &[metric])
    }

    /// A line chart of one metric: mean per parameter value with its 95% CI band.
    /// See [`plot::table`](crate::plot::table) for several metrics at once.
    pub fn plot(&self, metric: &str) -> XyChart {
        table(self, &[metric])
    }
}
