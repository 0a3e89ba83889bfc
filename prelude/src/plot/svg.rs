//! A minimal SVG writer: the drawing primitives every figure kind shares.
//!
//! Figures are written as plain SVG rather than through a plotting backend so that every mark
//! carries a `class` (tests count them, readers can style them) and text is laid out exactly
//! where we put it. Text is emitted as `<text>` with a font-family list, so no font is needed at
//! build time: the viewer renders it.

use std::fmt::Write as _;

use super::style::{FONT_FAMILY, INK};

/// An SVG document being written.
pub(crate) struct Svg {
    buf: String,
}

/// Escapes text for use inside an element or a double-quoted attribute.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Rounds a coordinate to 0.1 px so the output stays small and diffable.
pub(crate) fn n(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// How text is anchored horizontally at its x coordinate.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn as_str(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// Text styling; `Text::new(size)` gives ink-coloured, normal-weight, start-anchored text.
#[derive(Clone, Debug)]
pub(crate) struct Text<'a> {
    pub size: f64,
    pub anchor: Anchor,
    pub bold: bool,
    pub italic: bool,
    pub fill: &'a str,
    /// Rotation in degrees about the anchor point (−90 for a vertical axis label).
    pub rotate: f64,
    pub class: &'a str,
    /// A white outline behind the glyphs, so text stays legible over lines.
    pub halo: bool,
}

impl<'a> Text<'a> {
    pub fn new(size: f64) -> Self {
        Text {
            size,
            anchor: Anchor::Start,
            bold: false,
            italic: false,
            fill: INK,
            rotate: 0.0,
            class: "",
            halo: false,
        }
    }
    pub fn halo(mut self) -> Self {
        self.halo = true;
        self
    }
    pub fn anchor(mut self, a: Anchor) -> Self {
        self.anchor = a;
        self
    }
    pub fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    pub fn italic(mut self) -> Self {
        self.italic = true;
        self
    }
    pub fn fill(mut self, f: &'a str) -> Self {
        self.fill = f;
        self
    }
    pub fn rotate(mut self, deg: f64) -> Self {
        self.rotate = deg;
        self
    }
    pub fn class(mut self, c: &'a str) -> Self {
        self.class = c;
        self
    }
}

/// Stroke styling for lines and outlines.
#[derive(Clone, Debug)]
pub(crate) struct Stroke<'a> {
    pub color: &'a str,
    pub width: f64,
    pub dash: Option<&'a str>,
    pub opacity: f64,
}

