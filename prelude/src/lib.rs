//! Faultline: a deterministic, seeded discrete-event simulator (work in progress).
pub mod prelude {}
