//! From "no valid order exists" to something a learner can act on: the first operation that
//! cannot be explained, the operations it conflicts with, and why, in plain words.
//!
//! The culprit is found by cutting the history at each completion in turn (binary search): the
//! first cut that is not linearizable ends at the culprit's completion. Operations still running
//! at a cut count as unknown, which only relaxes the history, so once a cut fails every later
//! cut fails too. The culprit is always a read or a successful compare-and-set (a write can
//! always take effect just before it returns).
//!
//! Then the common shapes are named directly — a value nobody wrote, a failed write made
//! visible, a value from the future, a stale read (directly, or via another client that saw a
//! newer value) — each with the two to four operations that prove it. Anything else gets the values the register could have held instead, and a
//! minimal set of successful operations that still conflict when any other operation may be
//! left out (found by letting them be skipped one at a time, latest first).

use super::key_history::KeyHistory;
use super::wgl::{search, Budget, Entry, Found, Step};
use crate::history::{client_name, Key, Op, OpKind, Outcome, Value};
use crate::time::Time;
use std::fmt;

/// A definite linearizability violation on one key.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub key: Key,
    /// The first operation (by completion) that cannot take effect consistently with the ones
    /// before it: always a read or a successful compare-and-set.
    pub culprit: Op,
    /// The culprit and the operations it conflicts with, in invocation order.
    pub ops: Vec<Op>,
    /// What went wrong, in a learner's terms.
    pub explanation: String,
    /// Node names by id, as the history recorded them (see [`History::names`]).
    ///
    /// [`History::names`]: crate::history::History::names
    pub names: Vec<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "not linearizable (key {}): {}",
            self.key, self.explanation
        )?;
        write!(f, "operations involved:")?;
        for op in &self.ops {
            let mark = if op.id == self.culprit.id { "→" } else { " " };
            write!(f, "\n {mark} {}", line(op, &self.names))?;
        }
        Ok(())
    }
}

/// At most this many operations are listed for an irregular violation.
const MAX_LISTED: usize = 10;

/// Search configurations spent at most on shrinking an irregular violation's operation list.
const RELAX_BUDGET: u64 = 200_000;

/// Explains a key history known to be non-linearizable.
pub(crate) fn explain(kh: &KeyHistory, budget: u64) -> Violation {
    let ci = find_culprit(kh, budget);
    let c = kh.all[kh.origin[ci]];
    let (explanation, mut ops) = named_shape(kh, c).unwrap_or_else(|| irregular(kh, ci, budget));
    ops.push(c);
    ops.sort_by_key(|o| o.id);
    ops.dedup_by_key(|o| o.id);
    Violation {
        key: kh.key,
        culprit: c.clone(),
        ops: ops.into_iter().cloned().collect(),
        explanation,
        names: kh.names.to_vec(),
    }
}

/// One line per operation for listings: `#7 n3 read → 1 [12.000ms .. 13.000ms] ok`.
pub(crate) fn line(op: &Op, names: &[String]) -> String {
    let what = match (&op.kind, &op.outcome) {
        (OpKind::Read { .. }, Outcome::Ok(v)) => format!("read → {}", shown(*v)),
        (OpKind::Read { .. }, _) => "read".to_string(),
        (OpKind::Write { value, .. }, _) => format!("write {value}"),
        (OpKind::Cas { expected, new, .. }, _) => format!("cas {expected}→{new}"),
        (OpKind::Other(name), _) => name.clone(),
    };
    let end = op.completed.map_or("…".to_string(), |t| t.to_string());
    let outcome = match op.outcome {
        Outcome::Ok(_) => "ok",
        Outcome::Fail => "failed",
        Outcome::Unknown => "unknown",
    };
    format!(
        "#{} {} {what} [{} .. {end}] {outcome}",
        op.id,
        client_name(names, op.client),
        op.invoked
    )
}

