//! The message pass: one arrow per message, with its logical timestamps and its label.

use super::frame::Frame;
use super::labels::Labels;
use super::stamps::Stamp;
use super::{DELIVERED, DUPLICATE, IN_FLIGHT, STAMP};
use crate::plot::axes::fmt_value;
use crate::plot::style::{BAD, SMALL_SIZE};
use crate::plot::svg::{n, text_width, truncate, Anchor, Stroke, Svg, Text};
use crate::time::Time;
use crate::trace::{DropReason, Fate, MsgRecord};
use std::fmt::Write as _;

/// Draws every message of the frame. `arrow(kind)` names the arrow-head marker for "delivered"
/// and "duplicate"; `stamps` holds each message's logical timestamps when they are shown.
pub(super) fn draw(
    svg: &mut Svg,
    f: &Frame,
    labels: &mut Labels,
    stamps: Option<&[(Option<Stamp>, Option<Stamp>)]>,
    arrow: &dyn Fn(&str) -> String,
) {
    let typical_dx = typical_dx(f);
    svg.group("messages");
    for m in &f.msgs {
        let (x1, y1) = (f.x(m.sent_at), f.y(m.from));
        let (x2, y2) = match m.fate {
            Fate::Delivered(t) => delivered(svg, f, m, t, arrow),
            Fate::Dropped(t, why) => dropped(svg, f, m, t, why, typical_dx),
            Fate::InFlight => in_flight(svg, f, m),
        };
        let dup = m.duplicate_of.is_some();
        svg.raw(&format!(
            r#"<circle class="send" cx="{}" cy="{}" r="2.2" fill="{}"/>"#,
            n(x1),
            n(y1),
            if dup { DUPLICATE } else { "#222222" }
        ));
        if let Some(st) = stamps {
            let stamp = &st[m.id.min(st.len().saturating_sub(1))];
            write_stamps(svg, labels, m, (x1, y1), (x2, y2), stamp);
        }
        if f.labels && !dup && !repeats_a_broadcast(f, m) {
            write_label(svg, f, labels, m, (x1, y1), (x2, y2));
        }
    }
    svg.end();
}

/// The median horizontal length of a delivered arrow: how far a dropped message's stub reaches.
fn typical_dx(f: &Frame) -> f64 {
    let mut d: Vec<f64> = f
        .msgs
        .iter()
        .filter_map(|m| match m.fate {
            Fate::Delivered(t) => Some(f.x(t) - f.x(m.sent_at)),
            _ => None,
        })
        .collect();
    d.sort_by(f64::total_cmp);
    d.get(d.len() / 2)
        .copied()
        .unwrap_or(30.0)
        .clamp(14.0, 80.0)
}

fn head(f: &Frame, m: &MsgRecord) -> String {
    let (from, to) = (f.name(m.from), f.name(m.to));
    format!("#{} {from} → {to}: {}", m.id, m.label)
}

/// An arrow from the send to the delivery (a loop above the line for a message to itself).
fn delivered(
    svg: &mut Svg,
    f: &Frame,
    m: &MsgRecord,
    t: Time,
    arrow: &dyn Fn(&str) -> String,
) -> (f64, f64) {
    let (x1, y1) = (f.x(m.sent_at), f.y(m.from));
    let dup = m.duplicate_of.is_some();
    let tip = format!(
        "{}{}\nsent {} ms, delivered {} ms",
        head(f, m),
        if dup { " (duplicate)" } else { "" },
        fmt_value(m.sent_at.as_ms()),
        fmt_value(t.as_ms())
    );
    let (x2, y2) = (f.x(t), f.y(m.to));
    let kind = if dup { "duplicate" } else { "delivered" };
    svg.group_titled(&format!("msg {kind}"), &tip);
    let mut st = Stroke::new(if dup { DUPLICATE } else { DELIVERED }, 1.5);
    if dup {
        st = st.dash("5,3");
    }
    if m.from == m.to {
        let lift = 22.0;
        let xe = x2.max(x1 + 12.0);
        svg.raw(&format!(
            r#"<path d="M{},{} C{},{} {},{} {},{}" fill="none" {} marker-end="url(#{})"/>"#,
            n(x1),
            n(y1),
            n(x1),
            n(y1 - lift),
            n(xe),
            n(y2 - lift),
            n(xe),
            n(y2),
            stroke_attrs(&st),
            arrow(kind)
        ));
    } else {
        svg.arrow(x1, y1, x2, y2, &st, &arrow(kind), "");
    }
    svg.end();
    (x2, y2)
}

