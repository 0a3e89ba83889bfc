//! Rich output in notebooks, plain output elsewhere: figures, tables and live progress.
//!
//! Two conventions, chosen at run time:
//!
//! - **evcxr's** (any Rust kernel built on evcxr, and ours): a value whose type has
//!   `pub fn evcxr_display(&self)` is shown by printing blocks
//!   `EVCXR_BEGIN_CONTENT <mime>` … `EVCXR_END_CONTENT` on stdout. Figures and every figure
//!   builder ([`crate::plot`]), [`Table`](crate::table::Table) (HTML), and traces and histories (as their diagrams)
//!   do this, so the last expression of a cell renders inline.
//! - **Faultline's kernel** sets `FAULTLINE_KERNEL=1` and understands one stdout line per
//!   display action, which is how a cell shows several figures ([`Figure::show`]) and a bar
//!   that updates in place ([`Progress`]):
//!
//! ```text
//! FAULTLINE_DISPLAY {"op":"display"|"update"|"clear","data":{"<mime>":"<content>",…},"metadata":{},"display_id":"<id>"|null,"wait":false}
//! ```
//!
//! Without that variable, [`Figure::show`] falls back to evcxr blocks and [`Progress`] prints a
//! plain, rate-limited line to stderr, so the same code works in a terminal, in `cargo run`,
//! and in other kernels.
//!
//! Figures carry `image/svg+xml` and a `text/plain` summary, and no `image/png`: rasterising
//! in the prelude (resvg with an embedded font) measured +20 s CPU on a clean debug build and
//! +46 s on a release build, against +3.5 s and +7 s for all of plotting, and adds a ~750 KB font.
//! SVG is enough where it matters: outputs made live always render, notebooks are committed
//! without outputs, and a stored notebook the user saved is trusted; elsewhere the text summary
//! shows. The kernel could add PNG on its side if stored outputs ever need it.
//!
//! [`Figure::show`]: crate::plot::Figure::show

use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The prefix of a display line for Faultline's kernel.
pub(crate) const MARKER: &str = "FAULTLINE_DISPLAY ";

/// The environment variable Faultline's kernel sets (to `1`) in the process running cells.
pub(crate) const KERNEL_ENV: &str = "FAULTLINE_KERNEL";

/// Whether we run under Faultline's kernel (`FAULTLINE_KERNEL=1`).
pub(crate) fn in_kernel() -> bool {
    std::env::var_os(KERNEL_ENV).is_some_and(|v| v == "1")
}

/// One output in several representations, richest first: `(mime type, content)`.
pub type MimeBundle = Vec<(&'static str, String)>;

/// What a display line asks the kernel to do.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum DisplayOp {
    /// Show a new output (Jupyter `display_data`).
    Display,
    /// Replace the output shown earlier under the same display id (`update_display_data`).
    Update,
    /// Clear the cell's output (`clear_output`).
    Clear,
}

impl DisplayOp {
    fn as_str(self) -> &'static str {
        match self {
            DisplayOp::Display => "display",
            DisplayOp::Update => "update",
            DisplayOp::Clear => "clear",
        }
    }
}

/// Writes `bundle` as evcxr content blocks.
pub fn write_evcxr(out: &mut dyn Write, bundle: &[(&str, String)]) -> io::Result<()> {
    for (mime, content) in bundle {
        writeln!(out, "EVCXR_BEGIN_CONTENT {mime}")?;
        out.write_all(content.as_bytes())?;
        if !content.ends_with('\n') {
            out.write_all(b"\n")?;
        }
        writeln!(out, "EVCXR_END_CONTENT")?;
    }
    out.flush()
}

/// The one-line JSON message for Faultline's kernel, without the trailing newline.
pub(crate) fn marker_line(
    op: DisplayOp,
    bundle: &[(&str, String)],
    display_id: Option<&str>,
    wait: bool,
) -> String {
    let data: serde_json::Map<String, serde_json::Value> = bundle
        .iter()
        .map(|(mime, content)| (mime.to_string(), content.as_str().into()))
        .collect();
    let message = serde_json::json!({
        "op": op.as_str(),
        "data": data,
        "metadata": {},
        "display_id": display_id,
        "wait": wait,
    });
    format!("{MARKER}{message}")
}

/// Writes one display line for Faultline's kernel.
pub(crate) fn write_marker(
    out: &mut dyn Write,
    op: DisplayOp,
    bundle: &[(&str, String)],
    display_id: Option<&str>,
    wait: bool,
) -> io::Result<()> {
    writeln!(out, "{}", marker_line(op, bundle, display_id, wait))?;
    out.flush()
}

