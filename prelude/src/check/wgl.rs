//! The search behind the linearizability checker: Wing & Gong's backtracking, made fast by
//! Lowe's memoisation.
//!
//! The history of one register is a list of call and return events in time order. We walk the
//! list looking for an operation whose call we have reached that can take effect *now* on the
//! current register value; if one can, we "linearize" it (remove its events, update the value)
//! and start again from the head. Reaching a return event means that operation should already
//! have taken effect, so we undo the last choice and try the next candidate. Operations with no
//! return event (outcome unknown) may be left out altogether: reaching the end of the list with
//! only their calls left is success. A *skippable* operation has a return event, but reaching
//! it is not a dead end: the search may also continue as if the operation never happened.
//!
//! Two configurations with the same set of linearized operations and the same register value
//! have the same future, so each is explored once (the memo); that is what turns an exponential
//! search into milliseconds on realistic histories. The memo stores a 128-bit fingerprint per
//! configuration (Zobrist hashing: one random key per operation, XORed in and out as operations
//! are linearized and undone), not the set itself: constant time and 16 bytes per configuration
//! whatever the history's length. Two configurations would have to collide in 128 bits to
//! confuse it (odds around 10^-26 at the default budget). A budget on explored configurations
//! keeps a pathological history from hanging a notebook.
//!
//! One more reduction: a value that no read or compare-and-set in the history expects is
//! "dead" — from it only writes can proceed — so all dead values share one fingerprint. With
//! unique values per write (the usual workload) most writes are overwritten unread, and this
//! collapses the configurations that differ only in which unread write came last.

use crate::history::Value;
use crate::time::Time;
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// What an operation does to the register, as the search sees it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Saw this value (`None`: never written).
    Read(Option<Value>),
    Write(Value),
    Cas {
        expected: Value,
        new: Value,
    },
}

impl Step {
    /// The value this step proves the register held: what a read saw, or what a
    /// compare-and-set expected.
    pub(crate) fn observed(self) -> Option<Value> {
        match self {
            Step::Read(seen) => seen,
            Step::Cas { expected, .. } => Some(expected),
            Step::Write(_) => None,
        }
    }

    /// The register's value after this step from `state`, or `None` if it cannot happen there.
    fn apply(self, state: Option<Value>) -> Option<Option<Value>> {
        match self {
            Step::Read(seen) => (seen == state).then_some(state),
            Step::Write(v) => Some(Some(v)),
            Step::Cas { expected, new } => (state == Some(expected)).then_some(Some(new)),
        }
    }
}

/// One operation as the search sees it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub step: Step,
    pub call: Time,
    /// `None`: may take effect at any time after `call`, or never (an unknown outcome).
    pub ret: Option<Time>,
    /// May be left out even though it has a return: "took effect before `ret`, or never".
    /// Explanations use it to test which successful operations a conflict really needs.
    pub skippable: bool,
}

impl Entry {
    /// Where this operation's call sorts among events: (time, rank within the instant).
    /// Within one instant: returns of ordinary operations, then instantaneous operations (call,
    /// then return), then calls of ordinary operations.
    pub fn call_key(&self) -> (Time, u8) {
        (self.call, if self.ret == Some(self.call) { 1 } else { 3 })
    }

    /// Where this operation's return sorts among events, if it has one.
    pub fn ret_key(&self) -> Option<(Time, u8)> {
        self.ret.map(|r| (r, if r == self.call { 2 } else { 0 }))
    }
}

/// The search's answer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    Linearizable,
    Violation,
    /// The budget ran out first.
    OutOfBudget,
}

/// Search budget, shared by several searches: configurations still allowed.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Budget(pub u64);

/// How an operation left the event list, so backtracking can undo it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Move {
    /// Linearized at its call: on undo, try the next candidate after it.
    Applied,
    /// Resolved at its return (skipped, or an unread write forced in): on undo, back up further.
    AtReturn,
    /// An unread write slipped in just before the next `Applied` write; undone with it.
    Carried,
}