impl<'a> Stroke<'a> {
    pub fn new(color: &'a str, width: f64) -> Self {
        Stroke {
            color,
            width,
            dash: None,
            opacity: 1.0,
        }
    }
    pub fn dash(mut self, d: &'a str) -> Self {
        self.dash = Some(d);
        self
    }
    fn attrs(&self) -> String {
        let mut s = format!(
            r#"stroke="{}" stroke-width="{}""#,
            self.color,
            n(self.width)
        );
        if let Some(d) = self.dash {
            let _ = write!(s, r#" stroke-dasharray="{d}""#);
        }
        if self.opacity < 1.0 {
            let _ = write!(s, r#" stroke-opacity="{}""#, self.opacity);
        }
        s
    }
}

fn class_attr(class: &str) -> String {
    if class.is_empty() {
        String::new()
    } else {
        format!(r#" class="{class}""#)
    }
}

impl Svg {
    /// Starts a `w`×`h` document with a white background. `label` becomes the accessible name.
    pub fn new(w: f64, h: f64, label: &str) -> Svg {
        let mut buf = String::with_capacity(16 * 1024);
        let _ = write!(
            buf,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{}" font-family="{FONT_FAMILY}">"#,
            esc(label),
            w = n(w),
            h = n(h),
        );
        buf.push('\n');
        let _ = writeln!(
            buf,
            r#"<rect class="background" x="0" y="0" width="{}" height="{}" fill="white"/>"#,
            n(w),
            n(h)
        );
        Svg { buf }
    }

    /// Raw markup, for the rare element the helpers below do not cover.
    pub fn raw(&mut self, s: &str) {
        self.buf.push_str(s);
        self.buf.push('\n');
    }

    /// Opens `<g class=...>`; close it with [`Svg::end`].
    pub fn group(&mut self, class: &str) {
        let _ = writeln!(self.buf, "<g{}>", class_attr(class));
    }

    /// Opens a group with a hover tooltip.
    pub fn group_titled(&mut self, class: &str, tooltip: &str) {
        let _ = writeln!(
            self.buf,
            "<g{}><title>{}</title>",
            class_attr(class),
            esc(tooltip)
        );
    }

    pub fn end(&mut self) {
        self.buf.push_str("</g>\n");
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, s: &Stroke, class: &str) {
        let _ = writeln!(
            self.buf,
            r#"<line{} x1="{}" y1="{}" x2="{}" y2="{}" {}/>"#,
            class_attr(class),
            n(x1),
            n(y1),
            n(x2),
            n(y2),
            s.attrs()
        );
    }

    /// A line ending in an arrowhead (a marker defined by [`Svg::arrow_marker`]).
    #[allow(clippy::too_many_arguments)]
    pub fn arrow(
        &mut self,
        x1: f64,
        y1: f64,
        x2: f64,
        y2: f64,
        s: &Stroke,
        marker: &str,
        class: &str,
    ) {
        let _ = writeln!(
            self.buf,
            r#"<line{} x1="{}" y1="{}" x2="{}" y2="{}" {} marker-end="url(#{marker})"/>"#,
            class_attr(class),
            n(x1),
            n(y1),
            n(x2),
            n(y2),
            s.attrs()
        );
    }

    /// Defines an arrowhead marker with the given id and colour.
    pub fn arrow_marker(&mut self, id: &str, color: &str) {
        let _ = writeln!(
            self.buf,
            r#"<defs><marker id="{id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker></defs>"#
        );
    }

    /// An open polyline through `pts`.
    pub fn polyline(&mut self, pts: &[(f64, f64)], s: &Stroke, class: &str) {
        if pts.is_empty() {
            return;
        }
        let mut d = String::with_capacity(pts.len() * 12);
        for (i, (x, y)) in pts.iter().enumerate() {
            let _ = write!(d, "{}{},{}", if i == 0 { "M" } else { " L" }, n(*x), n(*y));
        }
        let _ = writeln!(
            self.buf,
            r#"<path{} d="{d}" fill="none" {} stroke-linejoin="round" stroke-linecap="round"/>"#,
            class_attr(class),
            s.attrs()
        );
    }

    /// A filled polygon.
    pub fn polygon(&mut self, pts: &[(f64, f64)], fill: &str, opacity: f64, class: &str) {
        if pts.is_empty() {
            return;
        }
        let mut d = String::with_capacity(pts.len() * 12);
        for (i, (x, y)) in pts.iter().enumerate() {
            let _ = write!(d, "{}{},{}", if i == 0 { "M" } else { " L" }, n(*x), n(*y));
        }
        d.push_str(" Z");
        let _ = writeln!(
            self.buf,
            r#"<path{} d="{d}" fill="{fill}" fill-opacity="{opacity}" stroke="none"/>"#,
            class_attr(class),
        );
    }

    #[allow(clippy::too_many_arguments)]
    pub fn rect(
        &mut self,
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        fill: &str,
        opacity: f64,
        stroke: Option<&Stroke>,
        class: &str,
    ) {
        let stroke = stroke.map(|s| s.attrs()).unwrap_or_default();
        let op = if opacity < 1.0 {
            format!(r#" fill-opacity="{opacity}""#)
        } else {
            String::new()
        };
        let _ = writeln!(
            self.buf,
            r#"<rect{} x="{}" y="{}" width="{}" height="{}" fill="{fill}"{op} {stroke}/>"#,
            class_attr(class),
            n(x),
            n(y),
            n(w.max(0.0)),
            n(h.max(0.0)),
        );
    }

    /// A marker shape centred at (x, y): 0 circle, 1 square, 2 triangle, 3 diamond, … (cycled),
    /// so series stay distinguishable without colour.
    pub fn marker(&mut self, shape: usize, x: f64, y: f64, r: f64, color: &str, class: &str) {
        let c = class_attr(class);
        // A white outline separates overlapping markers; on small ones it would wash them out.
        let o = if r >= 3.0 {
            r#" stroke="white" stroke-width="1""#
        } else {
            ""
        };
        match shape % 4 {
            0 => {
                let _ = writeln!(
                    self.buf,
                    r#"<circle{c} cx="{}" cy="{}" r="{}" fill="{color}"{o}/>"#,
                    n(x),
                    n(y),
                    n(r)
                );
            }
            1 => {
                let s = r * 0.9;
                let _ = writeln!(
                    self.buf,
                    r#"<rect{c} x="{}" y="{}" width="{}" height="{}" fill="{color}"{o}/>"#,
                    n(x - s),
                    n(y - s),
                    n(2.0 * s),
                    n(2.0 * s)
                );
            }
            2 => {
                let s = r * 1.2;
                let _ = writeln!(
                    self.buf,
                    r#"<path{c} d="M{},{} L{},{} L{},{} Z" fill="{color}"{o}/>"#,
                    n(x),
                    n(y - s),
                    n(x + s * 0.95),
                    n(y + s * 0.7),
                    n(x - s * 0.95),
                    n(y + s * 0.7)
                );
            }
            _ => {
                let s = r * 1.25;
                let _ = writeln!(
                    self.buf,
                    r#"<path{c} d="M{},{} L{},{} L{},{} L{},{} Z" fill="{color}"{o}/>"#,
                    n(x),
                    n(y - s),
                    n(x + s),
                    n(y),
                    n(x),
                    n(y + s),
                    n(x - s),
                    n(y)
                );
            }
        }
    }

    /// A cross (×) centred at (x, y), `r` px from centre to each tip.
    pub fn cross(&mut self, x: f64, y: f64, r: f64, color: &str, width: f64, class: &str) {
        let _ = writeln!(
            self.buf,
            r#"<path{} d="M{},{} L{},{} M{},{} L{},{}" stroke="{color}" stroke-width="{}" stroke-linecap="round"/>"#,
            class_attr(class),
            n(x - r),
            n(y - r),
            n(x + r),
            n(y + r),
            n(x - r),
            n(y + r),
            n(x + r),
            n(y - r),
            n(width)
        );
    }

    /// Text at (x, y); y is the baseline.
    pub fn text(&mut self, x: f64, y: f64, s: &str, t: &Text) {
        let mut attrs = format!(r#"x="{}" y="{}" font-size="{}""#, n(x), n(y), n(t.size));
        if t.anchor != Anchor::Start {
            let _ = write!(attrs, r#" text-anchor="{}""#, t.anchor.as_str());
        }
        if t.bold {
            attrs.push_str(r#" font-weight="bold""#);
        }
        if t.italic {
            attrs.push_str(r#" font-style="italic""#);
        }
        if t.fill != "#000000" {
            let _ = write!(attrs, r#" fill="{}""#, t.fill);
        }
        if t.halo {
            attrs.push_str(
                r#" stroke="white" stroke-width="3" stroke-linejoin="round" paint-order="stroke""#,
            );
        }
        if t.rotate != 0.0 {
            let _ = write!(
                attrs,
                r#" transform="rotate({} {} {})""#,
                t.rotate,
                n(x),
                n(y)
            );
        }
        let _ = writeln!(
            self.buf,
            "<text{} {attrs}>{}</text>",
            class_attr(t.class),
            esc(s)
        );
    }

    pub fn finish(mut self) -> String {
        self.buf.push_str("</svg>\n");
        self.buf
    }
}

/// Estimated rendered width of `s` at font size `size`, in px (sans-serif averages).
pub(crate) fn text_width(s: &str, size: f64) -> f64 {
    s.chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '.' | ',' | ':' | ';' | '|' | '!' | '\'' | ' ' | 'I' | 't' | 'f'
            | 'r' | '(' | ')' | '[' | ']' => 0.33,
            'm' | 'w' | 'M' | 'W' | '%' | '@' => 0.9,
            c if c.is_ascii_uppercase() => 0.68,
            c if c.is_ascii_digit() => 0.6,
            _ => 0.58,
        })
        .sum::<f64>()
        * size
}

/// `s` cut to at most `max` characters, with an ellipsis when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// `s` cut to at most `max` characters by dropping its middle, so both the start and the
/// distinguishing end (e.g. "— measured here") survive.
pub(crate) fn truncate_middle(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let head = (max - 1) * 3 / 5;
    let tail = max - 1 - head;
    let start: String = s.chars().take(head).collect();
    let end: String = s.chars().skip(n - tail).collect();
    format!("{}…{}", start.trim_end(), end.trim_start())
}