/// Shows `bundle` now, mid-cell: a display line under Faultline's kernel, evcxr blocks elsewhere.
pub fn show_bundle(bundle: &[(&str, String)]) {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let _ = if in_kernel() {
        write_marker(&mut out, DisplayOp::Display, bundle, None, false)
    } else {
        write_evcxr(&mut out, bundle)
    };
}

/// Clears the cell's output (under Faultline's kernel; elsewhere does nothing). With `wait`, the
/// clearing happens when the next output arrives, which avoids flicker in animations.
pub fn clear_output(wait: bool) {
    if in_kernel() {
        let _ = write_marker(&mut io::stdout().lock(), DisplayOp::Clear, &[], None, wait);
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A fresh display id, unique across the notebook.
///
/// A counter alone is not enough: evcxr links this crate into every cell's library, so each
/// cell has its own copy of the counter, and Jupyter applies an update to every output with the
/// id — a second sweep would redraw the first one's bar. The wall clock tells the cells apart.
pub(crate) fn new_display_id(kind: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "faultline-{kind}-{}-{nanos:x}-{}",
        std::process::id(),
        NEXT_ID.fetch_add(1, Ordering::Relaxed)
    )
}

/// Anything with rich representations: figures, figure builders, tables.
pub trait Rich {
    /// The representations, richest first.
    fn mime_bundle(&self) -> MimeBundle;
}

/// Text, for a closure that answers in words (see [`crate::ui::interact`]).
impl Rich for String {
    fn mime_bundle(&self) -> MimeBundle {
        vec![("text/plain", self.clone())]
    }
}

/// An output that can be replaced in place: the first [`Live::show`] displays, later ones
/// update (a figure redrawn as a sweep runs). Outside Faultline's kernel every call shows a
/// new output.
///
/// ```
/// use faultline::display::Live;
/// use faultline::plot;
/// let mut live = Live::new();
/// let mut pts = Vec::new();
/// for n in 0..3 {
///     pts.push((n, n * n));
///     live.show(&plot::line("Growing").series("n²", &pts));
/// }
/// ```
#[derive(Debug)]
pub struct Live {
    id: String,
    shown: bool,
}

impl Default for Live {
    fn default() -> Self {
        Live::new()
    }
}

impl Live {
    pub fn new() -> Live {
        Live {
            id: new_display_id("live"),
            shown: false,
        }
    }

    /// Shows `item`, replacing what this handle showed before.
    pub fn show(&mut self, item: &impl Rich) {
        let bundle = &item.mime_bundle();
        let stdout = io::stdout();
        let mut out = stdout.lock();
        let _ = if in_kernel() {
            let op = if self.shown {
                DisplayOp::Update
            } else {
                DisplayOp::Display
            };
            write_marker(&mut out, op, bundle, Some(&self.id), false)
        } else {
            write_evcxr(&mut out, bundle)
        };
        self.shown = true;
    }
}

/// A progress bar for long runs: in place in the notebook under Faultline's kernel, a plain
/// line on stderr elsewhere (at most one a second).
///
/// ```
/// use faultline::display::Progress;
/// let mut p = Progress::new("sweep loss", 20);
/// for i in 1..=20 {
///     // ... run one trial ...
///     p.set(i);
/// }
/// p.finish();
/// ```
pub struct Progress {
    label: String,
    total: u64,
    done: u64,
    kernel: bool,
    out: Box<dyn Write + Send>,
    min_interval: Duration,
    started: Instant,
    last_render: Option<Instant>,
    id: String,
    shown: bool,
    /// What was last drawn: an identical redraw is skipped.
    last_text: Option<String>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("label", &self.label)
            .field("done", &self.done)
            .field("total", &self.total)
            .finish()
    }
}

impl Progress {
    /// A bar for `total` steps, writing to stdout (kernel) or stderr (elsewhere).
    pub fn new(label: &str, total: u64) -> Progress {
        let kernel = in_kernel();
        let (out, interval): (Box<dyn Write + Send>, _) = if kernel {
            (Box::new(io::stdout()), Duration::from_millis(200))
        } else {
            (Box::new(io::stderr()), Duration::from_secs(1))
        };
        Progress::to_writer(label, total, kernel, out, interval)
    }

