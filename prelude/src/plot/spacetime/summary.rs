//! The diagram's text fallback: what was drawn, the outages, and the start of the trace listing.

use super::backdrop::ms;
use super::frame::Frame;
use crate::plot::axes::fmt_value;
use crate::trace::{Fate, NodeId, Trace};
use std::fmt::Write as _;

/// The plain-text summary shown where SVG is not (and read by screen readers and tests).
pub(super) fn text(f: &Frame, title: &str, logs_hidden: usize) -> String {
    let tr = f.tr;
    let count = |p: &dyn Fn(&Fate) -> bool| f.msgs.iter().filter(|m| p(&m.fate)).count();
    let delivered = count(&|fate| matches!(fate, Fate::Delivered(_)));
    let dropped = count(&|fate| matches!(fate, Fate::Dropped(..)));
    let dups = f.msgs.iter().filter(|m| m.duplicate_of.is_some()).count();
    let names: Vec<&str> = tr.nodes.iter().map(|n| n.name.as_str()).collect();
    let mut t = format!(
        "{title}: {} nodes ({}), {} messages from {} to {} ms: {delivered} delivered, {dropped} dropped, {dups} duplicate{}",
        tr.nodes.len(),
        names.join(", "),
        f.msgs.len(),
        fmt_value(f.t0.as_ms()),
        fmt_value(f.t1.as_ms()),
        if dups == 1 { "" } else { "s" },
    );
    if f.truncated() {
        let _ = write!(
            t,
            " (first {} of {} drawn; zoom with .window(from, to) or raise .max_messages(n))",
            f.msgs.len(),
            f.total_in_window
        );
    }
    t.push('.');
    for (a, b, cut) in &f.outages.partitions {
        let label = partition_label(tr, cut);
        let _ = write!(t, "\n  {label} from {} to {} ms", ms(a), ms(b));
    }
    for (node, intervals) in f.outages.crashes.iter().enumerate() {
        for (a, b) in intervals {
            let who = &tr.nodes[node].name;
            let _ = write!(t, "\n  {who} crashed from {} to {} ms", ms(a), ms(b));
        }
    }
    if logs_hidden > 0 {
        let _ = write!(
            t,
            "\n  ({logs_hidden} log texts too crowded to draw; zoom with .window())"
        );
    }
    listing_head(tr, &mut t);
    t
}

/// The first 40 lines of the trace's own listing; skipped for huge traces, where formatting
/// every line just to show forty would dominate the time to draw.
fn listing_head(tr: &Trace, t: &mut String) {
    if tr.messages.len() + tr.events.len() > 20_000 {
        return;
    }
    let listing = tr.to_string();
    let lines: Vec<&str> = listing.lines().collect();
    t.push_str("\n\n");
    for l in lines.iter().take(40) {
        t.push_str(l);
        t.push('\n');
    }
    if lines.len() > 40 {
        let _ = writeln!(t, "… {} more lines", lines.len() - 40);
    }
}

/// "partition {a, b} | {c}" — the groups of nodes that can still talk to each other; or, for
/// cuts that split no group off (one-way links), the first links cut.
pub(super) fn partition_label(tr: &Trace, cut: &[(NodeId, NodeId)]) -> String {
    let groups = connected_groups(tr, cut);
    if groups.len() > 1 {
        let g: Vec<String> = groups
            .iter()
            .map(|g| format!("{{{}}}", g.join(", ")))
            .collect();
        return format!("partition {}", g.join(" | "));
    }
    let name = |i: NodeId| tr.nodes.get(i).map(|n| n.name.as_str()).unwrap_or("?");
    let links: Vec<String> = cut
        .iter()
        .take(3)
        .map(|(a, b)| format!("{}→{}", name(*a), name(*b)))
        .collect();
    format!(
        "partition: {} cut{}",
        links.join(", "),
        if cut.len() > 3 { ", …" } else { "" }
    )
}

/// The names of the nodes in each group still connected (in either direction) despite `cut`,
/// groups in order of their first node.
fn connected_groups<'t>(tr: &'t Trace, cut: &[(NodeId, NodeId)]) -> Vec<Vec<&'t str>> {
    let nn = tr.nodes.len();
    let mut comp: Vec<usize> = (0..nn).collect();
    fn find(c: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while c[r] != r {
            r = c[r];
        }
        c[i] = r;
        r
    }
    for i in 0..nn {
        for j in (i + 1)..nn {
            if !cut.contains(&(i, j)) && !cut.contains(&(j, i)) {
                let (a, b) = (find(&mut comp, i), find(&mut comp, j));
                comp[a] = b;
            }
        }
    }
    let mut groups: Vec<Vec<&str>> = Vec::new();
    let mut roots: Vec<usize> = Vec::new();
    for i in 0..nn {
        let r = find(&mut comp, i);
        match roots.iter().position(|x| *x == r) {
            Some(k) => groups[k].push(&tr.nodes[i].name),
            None => {
                roots.push(r);
                groups.push(vec![&tr.nodes[i].name]);
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{NodeInfo, Role};

    fn nodes(n: usize) -> Trace {
        Trace {
            nodes: (0..n)
                .map(|id| NodeInfo {
                    id,
                    name: format!("n{id}"),
                    role: Role::Server,
                })
                .collect(),
            ..Trace::default()
        }
    }

    #[test]
    fn a_partition_is_named_by_its_groups() {
        let cut = [(0, 1), (1, 0), (0, 2), (2, 0)];
        assert_eq!(
            partition_label(&nodes(3), &cut),
            "partition {n0} | {n1, n2}"
        );
    }

    #[test]
    fn a_one_way_cut_is_named_by_its_links() {
        assert_eq!(
            partition_label(&nodes(2), &[(0, 1)]),
            "partition {n0} | {n1}"
        );
        assert_eq!(
            partition_label(&nodes(3), &[(0, 1)]),
            "partition: n0→n1 cut"
        );
    }
}