/// The entry (index into `kh.entries`) whose completion first makes the history impossible.
fn find_culprit(kh: &KeyHistory, budget: u64) -> usize {
    let mut order: Vec<usize> = (0..kh.entries.len())
        .filter(|&i| kh.entries[i].ret.is_some())
        .collect();
    order.sort_by_key(|&i| (kh.entries[i].ret_key(), i));
    // Invariant: the cut at order[hi] is known to fail (the last cut is the whole history).
    let (mut lo, mut hi) = (0, order.len() - 1);
    while lo < hi {
        let mid = (lo + hi) / 2;
        let (cut, _) = prefix(kh, order[mid]);
        match search(&cut, &mut Budget(budget)) {
            Found::Violation => hi = mid,
            Found::Linearizable => lo = mid + 1,
            // Undecidable within budget: settle for the earliest cut known to fail.
            Found::OutOfBudget => break,
        }
    }
    order[hi]
}

/// The history up to and including entry `last`'s completion: operations begun by then, those
/// still running relaxed to unknown (running reads dropped). Returns the entries and, for each,
/// its index in `kh.entries`.
fn prefix(kh: &KeyHistory, last: usize) -> (Vec<Entry>, Vec<usize>) {
    let cut = (kh.entries[last].ret_key(), last);
    let mut entries = Vec::new();
    let mut index = Vec::new();
    for (i, e) in kh.entries.iter().enumerate() {
        if (Some(e.call_key()), i) >= cut {
            continue;
        }
        let done = e.ret.is_some() && (e.ret_key(), i) <= cut;
        if done {
            entries.push(*e);
        } else if matches!(e.step, Step::Read(_)) {
            continue;
        } else {
            entries.push(Entry { ret: None, ..*e });
        }
        index.push(i);
    }
    (entries, index)
}

/// Did `a` certainly take effect before `b` began? Only successful operations are known to have
/// taken effect by their completion; a timed-out request may still land later.
fn precedes(a: &Op, b: &Op) -> bool {
    let (Outcome::Ok(_), Some(done)) = (&a.outcome, a.completed) else {
        return false;
    };
    let instant = |o: &Op| o.completed == Some(o.invoked);
    done < b.invoked || (done == b.invoked && !(instant(a) && instant(b)))
}

/// The value an operation writes, if it may have written one (failed ones included).
fn written(op: &Op) -> Option<Value> {
    match op.kind {
        OpKind::Write { value, .. } => Some(value),
        OpKind::Cas { new, .. } => Some(new),
        _ => None,
    }
}

/// The register value a successful operation proves held at its instant (after it, for
/// writes): `Some(None)` for a read that saw nothing.
fn established(op: &Op) -> Option<Option<Value>> {
    match (&op.kind, &op.outcome) {
        (OpKind::Read { .. }, Outcome::Ok(seen)) => Some(*seen),
        (OpKind::Write { value, .. }, Outcome::Ok(_)) => Some(Some(*value)),
        (OpKind::Cas { new, .. }, Outcome::Ok(_)) => Some(Some(*new)),
        _ => None,
    }
}

/// What the culprit claims the register held.
fn seen_by(c: &Op) -> Option<Value> {
    match (&c.kind, &c.outcome) {
        (OpKind::Cas { expected, .. }, _) => Some(*expected),
        (_, Outcome::Ok(seen)) => *seen,
        _ => None,
    }
}

fn shown(v: Option<Value>) -> String {
    v.map_or("nothing".to_string(), |v| v.to_string())
}

/// "The read by n3 at 12.000ms returned 1", in the culprit's own terms.
fn intro(kh: &KeyHistory, c: &Op, key: u64) -> String {
    match (&c.kind, &c.outcome) {
        (OpKind::Cas { expected, new, .. }, _) => format!(
            "the compare-and-set {expected}→{new} by {} at {} succeeded, so it found {expected}",
            kh.name(c),
            c.invoked
        ),
        (_, Outcome::Ok(None)) => format!(
            "the read by {} at {} returned nothing (as if key {key} had never been written)",
            kh.name(c),
            c.invoked
        ),
        _ => format!(
            "the read by {} at {} returned {}",
            kh.name(c),
            c.invoked,
            shown(seen_by(c))
        ),
    }
}

