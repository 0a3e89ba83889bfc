//! A Jepsen-style history: what clients asked for, when, and what they were told.
//!
//! Checkers read histories, never node internals, so they judge what a user could observe.

use crate::time::Time;
use crate::trace::NodeId;
use std::fmt;

/// An operation's index in its history.
pub type OpId = usize;

/// Keys and values of the built-in register / key-value model.
pub type Key = u64;
pub type Value = i64;

/// What a client asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpKind {
    Read {
        key: Key,
    },
    Write {
        key: Key,
        value: Value,
    },
    /// Compare-and-set: write `new` only if the current value is `expected`.
    Cas {
        key: Key,
        expected: Value,
        new: Value,
    },
    /// Anything else, by name; the linearizability checker ignores these.
    Other(String),
}

impl OpKind {
    /// The key the operation touches, if it is a register operation.
    pub fn key(&self) -> Option<Key> {
        match self {
            OpKind::Read { key } | OpKind::Write { key, .. } | OpKind::Cas { key, .. } => {
                Some(*key)
            }
            OpKind::Other(_) => None,
        }
    }
}

/// What the client was told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Succeeded; reads carry the value seen (`None`: the key was never written).
    Ok(Option<Value>),
    /// Definitely did not take effect.
    Fail,
    /// May or may not have taken effect (a timeout, a lost reply, or still pending at the end).
    Unknown,
}

/// One operation, from invocation to completion.
#[derive(Clone, Debug, PartialEq)]
pub struct Op {
    pub id: OpId,
    pub client: NodeId,
    pub kind: OpKind,
    pub invoked: Time,
    /// When the client learnt the outcome; `None` for operations still pending at the end.
    pub completed: Option<Time>,
    pub outcome: Outcome,
}

impl Op {
    /// Latency for completed operations.
    pub fn latency(&self) -> Option<Time> {
        self.completed.map(|c| c - self.invoked)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line_by(&format!("c{}", self.client)))
    }
}

impl Op {
    /// The operation as a listing line, its client called `client`.
    fn line_by(&self, client: &str) -> String {
        let end = self
            .completed
            .map(|t| t.to_string())
            .unwrap_or_else(|| "…".into());
        format!(
            "op {} by {client}: {:?} [{} .. {}] → {:?}",
            self.id, self.kind, self.invoked, end, self.outcome
        )
    }
}

/// `names[client]`, or `c<id>` (a client's default name) when the history has no name for it.
pub(crate) fn client_name(names: &[String], client: NodeId) -> String {
    names
        .get(client)
        .cloned()
        .unwrap_or_else(|| format!("c{client}"))
}

/// Every client operation of a run, in invocation order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    pub ops: Vec<Op>,
    /// Node names by id, as the run named them, so the history, its diagram and the checkers
    /// call a client what the space-time diagram calls it. Empty for a history built by hand.
    pub names: Vec<String>,
}

impl History {
    /// What to call `client`: the run's name for it, or `c<id>` (a client's default name).
    pub fn name(&self, client: NodeId) -> String {
        client_name(&self.names, client)
    }

    /// One operation as the history lists it, its client called by name.
    pub fn describe(&self, op: &Op) -> String {
        op.line_by(&self.name(op.client))
    }

    /// Starts an operation; returns its id for the matching completion.
    pub fn invoke(&mut self, client: NodeId, kind: OpKind, at: Time) -> OpId {
        let id = self.ops.len();
        self.ops.push(Op {
            id,
            client,
            kind,
            invoked: at,
            completed: None,
            outcome: Outcome::Unknown,
        });
        id
    }

    /// Completes an operation. Completing an unknown id or completing twice is ignored, so a
    /// buggy client cannot rewrite what it already reported.
    pub fn complete(&mut self, id: OpId, outcome: Outcome, at: Time) {
        if let Some(op) = self.ops.get_mut(id) {
            if op.completed.is_none() {
                op.completed = Some(at);
                op.outcome = outcome;
            }
        }
    }

    /// Operations that completed with `Ok`.
    pub fn ok(&self) -> impl Iterator<Item = &Op> {
        self.ops
            .iter()
            .filter(|o| matches!(o.outcome, Outcome::Ok(_)))
    }

    /// Fraction of operations that completed `Ok` (1.0 for an empty history).
    pub fn ok_rate(&self) -> f64 {
        if self.ops.is_empty() {
            return 1.0;
        }
        self.ok().count() as f64 / self.ops.len() as f64
    }

    /// Latencies of successful operations, in milliseconds.
    pub fn ok_latencies_ms(&self) -> Vec<f64> {
        self.ok()
            .filter_map(|o| o.latency())
            .map(|t| t.as_ms())
            .collect()
    }
}

impl fmt::Display for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for op in &self.ops {
            writeln!(f, "{}", self.describe(op))?;
        }
        Ok(())
    }
}
