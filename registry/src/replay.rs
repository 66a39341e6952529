//! Replay helpers shared by the grants audit ([`crate::audit`]) and the records audit
//! (`records_audit`): walking a log, and comparing stored histories, rows and nodes with
//! replayed ones.

use crate::roots;
use ark_bn254::Fr;
use std::collections::{BTreeMap, HashMap};
use zkconsent_circuits::{merkle::zero_hashes, types::Timestamp};

/// Applies `apply(event, expected sequence number)` to the events of a log in order, the
/// sequence numbers counting from 1, up to the first failure: the number of events applied,
/// and the failure.
pub(crate) fn replay_log<E, F>(
    log: &[E],
    mut apply: impl FnMut(&E, u64) -> Result<(), F>,
) -> (u64, Option<F>) {
    for (applied, e) in (0u64..).zip(log) {
        if let Err(f) = apply(e, applied + 1) {
            return (applied, Some(f));
        }
    }
    (log.len() as u64, None)
}

/// How a stored root history differs from a replayed one.
pub(crate) enum HistoryMismatch {
    /// Wrong number of rows.
    Length { found: usize, expected: usize },
    /// The first row (0-based) that differs.
    Row(usize),
}

/// One row of the root history a log implies.
pub(crate) struct ReplayedRoot<R> {
    pub root: R,
    pub created_at: Timestamp,
    /// Whether the event that made it current emptied a leaf.
    pub removes: bool,
}

impl<R> ReplayedRoot<R> {
    /// The empty tree's root, current since time 0, made by no event.
    pub(crate) fn empty(root: R) -> Self {
        Self {
            root,
            created_at: Timestamp(0),
            removes: false,
        }
    }
}

/// Compares a stored root history (either tree's) with the replayed one.
///
/// A stored `removes` must be set wherever the replay's is; it may also be set on an append:
/// that only shortens the acceptance of earlier roots, and files upgraded to schema version 4
/// carry it on every older row. A missing one would stretch a revoked root's life: a finding.
pub(crate) fn compare_histories<R: PartialEq>(
    stored: &[roots::RootRecord<R>],
    replayed: &[ReplayedRoot<R>],
) -> Result<(), HistoryMismatch> {
    if stored.len() != replayed.len() {
        return Err(HistoryMismatch::Length {
            found: stored.len(),
            expected: replayed.len(),
        });
    }
    for (position, (row, want)) in stored.iter().zip(replayed).enumerate() {
        // Row k is superseded when row k + 1 is created; the last is current.
        let superseded_at = replayed.get(position + 1).map(|next| next.created_at);
        // The empty root's creation time is set at `create`, not by an event.
        let created_ok = position == 0 || row.created_at == want.created_at;
        let removes_ok = row.removes || !want.removes;
        if row.root != want.root || !created_ok || row.superseded_at != superseded_at || !removes_ok
        {
            return Err(HistoryMismatch::Row(position));
        }
    }
    Ok(())
}

/// Walks two lists of rows ordered by leaf index in step: the leaf index of the first
/// difference (the lower index of the first pair that is not `same`, or the first row that
/// has no partner), `None` when they agree.
pub(crate) fn first_difference<S, R>(
    stored: impl IntoIterator<Item = (u64, S)>,
    replayed: impl IntoIterator<Item = (u64, R)>,
    same: impl Fn(&S, &R) -> bool,
) -> Option<u64> {
    let (mut stored, mut replayed) = (stored.into_iter(), replayed.into_iter());
    loop {
        match (stored.next(), replayed.next()) {
            (None, None) => return None,
            (Some((i, s)), Some((j, r))) => {
                if i != j || !same(&s, &r) {
                    return Some(i.min(j));
                }
            }
            (Some((i, _)), None) | (None, Some((i, _))) => return Some(i),
        }
    }
}

/// Compares stored nodes (either tree's) with the replayed tree's, ignoring empty-subtree
/// values on both sides (storing one is allowed, see `NodeStore::put`). `Err((level, idx))`
/// names the first node that differs.
pub(crate) fn compare_nodes(
    stored: &[((u64, u64), Fr)],
    replayed: &HashMap<(usize, u64), Fr>,
    depth: usize,
) -> Result<(), (u64, u64)> {
    let zeros = zero_hashes(depth);
    let is_zero =
        |level: u64, v: &Fr| usize::try_from(level).ok().and_then(|l| zeros.get(l)) == Some(v);
    let mut want: BTreeMap<(u64, u64), Fr> = replayed
        .iter()
        .map(|(&(l, i), v)| ((l as u64, i), *v))
        .filter(|((l, _), v)| !is_zero(*l, v))
        .collect();
    for &((level, idx), v) in stored {
        if is_zero(level, &v) {
            continue;
        }
        if want.remove(&(level, idx)) != Some(v) {
            return Err((level, idx));
        }
    }
    match want.keys().next() {
        Some(&(level, idx)) => Err((level, idx)),
        None => Ok(()),
    }
}
