//! Figures draw what they are given: titles, labels, and the right number of marks.

use faultline::plot::{self, Figure};
use faultline::stats::Summary;
use faultline::table::{Row, Table};
use faultline::time::{ms, Time};
use faultline::trace::{DropReason, EventKind, Fate, MsgRecord, NodeInfo, Role, Trace, TraceEvent};

/// How many elements carry exactly this class.
fn count(svg: &str, class: &str) -> usize {
    svg.matches(&format!("class=\"{class}\"")).count()
}

/// Every tag opened is closed, in order: the document is well formed.
fn assert_well_formed(svg: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("unclosed tag") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap().to_string();
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
}

fn assert_text(svg: &str, text: &str) {
    assert!(
        svg.contains(&format!(">{text}</text>")),
        "no text {text:?} in figure"
    );
}

#[test]
fn line_chart_has_title_labels_legend_and_one_marker_per_point() {
    let fig = plot::line("Success vs loss")
        .x_label("loss probability")
        .y_label("success rate")
        .series("no retries", [(0.0, 1.0), (0.1, 0.8), (0.2, 0.6)])
        .series_ci("retries", [(0.0, 1.0, 0.99, 1.0), (0.1, 0.97, 0.95, 0.99)])
        .figure();
    let svg = fig.svg();
    assert_well_formed(svg);
    assert_text(svg, "Success vs loss");
    assert_text(svg, "loss probability");
    assert_text(svg, "success rate");
    assert_text(svg, "no retries");
    assert_text(svg, "retries");
    assert_eq!(count(svg, "series"), 2);
    assert_eq!(count(svg, "point"), 5);
    assert_eq!(
        count(svg, "band"),
        1,
        "one CI band, for the series that has one"
    );
    assert_eq!(count(svg, "legend-label"), 2);
    assert!(fig.text().contains("no retries: 3 points"));
}

#[test]
fn a_single_series_has_no_legend_and_log_axes_have_decade_ticks() {
    let fig = plot::line("Throughput")
        .x_label("clients")
        .y_label("requests/s")
        .series("only", [(1, 10.0), (10, 1000.0), (100, 20000.0)])
        .log_x()
        .log_y()
        .figure();
    let svg = fig.svg();
    assert_eq!(count(svg, "legend-label"), 0);
    for tick in ["1", "10", "100", "1000", "10k"] {
        assert!(svg.contains(&format!(">{tick}</text>")), "tick {tick}");
    }
}

#[test]
fn scatter_draws_points_and_error_bars() {
    let fig = plot::scatter("Skew")
        .x_label("skew (ms)")
        .y_label("errors")
        .series_ci(
            "trials",
            [(1, 2.0, 1.0, 3.0), (2, 4.0, 3.0, 5.0), (3, 6.0, 5.0, 7.0)],
        )
        .figure();
    assert_eq!(count(fig.svg(), "point"), 3);
    assert_eq!(count(fig.svg(), "error-bar"), 3);
}

#[test]
fn step_series_and_shaded_interval() {
    let fig = plot::line("Availability")
        .x_label("time (ms)")
        .y_label("answered")
        .step("CP", [(0.0, 1.0), (10.0, 0.3), (20.0, 1.0)])
        .shade(10.0, 20.0, "partition")
        .figure();
    let svg = fig.svg();
    assert_eq!(count(svg, "shade"), 1);
    assert_text(svg, "partition");
    // A step path has a corner before every change: 3 points become 5 vertices.
    let path = svg.lines().find(|l| l.contains("class=\"line\"")).unwrap();
    assert_eq!(path.matches(" L").count(), 4);
}

