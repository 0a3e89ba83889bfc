//! Topic: quorums (notebook 12). The arithmetic, quorum reads and writes over versioned
//! replicas, and a linearizable register built with read repair.

pub mod arithmetic;
pub mod read_repair;
pub mod replicas;