/// A successful operation as evidence: "the write of 2 by n4 completed at 10.000ms".
fn evidence(kh: &KeyHistory, x: &Op) -> (String, &'static str) {
    let done = x.completed.unwrap_or(Time::MAX);
    match (&x.kind, &x.outcome) {
        (OpKind::Read { .. }, Outcome::Ok(v)) => (
            format!(
                "the read by {} had already returned {} at {done}",
                kh.name(x),
                shown(*v)
            ),
            "read",
        ),
        (OpKind::Cas { expected, new, .. }, _) => (
            format!(
                "the compare-and-set {expected}→{new} by {} completed at {done}",
                kh.name(x)
            ),
            "compare-and-set",
        ),
        _ => (
            format!(
                "the write of {} by {} completed at {done}",
                shown(written(x)),
                kh.name(x)
            ),
            "write",
        ),
    }
}

fn sentence(s: String) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => s,
    }
}

/// The common shapes of violation, each proved by a handful of operations.
fn named_shape<'h>(kh: &KeyHistory<'h>, c: &'h Op) -> Option<(String, Vec<&'h Op>)> {
    let key = kh.key;
    let intro = intro(kh, c, key);
    let others = || kh.all.iter().copied().filter(move |o| o.id != c.id);
    let Some(v) = seen_by(c) else {
        // Saw "never written": any write known to have finished before it began refutes it.
        let x = others()
            .filter(|x| matches!(established(x), Some(Some(_))) && precedes(x, c))
            .max_by_key(|x| (x.completed, x.id))?;
        let (proof, _) = evidence(kh, x);
        let text = format!("{intro}, but {proof}, before it began, so the key had been written.");
        return Some((sentence(text), vec![x]));
    };
    let writers: Vec<&Op> = others().filter(|o| written(o) == Some(v)).collect();
    if writers.is_empty() {
        let text = format!("{intro}, but no client ever wrote {v} to key {key}.");
        return Some((sentence(text), vec![]));
    }
    let live: Vec<&Op> = writers
        .iter()
        .copied()
        .filter(|o| o.outcome != Outcome::Fail)
        .collect();
    if live.is_empty() {
        let first = writers[0];
        let text = format!(
            "{intro}, but every write of {v} failed (the first by {} at {}), and a failed \
             write must never become visible.",
            kh.name(first),
            first.invoked
        );
        return Some((sentence(text), writers.into_iter().take(3).collect()));
    }
    let possible: Vec<&Op> = live.iter().copied().filter(|w| !precedes(c, w)).collect();
    if possible.is_empty() {
        let first = live[0];
        let text = format!(
            "{intro}, but no write of {v} had begun before it finished: the first, by {}, \
             began at {}.",
            kh.name(first),
            first.invoked
        );
        return Some((sentence(text), vec![first]));
    }
    let last = possible
        .iter()
        .copied()
        .max_by_key(|w| (w.completed, w.id))?;
    let last_done = last.completed.unwrap_or(Time::MAX);
    // Stale: something else was established after every write of v and before c began.
    let x = others()
        .filter(|x| {
            established(x).is_some_and(|u| u != Some(v))
                && precedes(x, c)
                && possible.iter().all(|w| precedes(w, x))
        })
        .max_by_key(|x| (x.completed, x.id));
    if let Some(x) = x {
        let (proof, noun) = evidence(kh, x);
        let text = format!(
            "{intro}, but {proof}, before it began, and every write of {v} had finished before \
             that {noun} started (the last, by {}, at {last_done}), so key {key} could no \
             longer hold {v}.",
            kh.name(last),
        );
        return Some((sentence(text), vec![last, x]));
    }
    // Stale, one step removed: an operation saw u after every write of v had finished, so u
    // was written after them; and every write of u finished before c began.
    let (r, u, last_u) = others()
        .filter_map(|r| {
            let u = match (&r.kind, &r.outcome) {
                (OpKind::Read { .. }, Outcome::Ok(Some(u))) => *u,
                (OpKind::Cas { expected, .. }, Outcome::Ok(_)) => *expected,
                _ => return None,
            };
            if u == v || !possible.iter().all(|w| precedes(w, r)) {
                return None;
            }
            let u_writers: Vec<&Op> = others()
                .filter(|o| o.id != r.id && o.outcome != Outcome::Fail && written(o) == Some(u))
                .collect();
            if !u_writers.iter().all(|w| precedes(w, c)) {
                return None;
            }
            let last_u = u_writers.into_iter().max_by_key(|w| (w.completed, w.id))?;
            Some((r, u, last_u))
        })
        .max_by_key(|(r, _, _)| (r.completed, r.id))?;
    let saw = match r.kind {
        OpKind::Cas { expected, new, .. } => {
            format!(
                "the compare-and-set {expected}→{new} by {} found {u}",
                kh.name(r)
            )
        }
        _ => format!("the read by {} from {} returned {u}", kh.name(r), r.invoked),
    };
    let text = format!(
        "{intro}, but {saw} after every write of {v} had finished (the last, by {}, at \
         {last_done}), so {u} was written later; and every write of {u} had finished before \
         this began (the last, by {}, at {}), so key {key} could no longer hold {v}.",
        kh.name(last),
        kh.name(last_u),
        last_u.completed.unwrap_or(Time::MAX)
    );
    Some((sentence(text), vec![last, r, last_u]))
}