#[test]
fn bar_charts_draw_one_bar_per_value() {
    let fig = plot::bar("Replicas")
        .categories(["p=0.01", "p=0.1"])
        .series("1 replica", [0.99, 0.9])
        .series("3 replicas", [0.9997, 0.972])
        .series("5 replicas", [0.99999, 0.991])
        .value_label("availability")
        .figure();
    let svg = fig.svg();
    assert_well_formed(svg);
    assert_eq!(count(svg, "bar"), 6);
    assert_eq!(count(svg, "legend-label"), 3);
    assert_text(svg, "p=0.01");
    assert_eq!(
        count(svg, "value-label"),
        0,
        "grouped bars carry no value labels"
    );

    let ladder = plot::bar("Ladder")
        .data([("L1", 0.5), ("RAM", 100.0), ("RTT", 150e6)])
        .value_label("latency (ns)")
        .horizontal()
        .log()
        .figure();
    let svg = ladder.svg();
    assert_eq!(count(svg, "bar"), 3);
    assert_eq!(count(svg, "value-label"), 3);
    assert_text(svg, "150M");
    assert_text(svg, "latency (ns)");
    assert!(ladder.text().contains("RAM: 100"));
}

#[test]
fn histogram_counts_and_percentiles() {
    // 0..=99: ten bins of ten.
    let samples: Vec<f64> = (0..100).map(f64::from).collect();
    let fig = plot::histogram("Latency", &samples)
        .x_label("latency (ms)")
        .bins(10)
        .figure();
    let svg = fig.svg();
    assert_well_formed(svg);
    assert_eq!(count(svg, "bar"), 10);
    assert_eq!(svg.matches("</title>").count(), 10, "one tooltip per bar");
    assert!(svg.contains(": 10</title>"));
    assert_eq!(count(svg, "percentile"), 2);
    assert!(svg.contains("p50 = 49.5"), "{}", fig.text());
    assert!(svg.contains("p99 = 98"));
    assert_text(svg, "count");
}

#[test]
fn cdf_marks_p50_and_p99_per_series() {
    let a: Vec<f64> = (1..=100).map(f64::from).collect();
    let b: Vec<f64> = (1..=100).map(|v| f64::from(v) * 2.0).collect();
    let fig = plot::cdf("Latency CDF")
        .x_label("latency (ms)")
        .series("fast", &a)
        .series("slow", &b)
        .figure();
    let svg = fig.svg();
    assert_well_formed(svg);
    assert_eq!(count(svg, "percentile"), 4);
    assert!(svg.contains("fast (p50 50.5, p99 99)"));
    assert!(fig.text().contains("slow: 100 samples, p50 101, p99 198"));
}

#[test]
fn heatmap_has_one_cell_per_value_and_a_colour_bar() {
    let fig = plot::heatmap("Stale reads")
        .x("W", [1, 2, 3])
        .y("R", [1, 2])
        .values([[0.5, 0.25, 0.0], [0.25, 0.0, f64::NAN]])
        .z_label("stale-read rate")
        .figure();
    let svg = fig.svg();
    assert_well_formed(svg);
    assert_eq!(count(svg, "cell"), 6);
    assert_eq!(count(svg, "colorbar"), 1);
    assert_text(svg, "stale-read rate");
    assert_text(svg, "0.25");
    assert_text(svg, "n/a");
}

#[test]
fn timeline_draws_a_segment_per_state_change() {
    let fig = plot::timeline("Breaker")
        .lane(
            "breaker",
            [
                (0, "Closed"),
                (30, "Open"),
                (60, "HalfOpen"),
                (61, "Closed"),
            ],
        )
        .lane("dependency", [(0, "up"), (20, "down"), (55, "up")])
        .until(100)
        .x_label("time (s)")
        .figure();
    let svg = fig.svg();
    assert_well_formed(svg);
    assert_eq!(count(svg, "segment"), 7);
    assert_eq!(
        count(svg, "legend-label"),
        3,
        "up and Closed share green, down and Open red"
    );
    assert_text(svg, "time (s)");
    assert!(fig
        .text()
        .contains("breaker: 0 Closed, 30 Open, 60 HalfOpen, 61 Closed"));
}