/// Is there an order of `ops`, each taking effect between its call and return (optional ones
/// possibly never), under which every read and compare-and-set sees the register's value?
///
/// Ties: a return and a call at the same instant count as "return first" (a client that learns
/// an outcome and sends its next request in the same handler is sequential); an operation that
/// starts and ends in the same instant is concurrent with others of that instant.
///
/// Unread writes (of a value no read or compare-and-set expects) get special handling. After
/// one, the register holds a value nothing accepts, so the next operation must be another write
/// that erases it without trace. Any order can therefore be rearranged so that each unread
/// write sits right before the first write made once it could start — or, if none comes
/// before its return, at its return. The search only tries those places: it carries every
/// startable unread write along with each write it applies, and forces the rest in at their
/// returns. That removes the choice of *when* each unread write happened, which is what makes
/// histories with many concurrent clients and unique values explode.
pub(crate) fn search(ops: &[Entry], budget: &mut Budget) -> Found {
    let mut list = EventList::new(ops);
    let keys: Vec<u128> = (0..ops.len() as u64).map(|i| mix128(i, 0x5EED)).collect();
    let observed: HashSet<Value> = ops.iter().filter_map(|e| e.step.observed()).collect();
    let unread: Vec<bool> = ops
        .iter()
        .map(|e| matches!(e.step, Step::Write(v) if !observed.contains(&v)))
        .collect();
    let any_unread = unread.contains(&true);
    let fingerprint = |state: Option<Value>| match state {
        Some(v) if !observed.contains(&v) => DEAD,
        _ => fingerprint(state),
    };
    // Fingerprint of the set of operations resolved so far (linearized or skipped).
    let mut done: u128 = 0;
    let mut seen: HashSet<u128, BuildHasherDefault<LowBits>> = HashSet::default();
    // (operation, register value before it, how it was resolved)
    let mut stack: Vec<(usize, Option<Value>, Move)> = Vec::new();
    let mut state: Option<Value> = None;
    let mut carried: Vec<usize> = Vec::new();
    let mut at = list.first();
    loop {
        let Some(node) = at else {
            // Only calls of optional operations remain: every required one took effect.
            return Found::Linearizable;
        };
        let (op, is_call) = list.event(node);
        let next = match (is_call, ops[op].skippable) {
            (true, _) if unread[op] => None,
            (true, _) => ops[op].step.apply(state),
            (false, true) => Some(state),
            (false, false) if unread[op] => ops[op].step.apply(state),
            (false, false) => None,
        };
        if let Some(next) = next {
            // Unread writes that could start by now ride along with an applied write.
            carried.clear();
            if any_unread && is_call && matches!(ops[op].step, Step::Write(_)) {
                let mut n = list.first();
                while let Some(m) = n {
                    let (other, other_is_call) = list.event(m);
                    if !other_is_call {
                        break;
                    }
                    if unread[other] && other != op {
                        carried.push(other);
                    }
                    n = list.after(m);
                }
            }
            let after = carried.iter().fold(done ^ keys[op], |f, &c| f ^ keys[c]);
            if seen.insert(after ^ fingerprint(next)) {
                if budget.0 == 0 {
                    return Found::OutOfBudget;
                }
                budget.0 -= 1;
                for &c in &carried {
                    stack.push((c, state, Move::Carried));
                    list.lift(c);
                }
                stack.push((
                    op,
                    state,
                    if is_call {
                        Move::Applied
                    } else {
                        Move::AtReturn
                    },
                ));
                list.lift(op);
                done = after;
                state = next;
                at = list.first();
                continue;
            }
        }
        if !is_call {
            // `op` had to take effect before its return, and nothing we tried allowed it.
            let Some((prev, before, how)) = stack.pop() else {
                return Found::Violation;
            };
            state = before;
            done ^= keys[prev];
            list.unlift(prev);
            while let Some(&(c, _, Move::Carried)) = stack.last() {
                stack.pop();
                done ^= keys[c];
                list.unlift(c);
            }
            // After a move at a return, resume at that return (the move is now in the memo, so
            // this backs up further); after an application, try the next candidate.
            at = match how {
                Move::AtReturn => list.ret_node[prev],
                _ => list.after(list.call_node(prev)),
            };
            continue;
        }
        at = list.after(node);
    }
}

