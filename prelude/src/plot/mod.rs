//! Figures: one call from data, a sweep [`Table`](crate::table::Table) or a
//! [`Trace`](crate::trace::Trace) to a readable plot that renders inline in a notebook.
//!
//! Every builder starts from a title, takes data, and renders with sensible defaults: axis labels
//! (give units in them, e.g. `"latency (ms)"`), round ticks, a legend when there is more than
//! one series, the colour-blind-safe Okabe–Ito palette with distinct marker shapes, 720×420 px.
//! A builder chain that ends a notebook cell displays itself; `.figure()` gives the rendered
//! [`Figure`], `.save("x.svg")` writes a file, `.show()` displays mid-cell.
//!
//! ```
//! use faultline::plot;
//! let no_retry = [(0.0, 1.0), (0.1, 0.81), (0.2, 0.64), (0.3, 0.49)];
//! let retry = [(0.0, 1.0), (0.1, 0.999), (0.2, 0.99), (0.3, 0.97)];
//! let fig = plot::line("Success rate vs loss")
//!     .x_label("loss probability")
//!     .y_label("requests answered (fraction)")
//!     .series("no retries", &no_retry)
//!     .series("3 retries", &retry)
//!     .figure();
//! assert!(fig.svg().contains("Success rate vs loss"));
//! ```
//!
//! | kind | builder | for |
//! |---|---|---|
//! | line, step, scatter | [`line()`], [`scatter`] → [`XyChart`] | metrics vs a parameter, with 95% CI bands or error bars; values over time |
//! | bar | [`bar`] → [`BarChart`] | grouped, horizontal, log scale (the latency ladder) |
//! | histogram | [`histogram`] → [`Histogram`] | a latency distribution with p50/p99 marked |
//! | CDF | [`cdf`] → [`Cdf`] | comparing distributions, p50/p99 marked |
//! | heat map | [`heatmap`] → [`Heatmap`] | a metric over two parameters (stale reads over R × W) |
//! | timeline | [`timeline`] → [`Timeline`] | states over time (circuit breaker, node up/down) |
//! | space-time diagram | [`spacetime`] or `trace.diagram()` → [`SpaceTime`] | one run's messages, drops, partitions, crashes |
//! | history diagram | [`history`] or `history.diagram()` → [`HistoryChart`] | client operations from invocation to completion, by outcome |
//! | sweep table | [`table`] or `table.plot("metric")` → [`XyChart`]; [`table_bar`] or `table.bar("metric")` → [`BarChart`] | mean ± 95% CI per parameter value, as a line with a band or bars with error bars |

mod axes;
mod bar;
mod cdf;
mod figure;
mod from_table;
mod heatmap;
mod histogram;
mod history;
mod line;
mod spacetime;
mod style;
mod svg;
mod timeline;

pub use axes::fmt_value;
pub use bar::{bar, BarChart};
pub use cdf::{cdf, Cdf};
pub use figure::Figure;
pub use from_table::{table, table_bar};
pub use heatmap::{heatmap, Heatmap};
pub use histogram::{histogram, Histogram};
pub use history::{history, HistoryChart};
pub use line::{line, scatter, XyChart};
/// The `plotters` crate, for [`Figure::with_plotters`]: a cell draws with it without a `:dep`
/// (which would rebuild plotters with other features).
pub use plotters;
pub use spacetime::{spacetime, SpaceTime};
pub use timeline::{timeline, Timeline};

use crate::stats::Summary;
use crate::time::Time;

/// A number a plot accepts: any primitive number, or a [`Time`] (plotted in milliseconds).
pub trait Num: Copy {
    fn to_f64(self) -> f64;
}

macro_rules! num_as {
    ($($t:ty),*) => {$(
        impl Num for $t {
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
num_as!(f64, f32, i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl Num for Time {
    /// Times plot in milliseconds.
    fn to_f64(self) -> f64 {
        self.as_ms()
    }
}

impl<T: Num> Num for &T {
    fn to_f64(self) -> f64 {
        (*self).to_f64()
    }
}

/// An `(x, y)` point a plot accepts: a tuple or a 2-array of [`Num`]s, or a reference to one.
pub trait Point {
    fn xy(&self) -> (f64, f64);
}

impl<X: Num, Y: Num> Point for (X, Y) {
    fn xy(&self) -> (f64, f64) {
        (self.0.to_f64(), self.1.to_f64())
    }
}

impl<T: Num> Point for [T; 2] {
    fn xy(&self) -> (f64, f64) {
        (self[0].to_f64(), self[1].to_f64())
    }
}

impl<P: Point> Point for &P {
    fn xy(&self) -> (f64, f64) {
        (*self).xy()
    }
}

/// A point with a confidence interval, `(x, y, low, high)`, or `(x, summary)` using the
/// summary's mean and 95% CI; or a reference to either.
pub trait PointCi {
    fn x_y_lo_hi(&self) -> (f64, f64, f64, f64);
}

impl<X: Num, Y: Num, L: Num, H: Num> PointCi for (X, Y, L, H) {
    fn x_y_lo_hi(&self) -> (f64, f64, f64, f64) {
        (
            self.0.to_f64(),
            self.1.to_f64(),
            self.2.to_f64(),
            self.3.to_f64(),
        )
    }
}

impl<X: Num> PointCi for (X, &Summary) {
    fn x_y_lo_hi(&self) -> (f64, f64, f64, f64) {
        (self.0.to_f64(), self.1.mean, self.1.ci_low, self.1.ci_high)
    }
}

impl<X: Num> PointCi for (X, Summary) {
    fn x_y_lo_hi(&self) -> (f64, f64, f64, f64) {
        (&self.0, &self.1).x_y_lo_hi()
    }
}

impl<P: PointCi> PointCi for &P {
    fn x_y_lo_hi(&self) -> (f64, f64, f64, f64) {
        (*self).x_y_lo_hi()
    }
}

/// A stable short hash, to make SVG ids (clip paths, markers) unique per figure.
pub(crate) fn id_hash(s: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{:08x}", h as u32)
}