fn sweep_table(labels: &[&str]) -> Table {
    let mut rows = Vec::new();
    for (i, l) in labels.iter().enumerate() {
        let ok: Vec<f64> = (0..20)
            .map(|k| f64::from(k % (i as i32 + 2) != 0))
            .collect();
        let x = l.parse().unwrap_or(i as f64);
        rows.push(Row {
            label: l.to_string(),
            x,
            metric: "ok_rate".into(),
            summary: Summary::of(&ok),
        });
        rows.push(Row {
            label: l.to_string(),
            x,
            metric: "latency_ms".into(),
            summary: Summary::of(&[10.0 + i as f64, 12.0, 14.0]),
        });
    }
    Table {
        param: "loss".into(),
        rows,
    }
}

#[test]
fn table_plot_draws_means_with_ci_bands_labelled_by_the_parameter() {
    let t = sweep_table(&["0", "0.1", "0.2", "0.3"]);
    let fig = t.plot("ok_rate").figure();
    let svg = fig.svg();
    assert_well_formed(svg);
    assert_text(svg, "ok_rate vs loss");
    assert_text(svg, "loss");
    assert_text(svg, "ok_rate (mean, 95% CI)");
    assert_eq!(count(svg, "point"), 4);
    assert_eq!(count(svg, "band"), 1);

    let both = plot::table(&t, &[]).figure();
    assert_eq!(count(both.svg(), "series"), 2);
    assert_eq!(count(both.svg(), "legend-label"), 2);

    // Non-numeric parameter values become the tick labels.
    let named = sweep_table(&["1 of 3", "2 of 3", "3 of 3"])
        .plot("ok_rate")
        .figure();
    assert_text(named.svg(), "2 of 3");
}

#[test]
fn table_displays_as_html_and_text() {
    let t = sweep_table(&["0", "0.1"]);
    let bundle = t.mime_bundle();
    assert_eq!(bundle[0].0, "text/html");
    assert!(bundle[0].1.starts_with("<table"));
    assert_eq!(bundle[0].1.matches("<tr>").count(), 5, "header + 4 rows");
    assert!(bundle[0].1.contains("<th>loss</th>"));
    assert_eq!(bundle[1], ("text/plain", t.to_string()));
}

/// Three servers: a → b delivered twice (once as a network duplicate), b → c, c → a, a → c
/// dropped by a partition of c, b → c lost, then c crashes and restarts.
fn three_node_trace() -> Trace {
    let node = |id, name: &str| NodeInfo {
        id,
        name: name.into(),
        role: Role::Server,
    };
    let msg = |id, from, to, sent, fate, dup| MsgRecord {
        id,
        from,
        to,
        label: format!("M{id}"),
        sent_at: ms(sent),
        fate,
        duplicate_of: dup,
    };
    let ev = |at, node, kind| TraceEvent {
        at: ms(at),
        node,
        local: ms(at) + ms(2),
        kind,
    };
    Trace {
        nodes: vec![node(0, "alpha"), node(1, "beta"), node(2, "gamma")],
        messages: vec![
            msg(0, 0, 1, 1, Fate::Delivered(ms(4)), None),
            msg(1, 0, 1, 1, Fate::Delivered(ms(6)), Some(0)),
            msg(2, 1, 2, 5, Fate::Delivered(ms(9)), None),
            msg(3, 2, 0, 10, Fate::Delivered(ms(13)), None),
            msg(
                4,
                0,
                2,
                20,
                Fate::Dropped(ms(20), DropReason::Partition),
                None,
            ),
            msg(5, 1, 2, 32, Fate::Dropped(ms(32), DropReason::Loss), None),
        ],
        events: vec![
            ev(4, Some(1), EventKind::Log { text: "L=2".into() }),
            ev(8, Some(0), EventKind::Timer { tag: 1 }),
            ev(
                15,
                None,
                EventKind::Partition {
                    cut: vec![(0, 2), (2, 0), (1, 2), (2, 1)],
                },
            ),
            ev(30, None, EventKind::Heal),
            ev(35, Some(2), EventKind::Crash),
            ev(40, Some(2), EventKind::Restart),
        ],
        end: ms(45),
    }
}

