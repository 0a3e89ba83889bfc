//! Where texts go: boxes already taken, and the rows of log texts above each node's line.

use super::frame::Frame;
use crate::plot::style::SMALL_SIZE;
use crate::plot::svg::{text_width, truncate};
use crate::trace::EventKind;

/// A text's box: x, y (top), width, height.
type Box = (f64, f64, f64, f64);

/// The boxes of the texts placed so far, so a later text can keep clear of them.
#[derive(Default)]
pub(super) struct Labels {
    taken: Vec<Box>,
}

impl Labels {
    pub fn is_free(&self, b: Box) -> bool {
        !self.taken.iter().any(|o| overlaps(*o, b))
    }

    /// Takes `b` if it is free; says whether it was.
    pub fn claim(&mut self, b: Box) -> bool {
        let free = self.is_free(b);
        if free {
            self.taken.push(b);
        }
        free
    }
}

fn overlaps(a: Box, b: Box) -> bool {
    a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
}

/// Places every log text of the window, stacked up to three rows above its node's line, before
/// anything else is labelled (so message labels keep clear of them). Returns each event's text
/// position (`None`: not a log, outside the window, or no row was free).
pub(super) fn place_logs(f: &Frame, labels: &mut Labels) -> Vec<Option<(f64, f64)>> {
    let mut pos = vec![None; f.tr.events.len()];
    let mut rows_above: Vec<Vec<Vec<(f64, f64)>>> = vec![vec![Vec::new(); 3]; f.nn];
    for (i, e) in f.tr.events.iter().enumerate() {
        let (Some(node), EventKind::Log { text }) = (e.node, &e.kind) else {
            continue;
        };
        if node >= f.nn || !f.in_window(e.at) {
            continue;
        }
        let (px, py) = (f.x(e.at), f.y(node));
        let tw = text_width(&truncate(text, 28), SMALL_SIZE);
        // Texts near the right edge end at it instead of running off the figure.
        let lx = (px + 2.0).min(f.w - 6.0 - tw);
        let span = (lx - 4.0, lx + tw + 2.0);
        let row = rows_above[node]
            .iter()
            .position(|r| r.iter().all(|o| span.1 < o.0 || span.0 > o.1));
        if let Some(r) = row {
            rows_above[node][r].push(span);
            let ly = py - 8.0 - 11.0 * r as f64;
            pos[i] = Some((lx, ly));
            labels.taken.push((lx - 2.0, ly - 9.0, tw + 2.0, 11.0));
        }
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_is_claimed_once() {
        let mut l = Labels::default();
        assert!(l.claim((0.0, 0.0, 10.0, 10.0)));
        assert!(!l.claim((5.0, 5.0, 10.0, 10.0)), "overlaps the first");
        assert!(
            l.claim((10.0, 0.0, 10.0, 10.0)),
            "touching is not overlapping"
        );
    }
}