/// Any other violation: the values the register could have held, and a small conflicting set.
fn irregular<'h>(kh: &KeyHistory<'h>, ci: usize, budget: u64) -> (String, Vec<&'h Op>) {
    let c = kh.all[kh.origin[ci]];
    let (cut, index) = prefix(kh, ci);
    let at = index
        .iter()
        .position(|&i| i == ci)
        .expect("culprit is in its own cut");
    let mut budget = Budget(budget);

    // Which values could the culprit have seen? Ask the search with the culprit as a probe.
    let mut candidates: Vec<Option<Value>> = vec![None];
    candidates.extend(cut.iter().filter_map(|e| match e.step {
        Step::Write(v) | Step::Cas { new: v, .. } => Some(Some(v)),
        Step::Read(_) => None,
    }));
    candidates.sort();
    candidates.dedup();
    let mut could = Vec::new();
    for s in candidates.into_iter().take(32) {
        let mut probe = cut.clone();
        probe[at].step = Step::Read(s);
        if search(&probe, &mut budget) == Found::Linearizable {
            could.push(s);
        }
    }
    let key = kh.key;
    let mut text = format!(
        "{}, but no order of the operations consistent with their timing allows that",
        intro(kh, c, key)
    );
    if !could.is_empty() {
        let names: Vec<String> = could.iter().map(|v| shown(*v)).collect();
        let list = match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => names.join(""),
        };
        text += &format!(": while it ran, key {key} could only have held {list}");
    }
    text += ". The operations listed cannot all have happened as reported.";

    // Let successful operations be left out, latest first, while the conflict remains.
    let mut budget = Budget(budget.0.min(RELAX_BUDGET));
    let mut relaxed = cut.clone();
    let mut order: Vec<usize> = (0..cut.len())
        .filter(|&i| i != at && cut[i].ret.is_some())
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse((cut[i].call, i)));
    let mut kept = Vec::new();
    for (n, &i) in order.iter().enumerate() {
        relaxed[i].skippable = true;
        match search(&relaxed, &mut budget) {
            Found::Violation => {}
            Found::Linearizable => {
                relaxed[i].skippable = false;
                kept.push(i);
            }
            Found::OutOfBudget => {
                relaxed[i].skippable = false;
                kept.extend(&order[n..]);
                break;
            }
        }
    }
    kept.sort_by_key(|&i| std::cmp::Reverse((cut[i].call, i)));
    let mut ops: Vec<&Op> = kept
        .into_iter()
        .take(MAX_LISTED - 2)
        .map(|i| kh.all[kh.origin[index[i]]])
        .collect();
    // Where the culprit's value came from: the latest write of it that could have been seen.
    let source = kh
        .all
        .iter()
        .copied()
        .filter(|w| {
            w.id != c.id
                && w.outcome != Outcome::Fail
                && written(w) == seen_by(c)
                && !precedes(c, w)
        })
        .max_by_key(|w| (w.invoked, w.id));
    ops.extend(source);
    (sentence(text), ops)
}