#[test]
fn spacetime_diagram_shows_messages_drops_partition_and_crash() {
    let trace = three_node_trace();
    let fig = trace.diagram().clocks().figure();
    let svg = fig.svg();
    assert_well_formed(svg);
    for name in ["alpha", "beta", "gamma"] {
        assert_text(svg, name);
    }
    assert_eq!(count(svg, "node-line"), 3);
    assert_eq!(
        count(svg, "msg delivered"),
        3,
        "delivered originals are solid arrows"
    );
    assert_eq!(
        count(svg, "msg duplicate"),
        1,
        "the duplicate is drawn apart"
    );
    assert!(
        svg.contains("stroke-dasharray=\"5,3\" marker-end"),
        "duplicates are dashed"
    );
    assert_eq!(count(svg, "msg dropped"), 2);
    assert_eq!(
        count(svg, "drop-mark"),
        2,
        "each dropped message ends in a ×"
    );
    assert_eq!(count(svg, "partition-band"), 1);
    assert_text(svg, "partition {alpha, beta} | {gamma}");
    assert_eq!(count(svg, "crash-band"), 1);
    assert_eq!(count(svg, "timer"), 1);
    assert_eq!(count(svg, "log-text"), 1);
    assert_text(svg, "L=2");
    assert_text(svg, "c=6");
    assert_text(svg, "time (ms)");
    // Arrowheads: every delivered message (duplicates included) ends in one.
    assert_eq!(svg.matches("marker-end=").count(), 4);
    let text = fig.text();
    assert!(
        text.contains("6 messages from 0 to 45 ms: 4 delivered, 2 dropped, 1 duplicate"),
        "{text}"
    );
    assert!(text.contains("partition {alpha, beta} | {gamma} from 15 to 30 ms"));
    assert!(text.contains("gamma crashed from 35 to 40 ms"));
}

#[test]
fn spacetime_window_and_message_cap() {
    let trace = three_node_trace();
    let early = trace.diagram().window(ms(0), ms(12)).figure();
    assert_eq!(count(early.svg(), "msg delivered"), 3);
    assert_eq!(count(early.svg(), "msg dropped"), 0);
    assert_eq!(count(early.svg(), "partition-band"), 0);
    let capped = trace.diagram().max_messages(2).figure();
    assert_eq!(
        count(capped.svg(), "msg delivered") + count(capped.svg(), "msg duplicate"),
        2
    );
    assert!(capped.text().contains("first 2 of 6 drawn"));
}

#[test]
fn empty_inputs_still_render() {
    for fig in [
        plot::line("empty").figure(),
        plot::bar("empty").figure(),
        plot::histogram("empty", Vec::<f64>::new()).figure(),
        plot::cdf("empty").figure(),
        plot::heatmap("empty").figure(),
        plot::timeline("empty").figure(),
        plot::spacetime(&Trace::default()).figure(),
    ] {
        assert_well_formed(fig.svg());
        assert!(!fig.svg().contains("NaN"), "{}", fig.title());
    }
}

#[test]
fn every_chart_kind_can_be_retitled() {
    let history = faultline::history::History::default();
    for fig in [
        plot::line("old").title("new").figure(),
        plot::bar("old").title("new").figure(),
        plot::histogram("old", [1.0]).title("new").figure(),
        plot::cdf("old").title("new").figure(),
        plot::heatmap("old").title("new").figure(),
        plot::timeline("old").title("new").figure(),
        plot::history(&history).title("new").figure(),
        plot::spacetime(&Trace::default()).title("new").figure(),
    ] {
        assert_eq!(fig.title(), "new");
        assert!(fig.svg().contains(">new</text>"), "{}", fig.svg());
    }
}

