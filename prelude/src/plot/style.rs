//! The look every figure shares: size, fonts, the colour-blind-safe palette, sequential colours.

/// Default figure width in px.
pub const WIDTH: f64 = 720.0;
/// Default figure height in px.
pub const HEIGHT: f64 = 420.0;

/// Fonts the viewer picks from; nothing is needed at build time.
pub(crate) const FONT_FAMILY: &str = "Helvetica, Arial, DejaVu Sans, Liberation Sans, sans-serif";

pub(crate) const TITLE_SIZE: f64 = 16.0;
pub(crate) const LABEL_SIZE: f64 = 13.0;
pub(crate) const TICK_SIZE: f64 = 11.0;
pub(crate) const SMALL_SIZE: f64 = 10.0;

/// Text colour (pure black; the writer omits the fill attribute for it).
pub(crate) const INK: &str = "#000000";
/// Secondary text and axis colour.
pub(crate) const GREY: &str = "#555555";
/// Grid lines.
pub(crate) const GRID: &str = "#e3e3e3";
/// Shading for fault intervals (partitions, outages).
pub(crate) const SHADE: &str = "#E69F00";
/// Marks for failures: dropped messages, errors.
pub(crate) const BAD: &str = "#D55E00";

/// The Okabe–Ito palette, reordered so the first colours are the most distinct on white;
/// distinguishable under the common forms of colour blindness.
pub const PALETTE: [&str; 8] = [
    "#0072B2", // blue
    "#E69F00", // orange
    "#009E73", // bluish green
    "#D55E00", // vermillion
    "#CC79A7", // reddish purple
    "#56B4E9", // sky blue
    "#000000", // black
    "#F0E442", // yellow (last: weak on white)
];

/// The colour of series `i`.
pub fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// Viridis, sampled: perceptually uniform and colour-blind safe, dark (low) to yellow (high).
const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
];

/// The sequential colour for `t` in 0..=1 (clamped), as `#rrggbb`, and whether text drawn on it
/// should be white for contrast.
pub(crate) fn sequential(t: f64) -> (String, bool) {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pos = t * (VIRIDIS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(VIRIDIS.len() - 2);
    let f = pos - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * f).round() as u8;
    let (r, g, bl) = (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2));
    let luminance = 0.2126 * r as f64 + 0.7152 * g as f64 + 0.0722 * bl as f64;
    (format!("#{r:02x}{g:02x}{bl:02x}"), luminance < 140.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_ends_and_contrast() {
        assert_eq!(sequential(0.0), ("#440154".to_string(), true));
        assert_eq!(sequential(1.0), ("#fde725".to_string(), false));
        assert_eq!(sequential(f64::NAN).0, "#440154");
        assert_eq!(color(8), color(0));
    }
}