    /// A bar writing to `out`, in kernel (`kernel = true`) or plain form, redrawing at most once
    /// per `min_interval`. For tests and for programs that log progress elsewhere.
    pub fn to_writer(
        label: &str,
        total: u64,
        kernel: bool,
        out: Box<dyn Write + Send>,
        min_interval: Duration,
    ) -> Progress {
        let mut p = Progress {
            label: label.to_string(),
            total,
            done: 0,
            kernel,
            out,
            min_interval,
            started: Instant::now(),
            last_render: None,
            id: new_display_id("progress"),
            shown: false,
            last_text: None,
        };
        if kernel {
            p.render(false);
        }
        p
    }

    /// The display id the kernel-mode bar updates.
    pub fn display_id(&self) -> &str {
        &self.id
    }

    /// Records that `done` of `total` steps are complete. Cheap: it redraws only when the
    /// last redraw is older than the minimum interval.
    pub fn set(&mut self, done: u64) {
        self.done = done.min(self.total);
        let now = Instant::now();
        let due = match self.last_render {
            Some(t) => now.duration_since(t) >= self.min_interval,
            // Plain lines start only once a run has lasted the interval: quick runs stay quiet.
            None => self.kernel || now.duration_since(self.started) >= self.min_interval,
        };
        if due {
            self.render(false);
        }
    }

    /// Marks the run complete and draws the final state.
    pub fn finish(mut self) {
        self.done = self.total;
        let long = self.started.elapsed() >= self.min_interval;
        if self.kernel || self.last_render.is_some() || long {
            self.render(true);
        }
    }

    /// The plain-text form of the bar.
    fn text(&self, finished: bool) -> String {
        const CELLS: u64 = 24;
        let frac = if self.total == 0 {
            1.0
        } else {
            self.done as f64 / self.total as f64
        };
        let filled = ((frac * CELLS as f64).round() as u64).min(CELLS);
        let bar: String = (0..CELLS)
            .map(|i| if i < filled { '█' } else { '░' })
            .collect();
        let mut s = format!(
            "{}  [{bar}]  {}/{}  {:.0}%",
            self.label,
            self.done,
            self.total,
            frac * 100.0
        );
        let el = self.started.elapsed().as_secs_f64();
        if finished {
            if el >= 1.0 {
                let _ = write!(s, "  done in {el:.1} s");
            }
        } else if el >= 1.0 {
            let _ = write!(s, "  {el:.1} s");
            if frac > 0.0 {
                let _ = write!(s, ", ~{:.0} s left", el / frac - el);
            }
        }
        s
    }

