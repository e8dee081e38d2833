//! Calls per period with the service level, drawn as SVG on the server: bars for the
//! calls offered, a line with a dot per period for the share answered within the
//! threshold. No script and nothing loaded from elsewhere, so it works offline and
//! under the console's Content-Security-Policy (an `<img>` of the same origin).

use std::fmt::Write as _;

/// One period of the chart.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartBar {
    /// Under the bar: `14:00`, `03.11`, ...
    pub label: String,
    /// Calls offered.
    pub calls: i64,
    /// Share answered within the threshold (0..1); no dot without calls.
    pub service_level: Option<f64>,
}

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 340.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 56.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 56.0;
/// Bars' colour (the test finds bars by it in a screenshot).
pub const BAR_COLOUR: &str = "#2f6fb3";
/// The service-level line's colour.
pub const LINE_COLOUR: &str = "#d9822b";

/// The chart as an SVG document.
#[expect(
    clippy::cast_precision_loss,
    reason = "call counts and bar indexes are small"
)]
pub fn calls_chart(title: &str, bars: &[ChartBar]) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = write!(
        svg,
        r##"<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/><text x="{LEFT}" y="22" font-size="15" font-weight="bold">{}</text>"##,
        escape(title)
    );
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let bottom = TOP + plot_height;
    if bars.is_empty() {
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#666666">Нет звонков за период</text></svg>"##,
            LEFT + plot_width / 2.0,
            TOP + plot_height / 2.0
        );
        return svg;
    }
    let most = bars.iter().map(|b| b.calls).max().unwrap_or(0);
    let top_value = nice_ceiling(most) as f64;
    // Axes and grid: calls on the left, service level (0..100 %) on the right.
    for step in 0..=4 {
        let y = bottom - plot_height * f64::from(step) / 4.0;
        let calls = top_value * f64::from(step) / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e0e0e0"/><text x="{}" y="{:.1}" text-anchor="end">{calls:.0}</text><text x="{}" y="{:.1}">{}%</text>"##,
            LEFT + plot_width,
            LEFT - 6.0,
            y + 4.0,
            LEFT + plot_width + 6.0,
            y + 4.0,
            step * 25
        );
    }
    let slot = plot_width / bars.len() as f64;
    let bar_width = (slot * 0.7).max(1.0);
    // Room for about 24 labels; the rest are skipped.
    let label_every = bars.len().div_ceil(24).max(1);
    let mut points = Vec::new();
    for (index, bar) in bars.iter().enumerate() {
        let x = LEFT + slot * index as f64 + (slot - bar_width) / 2.0;
        let height = if top_value > 0.0 {
            plot_height * bar.calls as f64 / top_value
        } else {
            0.0
        };
        let _ = write!(
            svg,
            r#"<rect class="bar" x="{x:.1}" y="{:.1}" width="{bar_width:.1}" height="{height:.1}" fill="{BAR_COLOUR}"><title>{}: {}</title></rect>"#,
            bottom - height,
            escape(&bar.label),
            bar.calls
        );
        if index % label_every == 0 {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + bar_width / 2.0,
                bottom + 16.0,
                escape(&bar.label)
            );
        }
        if let Some(level) = bar.service_level {
            points.push((
                x + bar_width / 2.0,
                bottom - plot_height * level.clamp(0.0, 1.0),
            ));
        }
    }
    if !points.is_empty() {
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{LINE_COLOUR}" stroke-width="2"/>"#,
            path.join(" ")
        );
        for (x, y) in &points {
            let _ = write!(
                svg,
                r#"<circle class="level" cx="{x:.1}" cy="{y:.1}" r="3" fill="{LINE_COLOUR}"/>"#
            );
        }
    }
    // Legend.
    let _ = write!(
        svg,
        r##"<rect x="{LEFT}" y="{:.1}" width="12" height="12" fill="{BAR_COLOUR}"/><text x="{}" y="{:.1}">звонков</text><line x1="{}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="{LINE_COLOUR}" stroke-width="2"/><text x="{}" y="{:.1}">уровень обслуживания</text></svg>"##,
        HEIGHT - 22.0,
        LEFT + 16.0,
        HEIGHT - 12.0,
        LEFT + 90.0,
        LEFT + 110.0,
        HEIGHT - 16.0,
        HEIGHT - 16.0,
        LEFT + 114.0,
        HEIGHT - 12.0
    );
    svg
}

/// The smallest of 1, 2, 5 × 10ⁿ (at least 4) not below `value`, for the axis.
fn nice_ceiling(value: i64) -> i64 {
    let mut base = 1;
    loop {
        for step in [1, 2, 5] {
            let candidate = (step * base).max(4);
            if candidate >= value {
                return candidate;
            }
        }
        base *= 10;
    }
}

/// Text for SVG: `&`, `<`, `>` and quotes escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, calls: i64, level: Option<f64>) -> ChartBar {
        ChartBar {
            label: label.into(),
            calls,
            service_level: level,
        }
    }

    #[test]
    fn one_bar_per_period_and_a_dot_where_there_were_calls() {
        let svg = calls_chart(
            "Минздрав <тест>",
            &[
                bar("09:00", 10, Some(0.9)),
                bar("10:00", 0, None),
                bar("11:00", 25, Some(0.5)),
            ],
        );
        assert_eq!(svg.matches(r#"class="bar""#).count(), 3);
        assert_eq!(svg.matches(r#"class="level""#).count(), 2);
        assert!(svg.contains("Минздрав &lt;тест&gt;"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        // The tallest bar fills the plot up to the axis' top (50 calls).
        assert!(svg.contains(">50<"), "{svg}");
    }

    #[test]
    fn no_calls_says_so() {
        let svg = calls_chart("Пусто", &[]);
        assert!(svg.contains("Нет звонков за период"));
        assert!(!svg.contains(r#"class="bar""#));
    }

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_ceiling(0), 4);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(25), 50);
        assert_eq!(nice_ceiling(101), 200);
    }
}