/// A red line ending in ×: on the receiver's line when it was crashed, between the lines when
/// the network lost the message or a partition cut it.
fn dropped(
    svg: &mut Svg,
    f: &Frame,
    m: &MsgRecord,
    t: Time,
    why: DropReason,
    typical_dx: f64,
) -> (f64, f64) {
    let why_s = match why {
        DropReason::Loss => "lost",
        DropReason::Partition => "cut by partition",
        DropReason::Crashed => "receiver crashed",
    };
    let tip = format!(
        "{}\nsent {} ms, dropped {} ms ({why_s})",
        head(f, m),
        fmt_value(m.sent_at.as_ms()),
        fmt_value(t.as_ms())
    );
    let (x1, y1) = (f.x(m.sent_at), f.y(m.from));
    let (x2, y2) = if why == DropReason::Crashed {
        (f.x(t).max(x1 + 8.0), f.y(m.to))
    } else {
        drop_point(f, m, t, typical_dx)
    };
    svg.group_titled("msg dropped", &tip);
    svg.line(x1, y1, x2, y2, &Stroke::new(BAD, 1.5), "");
    svg.cross(x2, y2, 5.0, BAD, 2.2, "drop-mark");
    svg.end();
    (x2, y2)
}

/// Where the × of a message lost in the network goes: heading towards the receiver as a
/// delivered message would, stopping short of the next node's line so the × sits between the
/// lines; messages dropped together at their send fan out, one × each.
fn drop_point(f: &Frame, m: &MsgRecord, t: Time, typical_dx: f64) -> (f64, f64) {
    let (x1, y1) = (f.x(m.sent_at), f.y(m.from));
    let dy = f.y(m.to) - y1;
    let frac = if dy == 0.0 {
        0.5
    } else {
        (f.lane * 0.4 / dy.abs()).min(0.5)
    };
    let dropped_at_send = |o: &MsgRecord| matches!(o.fate, Fate::Dropped(ot, r) if ot == o.sent_at && r != DropReason::Crashed);
    let k = f
        .msgs
        .iter()
        .take_while(|o| o.id != m.id)
        .filter(|o| o.from == m.from && o.sent_at == m.sent_at && dropped_at_send(o))
        .count() as f64;
    let xe = if f.x(t) > x1 + 8.0 {
        f.x(t)
    } else {
        x1 + (typical_dx * frac).max(20.0) + 12.0 * k
    };
    // Near the right edge the stub turns back rather than leave the plot.
    let xe = if xe > f.right - 6.0 {
        x1 - (xe - x1)
    } else {
        xe
    };
    let ye = if m.to == m.from {
        y1 - 20.0
    } else {
        y1 + dy * frac
    };
    (xe, ye)
}

/// A dotted grey stub: the message was still on its way when the run stopped.
fn in_flight(svg: &mut Svg, f: &Frame, m: &MsgRecord) -> (f64, f64) {
    let tip = format!(
        "{}\nsent {} ms, still in flight at the end",
        head(f, m),
        fmt_value(m.sent_at.as_ms())
    );
    let (x1, y1) = (f.x(m.sent_at), f.y(m.from));
    let dir = if m.to == m.from {
        0.0
    } else {
        (f.y(m.to) - y1).signum()
    };
    let x2 = f.x(f.run_end).max(x1 + 12.0).min(f.right);
    let y2 = y1 + dir * f.lane * 0.6;
    svg.group_titled("msg inflight", &tip);
    svg.line(x1, y1, x2, y2, &Stroke::new(IN_FLIGHT, 1.4).dash("2,3"), "");
    svg.end();
    (x2, y2)
}

