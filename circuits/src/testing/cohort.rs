//! Cohort fixtures: being written.