#[test]
fn text_is_escaped() {
    let fig = plot::line("a < b & \"c\"").series("x<y", [(0, 1)]).figure();
    assert_well_formed(fig.svg());
    assert!(fig.svg().contains("a &lt; b &amp; &quot;c&quot;"));
}

#[test]
fn figures_save_as_svg_and_display_as_svg_plus_text() {
    let fig: Figure = plot::line("Saved").series("s", [(0, 1), (1, 2)]).into();
    let dir = std::env::temp_dir().join(format!("faultline-plots-{}", std::process::id()));
    let path = dir.join("sub/saved.svg");
    fig.save(&path).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), fig.svg());
    let err = fig.save(dir.join("saved.png")).unwrap_err();
    assert!(err.to_string().contains(".svg"));
    std::fs::remove_dir_all(&dir).unwrap();

    let bundle = fig.mime_bundle();
    assert_eq!(bundle[0].0, "image/svg+xml");
    assert_eq!(bundle[1].0, "text/plain");
}

#[test]
fn times_plot_in_milliseconds() {
    let fig = plot::line("t")
        .series("s", [(ms(1), 1.0), (Time(2_500), 2.0)])
        .figure();
    assert!(fig.text().contains("(1, 1) (2.5, 2)"), "{}", fig.text());
}

#[test]
fn history_diagram_has_a_bar_per_operation_coloured_by_outcome() {
    use faultline::history::{History, OpKind, Outcome};
    let mut h = History::default();
    let w = h.invoke(0, OpKind::Write { key: 1, value: 5 }, ms(1));
    let r = h.invoke(1, OpKind::Read { key: 1 }, ms(2));
    let c = h.invoke(
        1,
        OpKind::Cas {
            key: 1,
            expected: 4,
            new: 6,
        },
        ms(5),
    );
    h.invoke(2, OpKind::Read { key: 1 }, ms(7));
    h.complete(w, Outcome::Ok(None), ms(6));
    h.complete(r, Outcome::Ok(Some(5)), ms(4));
    h.complete(c, Outcome::Fail, ms(8));
    let fig = h.diagram().names_from(&three_node_trace()).figure();
    let svg = fig.svg();
    assert_well_formed(svg);
    assert_eq!(count(svg, "op ok"), 2);
    assert_eq!(count(svg, "op fail"), 1);
    assert_eq!(count(svg, "op unknown"), 1, "the pending read");
    for name in ["alpha", "beta", "gamma", "write 5", "read → 5", "cas 4→6"] {
        assert_text(svg, name);
    }
    assert!(fig
        .text()
        .contains("4 operations by 3 clients: 2 ok, 1 failed, 1 unknown"));
}

#[test]
fn busy_runs_draw_the_first_messages_and_say_so() {
    let node = |id, name: &str| NodeInfo {
        id,
        name: name.into(),
        role: Role::Server,
    };
    let messages = (0..300)
        .map(|i| MsgRecord {
            id: i,
            from: i % 2,
            to: 1 - i % 2,
            label: "Ping".into(),
            sent_at: ms(i as u64),
            fate: Fate::Delivered(ms(i as u64) + ms(1)),
            duplicate_of: None,
        })
        .collect();
    let trace = Trace {
        nodes: vec![node(0, "a"), node(1, "b")],
        messages,
        events: vec![],
        end: ms(301),
    };
    let fig = trace.diagram().figure();
    assert_eq!(count(fig.svg(), "msg delivered"), 120);
    assert_text(fig.svg(), "first 120 of 300 messages");
    assert!(fig.text().contains("from 0 to 120 ms"), "{}", fig.text());
    assert_eq!(
        count(fig.svg(), "msg-label"),
        0,
        "no labels on a busy diagram"
    );
}