    fn render(&mut self, finished: bool) {
        let text = self.text(finished);
        if self.last_text.as_deref() == Some(text.as_str()) {
            return;
        }
        self.last_text = Some(text.clone());
        let _ = if self.kernel {
            let op = if self.shown {
                DisplayOp::Update
            } else {
                DisplayOp::Display
            };
            write_marker(
                &mut self.out,
                op,
                &[("text/plain", text)],
                Some(&self.id),
                false,
            )
        } else {
            writeln!(self.out, "{text}").and_then(|_| self.out.flush())
        };
        self.shown = true;
        self.last_render = Some(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bundle_is_written_as_evcxr_blocks_or_one_display_line() {
        let bundle: MimeBundle = vec![
            ("image/svg+xml", "<svg>\n</svg>".to_string()),
            ("text/plain", "Line chart “Saved”".to_string()),
        ];
        let mut out = Vec::new();
        write_evcxr(&mut out, &bundle).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with("EVCXR_BEGIN_CONTENT image/svg+xml\n<svg>"));
        assert!(
            out.contains("EVCXR_END_CONTENT\nEVCXR_BEGIN_CONTENT text/plain\nLine chart “Saved”")
        );
        assert!(out.ends_with("EVCXR_END_CONTENT\n"));

        let line = marker_line(DisplayOp::Display, &bundle, None, false);
        assert!(!line.contains('\n'), "one line");
        let v: serde_json::Value =
            serde_json::from_str(line.strip_prefix(MARKER).unwrap()).unwrap();
        assert_eq!(v["op"], "display");
        assert_eq!(v["data"]["image/svg+xml"], "<svg>\n</svg>");
        assert_eq!(v["display_id"], serde_json::Value::Null);
        assert_eq!(v["wait"], false);
    }

    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer tests can read back.
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl Buf {
        fn lines(&self) -> Vec<String> {
            String::from_utf8(self.0.lock().unwrap().clone())
                .unwrap()
                .lines()
                .map(String::from)
                .collect()
        }
    }

    #[test]
    fn marker_line_has_the_agreed_shape() {
        let line = marker_line(
            DisplayOp::Display,
            &[
                ("image/svg+xml", "<svg>\n</svg>".into()),
                ("text/plain", "a \"b\"".into()),
            ],
            None,
            false,
        );
        let parse = |line: &str| -> serde_json::Value {
            let json = line.strip_prefix(MARKER).expect("starts with the marker");
            assert!(!json.contains('\n'), "one line: {json}");
            serde_json::from_str(json).unwrap()
        };
        assert_eq!(
            parse(&line),
            serde_json::json!({
                "op": "display",
                "data": {"image/svg+xml": "<svg>\n</svg>", "text/plain": "a \"b\""},
                "metadata": {}, "display_id": null, "wait": false,
            })
        );
        let clear = marker_line(DisplayOp::Clear, &[], Some("x"), true);
        assert_eq!(
            parse(&clear),
            serde_json::json!({
                "op": "clear", "data": {}, "metadata": {}, "display_id": "x", "wait": true,
            })
        );
        let ansi = marker_line(
            DisplayOp::Update,
            &[("text/plain", "\u{1b}[31mred".into())],
            None,
            false,
        );
        assert_eq!(parse(&ansi)["data"]["text/plain"], "\u{1b}[31mred");
    }

    #[test]
    fn evcxr_blocks() {
        let mut out = Vec::new();
        write_evcxr(&mut out, &[("text/plain", "hi".into())]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "EVCXR_BEGIN_CONTENT text/plain\nhi\nEVCXR_END_CONTENT\n"
        );
    }

    #[test]
    fn kernel_progress_displays_once_then_updates_in_place() {
        let buf = Buf::default();
        let mut p = Progress::to_writer("sweep", 4, true, Box::new(buf.clone()), Duration::ZERO);
        let id = p.display_id().to_string();
        p.set(1);
        p.finish();
        let bar = |n: u64, pct: &str| {
            let cells = (n * 6) as usize;
            format!(
                "sweep  [{}{}]  {n}/4  {pct}",
                "█".repeat(cells),
                "░".repeat(24 - cells)
            )
        };
        let line = |op: DisplayOp, text: String| {
            marker_line(op, &[("text/plain", text)], Some(&id), false)
        };
        assert_eq!(
            buf.lines(),
            [
                line(DisplayOp::Display, bar(0, "0%")),
                line(DisplayOp::Update, bar(1, "25%")),
                line(DisplayOp::Update, bar(4, "100%")),
            ]
        );
    }

    #[test]
    fn display_ids_are_unique_and_identical_redraws_are_skipped() {
        assert_ne!(new_display_id("x"), new_display_id("x"));
        let buf = Buf::default();
        let mut p = Progress::to_writer("s", 2, true, Box::new(buf.clone()), Duration::ZERO);
        p.set(2);
        p.finish();
        assert_eq!(
            buf.lines().len(),
            2,
            "set(total) then finish draw the same bar once"
        );
    }

    #[test]
    fn progress_is_rate_limited() {
        let buf = Buf::default();
        let mut p = Progress::to_writer(
            "s",
            1000,
            true,
            Box::new(buf.clone()),
            Duration::from_secs(3600),
        );
        for i in 0..1000 {
            p.set(i);
        }
        p.finish();
        let lines = buf.lines();
        assert_eq!(
            lines.len(),
            2,
            "initial display and final update only: {lines:?}"
        );
        assert!(lines[1].contains(r#""op":"update""#) && lines[1].contains("1000/1000"));
    }

    #[test]
    fn plain_progress_is_a_line_on_the_writer_and_quiet_for_quick_runs() {
        let buf = Buf::default();
        let mut p = Progress::to_writer("s", 2, false, Box::new(buf.clone()), Duration::ZERO);
        p.set(1);
        p.finish();
        assert_eq!(
            buf.lines(),
            [
                format!("s  [{}{}]  1/2  50%", "█".repeat(12), "░".repeat(12)),
                format!("s  [{}]  2/2  100%", "█".repeat(24)),
            ]
        );
        let quiet = Buf::default();
        let mut p = Progress::to_writer(
            "s",
            2,
            false,
            Box::new(quiet.clone()),
            Duration::from_secs(3600),
        );
        p.set(1);
        p.finish();
        assert!(quiet.lines().is_empty());
    }
}