/// The send's stamp beside the send dot, on the side the arrow does not leave from; the
/// receive's beside the arrow tip, on the side it does not arrive from. A stamp that would
/// cover another text is left out.
fn write_stamps(
    svg: &mut Svg,
    labels: &mut Labels,
    m: &MsgRecord,
    (x1, y1): (f64, f64),
    (x2, y2): (f64, f64),
    (at_send, at_recv): &(Option<Stamp>, Option<Stamp>),
) {
    let down = y2 > y1;
    let mut spots = vec![(x1 + 3.0, if down { y1 - 5.0 } else { y1 + 12.0 }, at_send)];
    if matches!(m.fate, Fate::Delivered(_)) {
        spots.push((x2 + 3.0, if down { y2 + 12.0 } else { y2 - 5.0 }, at_recv));
    }
    for (sx, sy, stamp) in spots {
        let Some(stamp) = stamp else { continue };
        let s = stamp.to_string();
        let tw = text_width(&s, SMALL_SIZE - 0.5);
        if !labels.claim((sx, sy - 9.0, tw, 11.0)) {
            continue;
        }
        let t = Text::new(SMALL_SIZE - 0.5)
            .fill(STAMP)
            .bold()
            .halo()
            .class("stamp");
        svg.text(sx, sy, &s, &t);
    }
}

/// Whether an earlier message had the same sender, time and label: one label per broadcast.
fn repeats_a_broadcast(f: &Frame, m: &MsgRecord) -> bool {
    f.msgs
        .iter()
        .take_while(|o| o.id != m.id)
        .any(|o| o.from == m.from && o.sent_at == m.sent_at && o.label == m.label)
}

/// The message's label at 40% along its arrow, nudged up or down until it is clear of earlier
/// texts; where no nearby spot is free it is left out (the tooltip and the text listing still
/// name the message).
fn write_label(
    svg: &mut Svg,
    f: &Frame,
    labels: &mut Labels,
    m: &MsgRecord,
    (x1, y1): (f64, f64),
    (x2, y2): (f64, f64),
) {
    let s = match m.fate {
        Fate::Dropped(..) => {
            let to = truncate(f.name(m.to), 10);
            format!("{} → {to}", short_label(&m.label, 14))
        }
        _ => short_label(&m.label, 18),
    };
    let tw = text_width(&s, SMALL_SIZE - 0.5);
    let (mut lx, mut ly) = (x1 + (x2 - x1) * 0.4, y1 + (y2 - y1) * 0.4);
    if m.from == m.to {
        ly = y1 - 26.0;
        lx = (x1 + x2) / 2.0;
    }
    let lx = lx.clamp(tw / 2.0 + 4.0, f.w - tw / 2.0 - 4.0);
    let margin = |ly: f64| (lx - tw / 2.0 - 4.0, ly - 9.0, tw + 8.0, 11.0);
    let Some(dy) = [0.0, -12.0, 12.0, -24.0, 24.0]
        .into_iter()
        .find(|dy| labels.is_free(margin(ly + dy)))
    else {
        return;
    };
    ly += dy;
    labels.claim((lx - tw / 2.0, ly - 9.0, tw, 11.0));
    let t = Text::new(SMALL_SIZE - 0.5)
        .anchor(Anchor::Middle)
        .fill("#333333")
        .halo()
        .class("msg-label");
    svg.text(lx, ly, &s, &t);
}

/// A message label short enough to write on the diagram: a long `Debug` form such as
/// `Request { id: 7, body: … }` becomes its variant name, `Request`.
fn short_label(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_string();
    }
    let head = label.split([' ', '(', '{']).next().unwrap_or("");
    if !head.is_empty() && head.chars().count() <= max {
        format!("{head}…")
    } else {
        truncate(label, max)
    }
}

fn stroke_attrs(s: &Stroke) -> String {
    let mut a = format!(r#"stroke="{}" stroke-width="{}""#, s.color, n(s.width));
    if let Some(d) = s.dash {
        let _ = write!(a, r#" stroke-dasharray="{d}""#);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::short_label;

    #[test]
    fn long_debug_labels_shrink_to_their_variant() {
        assert_eq!(short_label("Ping", 18), "Ping");
        assert_eq!(
            short_label("Request { id: 7, body: [1, 2, 3] }", 18),
            "Request…"
        );
    }
}
