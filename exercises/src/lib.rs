//! Graded exercises (placeholder until the exercises issue lands).