/// SplitMix64's finaliser, twice with different streams: 128 well-mixed bits from `x`.
fn mix128(x: u64, stream: u64) -> u128 {
    let one = |mut z: u64| {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let hi = one(x ^ stream.rotate_left(32));
    let lo = one(hi ^ x ^ stream);
    (u128::from(hi) << 64) | u128::from(lo)
}

/// The fingerprint shared by every value nothing observes.
const DEAD: u128 = 0xDEAD_0000_0000_0000_0000_0000_0000_BEEF;

/// A register value's contribution to a configuration's fingerprint.
fn fingerprint(state: Option<Value>) -> u128 {
    match state {
        None => mix128(0, 0x0E),
        Some(v) => mix128(v as u64, 0x5E7),
    }
}

/// Fingerprints are already uniformly random: hash them by taking their low bits.
#[derive(Default)]
struct LowBits(u64);

impl Hasher for LowBits {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u128(&mut self, x: u128) {
        self.0 = x as u64;
    }
}

/// Call and return events in time order, as a doubly linked list so operations can be removed
/// and put back in O(1) ("dancing links"). Node 0 is the head sentinel and `len + 1` the tail.
struct EventList {
    /// (operation, is call) per node; index 0 and the tail are unused.
    events: Vec<(usize, bool)>,
    next: Vec<usize>,
    prev: Vec<usize>,
    call_node: Vec<usize>,
    ret_node: Vec<Option<usize>>,
}

impl EventList {
    fn new(ops: &[Entry]) -> EventList {
        let mut keyed: Vec<((Time, u8), usize, bool)> = Vec::with_capacity(ops.len() * 2);
        for (i, e) in ops.iter().enumerate() {
            keyed.push((e.call_key(), i, true));
            if let Some(r) = e.ret_key() {
                keyed.push((r, i, false));
            }
        }
        keyed.sort_unstable();
        let n = keyed.len();
        let mut events = vec![(0, false); n + 2];
        let mut call_node = vec![0; ops.len()];
        let mut ret_node = vec![None; ops.len()];
        for (k, &(_, op, is_call)) in keyed.iter().enumerate() {
            events[k + 1] = (op, is_call);
            if is_call {
                call_node[op] = k + 1;
            } else {
                ret_node[op] = Some(k + 1);
            }
        }
        EventList {
            events,
            next: (1..=n + 2).collect(),
            prev: (0..n + 2).map(|i| i.saturating_sub(1)).collect(),
            call_node,
            ret_node,
        }
    }

    fn tail(&self) -> usize {
        self.events.len() - 1
    }

    fn first(&self) -> Option<usize> {
        self.after(0)
    }

    fn after(&self, node: usize) -> Option<usize> {
        let n = self.next[node];
        (n != self.tail()).then_some(n)
    }

    fn event(&self, node: usize) -> (usize, bool) {
        self.events[node]
    }

    fn call_node(&self, op: usize) -> usize {
        self.call_node[op]
    }

    fn unlink(&mut self, x: usize) {
        let (p, n) = (self.prev[x], self.next[x]);
        self.next[p] = n;
        self.prev[n] = p;
    }

    fn relink(&mut self, x: usize) {
        let (p, n) = (self.prev[x], self.next[x]);
        self.next[p] = x;
        self.prev[n] = x;
    }

    fn lift(&mut self, op: usize) {
        self.unlink(self.call_node[op]);
        if let Some(r) = self.ret_node[op] {
            self.unlink(r);
        }
    }

    /// Undoes `lift(op)`; lifts must be undone in reverse order.
    fn unlift(&mut self, op: usize) {
        if let Some(r) = self.ret_node[op] {
            self.relink(r);
        }
        self.relink(self.call_node[op]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::ms;

    fn op(step: Step, call: u64, ret: Option<u64>) -> Entry {
        Entry {
            step,
            call: ms(call),
            ret: ret.map(ms),
            skippable: false,
        }
    }

    fn check(ops: &[Entry]) -> Found {
        search(ops, &mut Budget(1_000_000))
    }

    #[test]
    fn sequential_register() {
        let ok = [
            op(Step::Read(None), 0, Some(1)),
            op(Step::Write(1), 2, Some(3)),
            op(Step::Read(Some(1)), 4, Some(5)),
        ];
        assert_eq!(check(&ok), Found::Linearizable);
        let stale = [
            op(Step::Write(1), 2, Some(3)),
            op(Step::Read(None), 4, Some(5)),
        ];
        assert_eq!(check(&stale), Found::Violation);
    }

    #[test]
    fn same_instant_return_then_call_is_sequential() {
        // The write returns at 3ms and the read starts at 3ms: the read must see it.
        let h = [
            op(Step::Write(1), 0, Some(3)),
            op(Step::Read(None), 3, Some(4)),
        ];
        assert_eq!(check(&h), Found::Violation);
    }

    #[test]
    fn optional_ops_may_be_skipped_or_taken() {
        let taken = [
            op(Step::Write(1), 0, None),
            op(Step::Read(Some(1)), 5, Some(6)),
        ];
        let skipped = [
            op(Step::Write(1), 0, None),
            op(Step::Read(None), 5, Some(6)),
        ];
        assert_eq!(check(&taken), Found::Linearizable);
        assert_eq!(check(&skipped), Found::Linearizable);
    }

    #[test]
    fn skippable_ops_may_be_left_out_but_not_moved_past_their_return() {
        let mut w = op(Step::Write(1), 0, Some(2));
        w.skippable = true;
        let never = [w, op(Step::Read(None), 5, Some(6))];
        let early = [w, op(Step::Read(Some(1)), 5, Some(6))];
        let late = [
            w,
            op(Step::Read(None), 0, Some(1)),
            op(Step::Read(Some(1)), 5, Some(6)),
        ];
        assert_eq!(check(&never), Found::Linearizable);
        assert_eq!(check(&early), Found::Linearizable);
        assert_eq!(check(&late), Found::Linearizable);
        let w2 = op(Step::Write(2), 3, Some(4));
        let stale = [w, w2, op(Step::Read(Some(1)), 5, Some(6))];
        assert_eq!(
            check(&stale),
            Found::Violation,
            "skipping cannot delay the write"
        );
    }

    #[test]
    fn unread_writes_are_placed_before_the_next_write_or_at_their_return() {
        // 9 is never read: it can only have happened just before the write of 1.
        let before = [
            op(Step::Write(9), 0, Some(10)),
            op(Step::Write(1), 5, Some(6)),
            op(Step::Read(Some(1)), 11, Some(12)),
        ];
        assert_eq!(check(&before), Found::Linearizable);
        // Here the write of 1 finished before the write of 9 began: 9 must have erased it.
        let after = [
            op(Step::Write(1), 0, Some(1)),
            op(Step::Write(9), 2, Some(10)),
            op(Step::Read(Some(1)), 11, Some(12)),
        ];
        assert_eq!(check(&after), Found::Violation);
        // Forced in at its return, then overwritten.
        let forced = [
            op(Step::Write(9), 0, Some(2)),
            op(Step::Read(None), 0, Some(1)),
            op(Step::Write(1), 3, Some(4)),
            op(Step::Read(Some(1)), 5, Some(6)),
        ];
        assert_eq!(check(&forced), Found::Linearizable);
    }

    #[test]
    fn budget_is_enforced() {
        let ops: Vec<Entry> = (0..30)
            .flat_map(|i| {
                [
                    op(Step::Write(i), 0, Some(100)),
                    op(Step::Read(Some(i)), 0, Some(100)),
                ]
            })
            .chain([op(Step::Read(Some(-1)), 0, Some(100))])
            .collect();
        assert_eq!(search(&ops, &mut Budget(1_000)), Found::OutOfBudget);
    }
}
