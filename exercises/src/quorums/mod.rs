//! Quorums: the arithmetic, quorum reads and writes, a linearizable register. Taught in
//! notebooks/12-quorums.ipynb.

pub mod arithmetic;
pub mod read_repair;
pub mod replicas;
