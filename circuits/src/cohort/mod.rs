//! Statement 4, Cohort (researchers): being written.
