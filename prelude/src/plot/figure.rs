//! A rendered figure: SVG, title and a text summary, with display and save.

use crate::display::{self, MimeBundle};
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, FontStyle, IntoDrawingArea, IntoFont, SVGBackend};
use std::fmt;
use std::io;
use std::path::Path;

/// A finished figure: the SVG drawing, its title, and a plain-text summary of what it shows
/// (the fallback wherever images are not rendered).
///
/// Every builder in [`crate::plot`] produces one with `.figure()`, and displays itself inline as
/// the last expression of a notebook cell.
///
/// ```
/// use faultline::plot;
/// let fig = plot::line("Queue length").series("q", [(0, 1), (1, 3), (2, 2)]).figure();
/// assert_eq!(fig.title(), "Queue length");
/// assert!(fig.svg().starts_with("<svg"));
/// assert!(fig.text().starts_with("Line chart “Queue length”"));
/// let path = std::env::temp_dir().join("queue.svg");
/// fig.save(&path).unwrap(); // outside a notebook: a file to open in a browser
/// # std::fs::remove_file(&path).unwrap();
/// fig.show(); // mid-cell in a notebook: display now (here: prints evcxr blocks)
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    title: String,
    svg: String,
    text: String,
}

impl Figure {
    /// A figure from SVG you made yourself.
    pub fn from_svg(
        title: impl Into<String>,
        svg: impl Into<String>,
        text: impl Into<String>,
    ) -> Figure {
        Figure {
            title: title.into(),
            svg: svg.into(),
            text: text.into(),
        }
    }

    /// A custom figure drawn with [plotters](https://docs.rs/plotters) (SVG backend, 720×420,
    /// the title written on top and the closure given the area below it), for the rare plot the
    /// builders do not cover. [`plot::plotters`](crate::plot::plotters) is the crate, so a cell
    /// needs no `:dep`.
    ///
    /// ```
    /// use faultline::plot::plotters::prelude::*;
    /// use faultline::plot::Figure;
    /// let fig = Figure::with_plotters("A circle", |area| {
    ///     area.fill(&WHITE)?;
    ///     area.draw(&Circle::new((360, 210), 100, BLUE.stroke_width(3)))?;
    ///     Ok(())
    /// });
    /// assert!(fig.svg().contains("<circle"));
    /// ```
    pub fn with_plotters<F>(title: &str, draw: F) -> Figure
    where
        F: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), Box<dyn std::error::Error>>,
    {
        let mut svg = String::new();
        let mut failed = None;
        {
            let area = SVGBackend::with_string(
                &mut svg,
                (super::style::WIDTH as u32, super::style::HEIGHT as u32),
            )
            .into_drawing_area();
            // The title on top, like every other figure; the closure draws below it.
            let title_font = ("sans-serif", super::style::TITLE_SIZE as i32).into_font();
            match area.titled(title, title_font.style(FontStyle::Bold)) {
                Ok(body) => {
                    if let Err(e) = draw(&body) {
                        failed = Some(e.to_string());
                    }
                }
                Err(e) => failed = Some(e.to_string()),
            }
            if let Err(e) = area.present() {
                failed.get_or_insert(e.to_string());
            }
        }
        let text = match failed {
            Some(e) => format!("{title} (drawing failed: {e})"),
            None => title.to_string(),
        };
        Figure::from_svg(title, svg, text)
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The SVG document.
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// The plain-text summary: what is plotted, and the key numbers.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Writes the SVG to `path` (creating parent folders), e.g. `fig.save("latency.svg")`.
    pub fn save(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            if !ext.eq_ignore_ascii_case("svg") {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "figures are saved as SVG; use a .svg file name (got .{ext}); \
                         `rsvg-convert -o out.png in.svg` makes a PNG"
                    ),
                ));
            }
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, &self.svg)
    }

    /// The figure's representations for a notebook: SVG, and the text summary as fallback.
    pub fn mime_bundle(&self) -> MimeBundle {
        vec![
            ("image/svg+xml", self.svg.clone()),
            ("text/plain", self.text.clone()),
        ]
    }

    /// Shows the figure inline (evcxr's display convention); called for you when a figure is
    /// the last expression of a cell.
    pub fn evcxr_display(&self) {
        let _ = display::write_evcxr(&mut io::stdout().lock(), &self.mime_bundle());
    }

    /// Shows the figure now, mid-cell; call it several times to show several figures.
    pub fn show(&self) {
        display::show_bundle(&self.mime_bundle());
    }
}

impl display::Rich for Figure {
    fn mime_bundle(&self) -> MimeBundle {
        Figure::mime_bundle(self)
    }
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Gives a figure builder the same title, display and save methods as [`Figure`], so every
/// chart kind can be retitled and a builder chain can end a cell and render.
macro_rules! figure_methods {
    ($t:ty, sized) => {
        impl $t {
            /// Figure size in px (default 720×420).
            pub fn size(mut self, width: u32, height: u32) -> Self {
                self.size = (width.max(200) as f64, height.max(150) as f64);
                self
            }
        }
        figure_methods!($t);
    };
    ($t:ty) => {
        impl $t {
            /// Replaces the title.
            pub fn title(mut self, title: &str) -> Self {
                self.title = title.to_string();
                self
            }

            /// Shows the figure inline (evcxr's display convention).
            pub fn evcxr_display(&self) {
                self.figure().evcxr_display()
            }

            /// Shows the figure now, mid-cell.
            pub fn show(&self) {
                self.figure().show()
            }

            /// Renders and writes the SVG to `path`.
            pub fn save(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<()> {
                self.figure().save(path)
            }
        }

        impl $crate::display::Rich for $t {
            fn mime_bundle(&self) -> $crate::display::MimeBundle {
                self.figure().mime_bundle()
            }
        }

        impl From<$t> for $crate::plot::Figure {
            fn from(b: $t) -> $crate::plot::Figure {
                b.figure()
            }
        }

        impl From<&$t> for $crate::plot::Figure {
            fn from(b: &$t) -> $crate::plot::Figure {
                b.figure()
            }
        }
    };
}
pub(crate) use figure_methods;
