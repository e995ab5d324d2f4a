//! The plot writer: the fork+exit scaling benchmark as an SVG (cost per
//! fork+exit+wait against the number of idle processes, one line per
//! kernel), drawn with the `plotters` crate's SVG backend. The K values are
//! categories spaced evenly (0, 16, ..., 4096 grow by about 4× a step) and
//! the cost axis starts at zero, so the heights compare honestly.

use plotters::prelude::*;

use crate::bench_report::thousands;

/// One kernel's line.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    pub label: &'a str,
    /// (K, instructions per fork+exit+wait), any order.
    pub points: &'a [(u64, u64)],
}

/// The colours of the first, second, ... series.
const COLOURS: [RGBColor; 3] = [
    RGBColor(0xc0, 0x39, 0x2b),
    RGBColor(0x29, 0x80, 0xb9),
    RGBColor(0x27, 0xae, 0x60),
];

/// Renders the plot; `Err` carries plotters' message.
pub fn render_svg(series: &[Series<'_>]) -> Result<String, String> {
    let mut ks: Vec<u64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    ks.sort_unstable();
    ks.dedup();
    if ks.is_empty() {
        return Err("no fork_exit figures to plot".into());
    }
    let top = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .max()
        .unwrap_or(1)
        .max(1);
    let index = |k: u64| ks.iter().position(|&x| x == k).unwrap_or(0) as i32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 480)).into_drawing_area();
        let e = |e: DrawingAreaErrorKind<_>| e.to_string();
        root.fill(&WHITE).map_err(e)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "fork + exit + wait with K idle processes",
                ("sans-serif", 22),
            )
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(96)
            .build_cartesian_2d(
                (0..ks.len() as i32 - 1).into_segmented(),
                0f64..top as f64 * 1.15,
            )
            .map_err(e)?;
        let k_label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => usize::try_from(*i)
                .ok()
                .and_then(|i| ks.get(i))
                .map_or_else(String::new, u64::to_string),
            SegmentValue::Last => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(ks.len())
            .x_label_formatter(&k_label)
            .y_label_formatter(&|y: &f64| thousands(*y as u64))
            .x_desc("K idle processes (children blocked in read on a pipe)")
            .y_desc("guest instructions per fork+exit+wait")
            .draw()
            .map_err(e)?;
        for (i, s) in series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let mut pts: Vec<(SegmentValue<i32>, f64)> = s
                .points
                .iter()
                .map(|&(k, v)| (SegmentValue::CenterOf(index(k)), v as f64))
                .collect();
            pts.sort_by_key(|p| match p.0 {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => i,
                SegmentValue::Last => i32::MAX,
            });
            chart
                .draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2)))
                .map_err(e)?
                .label(s.label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
            chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, 4, colour.filled())))
                .map_err(e)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(e)?;
        root.present().map_err(e)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KS: [u64; 6] = [0, 16, 64, 256, 1024, 4096];

    /// The contents of the `<text>` elements, trimmed.
    fn texts(svg: &str) -> Vec<&str> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim()))
            .collect()
    }

    #[test]
    fn two_kernels_six_points_each() {
        let ferrite: Vec<(u64, u64)> = KS.iter().map(|&k| (k, 50_000 + k)).collect();
        let linux: Vec<(u64, u64)> = vec![
            (4096, 117_727),
            (0, 114_478),
            (16, 114_500),
            (64, 114_600),
            (256, 115_000),
            (1024, 115_855),
        ];
        let svg = render_svg(&[
            Series {
                label: "Ferrite",
                points: &ferrite,
            },
            Series {
                label: "Linux 6.1",
                points: &linux,
            },
        ])
        .unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(svg.trim_end().ends_with("</svg>"));
        // The legend names both kernels; the axes carry the K values.
        let texts = texts(&svg);
        assert!(
            texts.contains(&"Ferrite") && texts.contains(&"Linux 6.1"),
            "{texts:?}"
        );
        for k in KS {
            assert!(
                texts.contains(&k.to_string().as_str()),
                "axis label {k}: {texts:?}"
            );
        }
        assert!(texts.contains(&"guest instructions per fork+exit+wait"));
        // One marker per point, in each series' colour.
        assert_eq!(svg.matches("<circle").count(), 12);
        let red = svg.matches("#C0392B").count();
        let blue = svg.matches("#2980B9").count();
        assert!(red >= 8 && blue >= 8, "red {red}, blue {blue}");
        // Two data lines with six points each (the legend's lines have two).
        let six_point_lines = svg
            .split("<polyline")
            .skip(1)
            .filter(|p| {
                let pts = p
                    .split("points=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap();
                pts.split_whitespace().count() == 6
            })
            .count();
        assert_eq!(six_point_lines, 2);
    }

    #[test]
    fn ferrite_alone_and_nothing() {
        let ferrite = [(0, 10), (16, 12)];
        let svg = render_svg(&[Series {
            label: "Ferrite",
            points: &ferrite,
        }])
        .unwrap();
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(texts(&svg).contains(&"Ferrite"));
        assert!(!svg.contains("Linux"));
        assert!(render_svg(&[]).is_err());
    }
}
