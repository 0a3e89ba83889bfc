//! The event pass: timers, crashes, restarts and logs on each node's line, and clock readings.

use super::frame::Frame;
use crate::plot::axes::fmt_value;
use crate::plot::style::SMALL_SIZE;
use crate::plot::svg::{n, text_width, truncate, Anchor, Stroke, Svg, Text};
use crate::trace::{EventKind, TraceEvent};

/// Draws the node events of the window; `log_pos` holds the placed log texts and `clocks`
/// writes each event's local clock reading under its line. Returns how many log texts had no
/// room to be written.
pub(super) fn draw(
    svg: &mut Svg,
    f: &Frame,
    log_pos: &[Option<(f64, f64)>],
    clocks: bool,
) -> usize {
    let mut rows_below: Vec<Vec<(f64, f64)>> = vec![Vec::new(); f.nn];
    let mut logs_hidden = 0;
    svg.group("events");
    for (i, e) in f.tr.events.iter().enumerate() {
        let Some(node) = e.node.filter(|&nd| nd < f.nn && f.in_window(e.at)) else {
            continue;
        };
        let (px, py) = (f.x(e.at), f.y(node));
        let (who, at) = (f.name(node), fmt_value(e.at.as_ms()));
        match &e.kind {
            EventKind::Timer { tag } => {
                svg.group_titled("timer", &format!("{who}: timer {tag} fired at {at} ms"));
                svg.raw(&format!(
                    r##"<circle cx="{}" cy="{}" r="4.2" fill="white" stroke="#000000" stroke-width="1.4"/>"##,
                    n(px),
                    n(py)
                ));
                svg.end();
            }
            EventKind::Crash => {
                svg.group_titled("crash-mark", &format!("{who} crashed at {at} ms"));
                svg.cross(px, py, 6.0, "#000000", 2.6, "");
                svg.end();
            }
            EventKind::Restart => {
                svg.group_titled("restart", &format!("{who} restarted at {at} ms"));
                svg.raw(&format!(
                    r#"<path d="M{},{} L{},{} L{},{} Z" fill="{}"/>"#,
                    n(px),
                    n(py - 6.0),
                    n(px + 7.0),
                    n(py),
                    n(px),
                    n(py + 6.0),
                    "#009E73"
                ));
                let t = Text::new(SMALL_SIZE).fill("#007a5a").italic();
                svg.text(px + 9.0, py + 24.0, "restart", &t);
                svg.end();
            }
            EventKind::Log { text } => {
                svg.group_titled("log", &format!("{who} at {at} ms: {text}"));
                svg.line(px, py - 5.0, px, py + 5.0, &Stroke::new("#000000", 1.4), "");
                if let Some((lx, ly)) = log_pos[i] {
                    let t = Text::new(SMALL_SIZE)
                        .fill("#1a1a1a")
                        .halo()
                        .class("log-text");
                    svg.text(lx, ly, &truncate(text, 28), &t);
                } else {
                    logs_hidden += 1;
                }
                svg.end();
            }
            _ => {}
        }
        if clocks && !matches!(e.kind, EventKind::Start) {
            clock_reading(svg, e, (px, py), &mut rows_below[node]);
        }
    }
    svg.end();
    logs_hidden
}

/// "c=12.5" under the event, unless it would overlap a reading already written on that line.
fn clock_reading(svg: &mut Svg, e: &TraceEvent, (px, py): (f64, f64), taken: &mut Vec<(f64, f64)>) {
    let s = format!("c={}", fmt_value(e.local.as_ms()));
    let tw = text_width(&s, SMALL_SIZE - 1.0);
    let span = (px - tw / 2.0 - 2.0, px + tw / 2.0 + 2.0);
    if !taken.iter().all(|o| span.1 < o.0 || span.0 > o.1) {
        return;
    }
    taken.push(span);
    let t = Text::new(SMALL_SIZE - 1.0)
        .anchor(Anchor::Middle)
        .fill("#0a5c8a")
        .halo()
        .class("clock");
    svg.text(px, py + 14.0, &s, &t);
}