#[test]
fn large_series_stay_small() {
    let pts: Vec<(f64, f64)> = (0..100_000)
        .map(|i| (f64::from(i), f64::from(i).sin()))
        .collect();
    let line = plot::line("big").series("sin", &pts).figure();
    assert!(line.svg().len() < 100_000, "{} bytes", line.svg().len());
    let path = line
        .svg()
        .lines()
        .find(|l| l.contains("class=\"line\""))
        .unwrap();
    // Each pixel column keeps its extremes: the band of the sine is still drawn top to bottom.
    assert!(path.matches(" L").count() < 4 * 720 /* the figure width */);
    let dots = plot::scatter("big").series("sin", &pts).figure();
    assert_eq!(count(dots.svg(), "dots"), 1);
    assert!(dots.svg().len() < 1_000_000, "{} bytes", dots.svg().len());
}

#[test]
fn table_bars_have_error_bars() {
    let t = sweep_table(&["none", "MAC", "MAC + nonce"]);
    let fig = t.bar("ok_rate").figure();
    let svg = fig.svg();
    assert_well_formed(svg);
    assert_eq!(count(svg, "bar"), 3);
    assert_eq!(count(svg, "error-bar"), 3);
    assert_text(svg, "MAC + nonce");
    assert_text(svg, "ok_rate (mean, 95% CI)");
    assert!(fig.text().contains("MAC: 0.65 ["), "{}", fig.text());
    let both = plot::table_bar(&t, &[]).figure();
    assert_eq!(count(both.svg(), "bar"), 6);
    assert_eq!(count(both.svg(), "legend-label"), 2);
}

#[test]
fn time_axes_pick_a_readable_unit() {
    let mut trace = three_node_trace();
    for m in &mut trace.messages {
        m.sent_at = m.sent_at * 1000;
        if let Fate::Delivered(t) = &mut m.fate {
            *t = *t * 1000;
        }
    }
    trace.events.clear();
    trace.end = ms(45_000);
    let svg = trace.diagram().figure().svg().to_string();
    assert_text(&svg, "time (s)");
    assert_text(&svg, "30");
    let tiny = Trace {
        end: Time(900),
        ..three_node_trace()
    }
    .diagram()
    .window(Time(0), Time(900))
    .figure();
    assert_text(tiny.svg(), "time (µs)");
}

#[test]
fn pauses_in_flight_messages_and_one_way_cuts_are_drawn() {
    let mut trace = three_node_trace();
    trace.messages.push(MsgRecord {
        id: 6,
        from: 1,
        to: 0,
        label: "Late".into(),
        sent_at: ms(42),
        fate: Fate::InFlight,
        duplicate_of: None,
    });
    trace.events.push(TraceEvent {
        at: ms(2),
        node: Some(0),
        local: ms(2),
        kind: EventKind::Pause { until: ms(5) },
    });
    trace
        .events
        .retain(|e| !matches!(e.kind, EventKind::Partition { .. }));
    trace.events.insert(
        0,
        TraceEvent {
            at: ms(15),
            node: None,
            local: ms(15),
            kind: EventKind::Partition { cut: vec![(0, 1)] },
        },
    );
    let fig = trace.diagram().figure();
    let svg = fig.svg();
    assert_well_formed(svg);
    assert_eq!(count(svg, "pause-band"), 1);
    assert_eq!(count(svg, "msg inflight"), 1);
    assert_text(svg, "in flight");
    assert_text(svg, "partition: alpha→beta cut");
}

#[test]
fn lamport_and_vector_timestamps_are_written_on_the_diagram() {
    let trace = three_node_trace();
    let lamport = trace.diagram().lamport().figure();
    assert!(count(lamport.svg(), "stamp") >= 6, "{}", lamport.svg());
    let vector = trace.diagram().vector_clocks().figure();
    // alpha receives gamma's message: max([2,0,0], [1,2,2]) then tick alpha.
    assert_text(vector.svg(), "[3,2,2]");
    assert_eq!(
        count(trace.diagram().figure().svg(), "stamp"),
        0,
        "off by default"
    );
}
