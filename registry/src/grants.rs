//! Issuing and revoking grants, each behind a verifying grant-authority proof, and reading
//! grants, leaves and paths.

use super::{
    codec::{fr_col, fr_to_blob, opt_u64_col, text_col, u64_col, u64_to_sql, CorruptValue},
    events::{self, NewEvent},
    roots::{self, Transition},
    store::{with_tree, Tree},
    write_tx, Registry, RegistryError,
};
use ark_bn254::Fr;
use rusqlite::Connection;
use zkconsent_circuits::{
    authority::{AuthorityPublic, GrantAction},
    merkle::{MerklePath, EMPTY_LEAF},
    types::{GrantCommitment, GrantsRoot, Timestamp},
};
use zkconsent_verifier::{verify, PreparedVerifyingKey, Proof};

/// Whether a grant's leaf is live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantStatus {
    /// The leaf holds the commitment.
    Active,
    /// The leaf was zeroed.
    Revoked,
}

impl GrantStatus {
    /// The stored name: `active` or `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
        }
    }
}

/// A grant as the registry knows it: a commitment, never the fields behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrantRecord {
    /// Leaf index, assigned sequentially from 0.
    pub index: u64,
    /// The leaf commitment.
    pub commitment: GrantCommitment,
    /// Active or revoked.
    pub status: GrantStatus,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

impl GrantRecord {
    fn from_row(row: &rusqlite::Row<'_>) -> Result<Self, RegistryError> {
        let status = match text_col(row, 2, "grants.status")?.as_str() {
            "active" => GrantStatus::Active,
            "revoked" => GrantStatus::Revoked,
            _ => return Err(CorruptValue::new("grants.status", "unknown status").into()),
        };
        Ok(Self {
            index: u64_col(row, 0, "grants.leaf_index")?,
            commitment: GrantCommitment(fr_col(row, 1, "grants.commitment")?),
            status,
            issued_at: Timestamp(u64_col(row, 3, "grants.issued_at")?),
            revoked_at: opt_u64_col(row, 4, "grants.revoked_at")?.map(Timestamp),
        })
    }
}

const GRANT_COLUMNS: &str =
    "SELECT leaf_index, commitment, status, issued_at, revoked_at FROM grants";

fn query_grants(
    conn: &Connection,
    filter: &str,
    param: impl rusqlite::Params,
) -> Result<Vec<GrantRecord>, RegistryError> {
    let mut stmt = conn.prepare_cached(&format!("{GRANT_COLUMNS} {filter}"))?;
    let mut rows = stmt.query(param)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(GrantRecord::from_row(row)?);
    }
    Ok(out)
}

pub(crate) fn all(conn: &Connection) -> Result<Vec<GrantRecord>, RegistryError> {
    query_grants(conn, "ORDER BY leaf_index", [])
}

fn by_index(conn: &Connection, index: u64) -> Result<Option<GrantRecord>, RegistryError> {
    Ok(query_grants(conn, "WHERE leaf_index = ?1", [u64_to_sql(index)])?.pop())
}

fn by_commitment(
    conn: &Connection,
    commitment: GrantCommitment,
) -> Result<Option<GrantRecord>, RegistryError> {
    Ok(query_grants(conn, "WHERE commitment = ?1", [fr_to_blob(&commitment.0)])?.pop())
}

/// Checks an authority proof for `action` on `commitment`.
fn authorise(
    pvk: &PreparedVerifyingKey,
    action: GrantAction,
    commitment: GrantCommitment,
    proof: &Proof,
) -> Result<(), RegistryError> {
    let public = AuthorityPublic { action, commitment };
    verify(pvk, &public.to_field_elements(), proof).map_err(RegistryError::Unauthorized)
}

impl Registry {
    /// Appends a grant leaf at the next index, given a grant-authority proof for
    /// `(Issue, commitment)` under the authority verifying key `pvk`.
    ///
    /// The proof is verified before the database is touched. A commitment is issued at most
    /// once, ever: otherwise the logged issue proof of a revoked grant could be replayed to
    /// reinstate it.
    ///
    /// # Errors
    ///
    /// [`RegistryError::ZeroCommitment`], [`RegistryError::Unauthorized`],
    /// [`RegistryError::DuplicateCommitment`], [`RegistryError::TreeFull`],
    /// [`RegistryError::TimeWentBackwards`], or a database error; nothing changes on error.
    pub fn issue_grant(
        &mut self,
        pvk: &PreparedVerifyingKey,
        commitment: GrantCommitment,
        proof: &Proof,
        now: Timestamp,
    ) -> Result<u64, RegistryError> {
        if commitment.0 == EMPTY_LEAF {
            return Err(RegistryError::ZeroCommitment);
        }
        authorise(pvk, GrantAction::Issue, commitment, proof)?;
        self.checked_for_writing()?;
        let (depth, zeros, clock) = (self.depth, &self.zeros, self.clock);
        let tx = write_tx(&mut self.conn)?;
        let now = Registry::stamp(clock, now);
        if let Some(earlier) = by_commitment(&tx, commitment)? {
            return Err(RegistryError::DuplicateCommitment {
                index: earlier.index,
            });
        }
        let last = roots::latest(&tx)?;
        check_time(now, last.created_at)?;
        let next: Option<i64> =
            tx.query_row("SELECT MAX(leaf_index) FROM grants", [], |r| r.get(0))?;
        let index = match next {
            None => 0,
            Some(max) => zkconsent_store::codec::u64_from_sql(max)
                .checked_add(1)
                .ok_or(RegistryError::TreeFull)?,
        };
        if index >= 1u64 << depth {
            return Err(RegistryError::TreeFull);
        }
        let (root_before, root_after) = with_tree(&tx, Tree::Grants, zeros, depth, |tree| {
            let before = tree.root();
            Ok((before, tree.set(index, commitment.0)?))
        })?;
        if root_before != last.root {
            return Err(RegistryError::Inconsistent(
                "tree root differs from root history",
            ));
        }
        tx.execute(
            "INSERT INTO grants (leaf_index, commitment, status, issued_at, revoked_at)
             VALUES (?1, ?2, 'active', ?3, NULL)",
            (
                u64_to_sql(index),
                fr_to_blob(&commitment.0),
                u64_to_sql(now.0),
            ),
        )?;
        roots::append(&tx, root_after, now, Transition::Appends)?;
        events::append(
            &tx,
            &NewEvent {
                kind: GrantAction::Issue,
                leaf_index: index,
                commitment,
                proof,
                root_before,
                root_after,
                at: now,
            },
        )?;
        tx.commit()?;
        Ok(index)
    }

    /// Zeroes the leaf of the active grant at `index`, given a grant-authority proof for
    /// `(Revoke, commitment stored at index)`.
    ///
    /// # Errors
    ///
    /// [`RegistryError::UnknownGrant`], [`RegistryError::AlreadyRevoked`],
    /// [`RegistryError::Unauthorized`], [`RegistryError::TimeWentBackwards`], or a database
    /// error; nothing changes on error.
    pub fn revoke_grant(
        &mut self,
        pvk: &PreparedVerifyingKey,
        index: u64,
        proof: &Proof,
        now: Timestamp,
    ) -> Result<(), RegistryError> {
        self.checked_for_writing()?;
        let (depth, zeros, clock) = (self.depth, &self.zeros, self.clock);
        let tx = write_tx(&mut self.conn)?;
        let now = Registry::stamp(clock, now);
        let record = by_index(&tx, index)?.ok_or(RegistryError::UnknownGrant(index))?;
        if record.status == GrantStatus::Revoked {
            return Err(RegistryError::AlreadyRevoked(index));
        }
        authorise(pvk, GrantAction::Revoke, record.commitment, proof)?;
        let last = roots::latest(&tx)?;
        check_time(now, last.created_at)?;
        let (leaf, root_before, root_after) = with_tree(&tx, Tree::Grants, zeros, depth, |tree| {
            let leaf = tree.leaf(index)?;
            let before = tree.root();
            Ok((leaf, before, tree.set(index, EMPTY_LEAF)?))
        })?;
        if leaf != record.commitment.0 || root_before != last.root {
            return Err(RegistryError::Inconsistent(
                "tree differs from grants or root history",
            ));
        }
        tx.execute(
            "UPDATE grants SET status = 'revoked', revoked_at = ?2 WHERE leaf_index = ?1",
            (u64_to_sql(index), u64_to_sql(now.0)),
        )?;
        roots::append(&tx, root_after, now, Transition::Removes)?;
        events::append(
            &tx,
            &NewEvent {
                kind: GrantAction::Revoke,
                leaf_index: index,
                commitment: record.commitment,
                proof,
                root_before,
                root_after,
                at: now,
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The current grants root (read from the stored tree).
    ///
    /// # Errors
    ///
    /// A database error or a corrupt node.
    pub fn current_root(&self) -> Result<GrantsRoot, RegistryError> {
        let tx = self.read_tx()?;
        with_tree(&tx, Tree::Grants, &self.zeros, self.depth, |tree| {
            Ok(tree.root())
        })
    }

    /// The inclusion path of leaf slot `index` in the current tree.
    ///
    /// # Errors
    ///
    /// [`RegistryError::Merkle`] past the last slot, a database error or a corrupt node.
    pub fn path(&self, index: u64) -> Result<MerklePath, RegistryError> {
        let tx = self.read_tx()?;
        with_tree(&tx, Tree::Grants, &self.zeros, self.depth, |tree| {
            tree.path(index)
        })
    }

    /// The current tree's root and the path of `index`, read in one snapshot (a prover
    /// needs both to agree).
    ///
    /// # Errors
    ///
    /// As [`Registry::path`].
    pub fn root_and_path(&self, index: u64) -> Result<(GrantsRoot, MerklePath), RegistryError> {
        let tx = self.read_tx()?;
        with_tree(&tx, Tree::Grants, &self.zeros, self.depth, |tree| {
            Ok((tree.root(), tree.path(index)?))
        })
    }

    /// The leaf at `index` ([`EMPTY_LEAF`] if never issued or revoked).
    ///
    /// # Errors
    ///
    /// As [`Registry::path`].
    pub fn leaf(&self, index: u64) -> Result<Fr, RegistryError> {
        let tx = self.read_tx()?;
        with_tree(&tx, Tree::Grants, &self.zeros, self.depth, |tree| {
            tree.leaf(index)
        })
    }

    /// The grant issued at `index`, if any.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn grant(&self, index: u64) -> Result<Option<GrantRecord>, RegistryError> {
        by_index(&self.conn, index)
    }

    /// Every grant ever issued, by leaf index.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn grants(&self) -> Result<Vec<GrantRecord>, RegistryError> {
        all(&self.conn)
    }

    /// The grant with this commitment, if it was ever issued.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt row.
    pub fn find_grant(
        &self,
        commitment: GrantCommitment,
    ) -> Result<Option<GrantRecord>, RegistryError> {
        by_commitment(&self.conn, commitment)
    }
}

/// Root history must not run backwards, or root ages would be meaningless.
pub(super) fn check_time(now: Timestamp, last: Timestamp) -> Result<(), RegistryError> {
    if now < last {
        Err(RegistryError::TimeWentBackwards {
            now: now.0,
            last: last.0,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::test_support::{keys, party, temp_registry, try_prove};
    use rand::{rngs::StdRng, Rng, SeedableRng};
    use zkconsent_circuits::{
        authority::{check, AuthorityError, AuthorityPrivate},
        merkle::{zero_hashes, SparseMerkleTree},
    };
    use zkconsent_verifier::VerifyError;

    #[test]
    fn issue_changes_root_and_paths_verify() {
        let (_dir, _path, mut reg) = temp_registry(4);
        let empty = reg.current_root().unwrap();
        assert_eq!(empty.0, zero_hashes(4)[4]);
        let (a, b) = (party(1), party(2));
        assert_eq!(a.issue(&mut reg, 100), 0);
        let root_a = reg.current_root().unwrap();
        assert_ne!(root_a, empty);
        assert_eq!(b.issue(&mut reg, 110), 1);
        let root = reg.current_root().unwrap();
        for (i, p) in [(0, &a), (1, &b)] {
            let c = p.grant.commit();
            assert_eq!(reg.leaf(i).unwrap(), c.0);
            assert!(reg.path(i).unwrap().verify_membership(root, c.0));
            let rec = reg.find_grant(c).unwrap().unwrap();
            assert_eq!(reg.grant(i).unwrap(), Some(rec));
            assert_eq!(
                (rec.index, rec.status, rec.revoked_at),
                (i, GrantStatus::Active, None)
            );
        }
        assert_eq!(reg.grant(1).unwrap().unwrap().issued_at, Timestamp(110));
        assert_eq!(reg.grants().unwrap().len(), 2);
        assert!(reg.grant(2).unwrap().is_none());
        let (r, p) = reg.root_and_path(1).unwrap();
        assert!(p.verify_membership(r, b.grant.commit().0));
        assert!(matches!(reg.path(16), Err(RegistryError::Merkle(_))));
        let log = reg.events().unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(
            (log[0].kind, log[0].root_before, log[0].root_after),
            (GrantAction::Issue, empty, root_a)
        );
        assert_eq!(
            (log[1].seq, log[1].at, log[1].root_after),
            (2, Timestamp(110), root)
        );
        assert_eq!(log[1].proof.len(), 128);
    }

    #[test]
    fn revoke_zeroes_the_leaf_and_supersedes_the_root() {
        let (_dir, _path, mut reg) = temp_registry(4);
        let (a, b) = (party(3), party(4));
        a.issue(&mut reg, 100);
        b.issue(&mut reg, 110);
        let before = reg.current_root().unwrap();
        a.revoke(&mut reg, 0, 200);
        let after = reg.current_root().unwrap();
        assert_ne!(after, before);
        assert_eq!(reg.leaf(0).unwrap(), EMPTY_LEAF);
        assert!(reg.path(0).unwrap().verify_membership(after, EMPTY_LEAF));
        assert!(reg
            .path(1)
            .unwrap()
            .verify_membership(after, b.grant.commit().0));
        let old = reg.root_record(before).unwrap().unwrap();
        assert_eq!(old.superseded_at, Some(Timestamp(200)));
        assert_eq!(reg.root_record(after).unwrap().unwrap().superseded_at, None);
        let rec = reg.grant(0).unwrap().unwrap();
        assert_eq!(
            (rec.status, rec.revoked_at),
            (GrantStatus::Revoked, Some(Timestamp(200)))
        );
        let pvk = &keys().pvk;
        let revoke = a.proof(GrantAction::Revoke, 9);
        assert!(matches!(
            reg.revoke_grant(pvk, 0, &revoke, Timestamp(300)),
            Err(RegistryError::AlreadyRevoked(0))
        ));
        assert!(matches!(
            reg.revoke_grant(pvk, 5, &revoke, Timestamp(300)),
            Err(RegistryError::UnknownGrant(5))
        ));
        // The logged issue proof cannot reinstate a revoked grant.
        let replay = Proof::from_bytes(&reg.events().unwrap()[0].proof).unwrap();
        assert!(matches!(
            reg.issue_grant(pvk, a.grant.commit(), &replay, Timestamp(300)),
            Err(RegistryError::DuplicateCommitment { index: 0 })
        ));
        assert_eq!(reg.current_root().unwrap(), after);
        assert_eq!(reg.events().unwrap().len(), 3);
    }

    #[test]
    fn proofs_bound_to_another_secret_leaf_or_action_are_rejected() {
        let (_dir, _path, mut reg) = temp_registry(4);
        let pvk = &keys().pvk;
        let (a, b) = (party(5), party(6));
        let c = a.grant.commit();
        // The clinician's secret is not the patient's: the relation is false, and whatever
        // the prover outputs does not verify.
        let public = AuthorityPublic {
            action: GrantAction::Issue,
            commitment: c,
        };
        let private = AuthorityPrivate {
            patient_secret: a.grantee.clone(),
            grant: a.grant.clone(),
        };
        assert_eq!(check(&public, &private), Err(AuthorityError::NotThePatient));
        if let Some(forged) = try_prove(&public, &private, 77) {
            assert!(matches!(
                reg.issue_grant(pvk, c, &forged, Timestamp(100)),
                Err(RegistryError::Unauthorized(VerifyError::InvalidProof))
            ));
        }
        // A real proof for another leaf.
        let other = b.proof(GrantAction::Issue, 1);
        assert!(matches!(
            reg.issue_grant(pvk, c, &other, Timestamp(100)),
            Err(RegistryError::Unauthorized(VerifyError::InvalidProof))
        ));
        // A real revoke proof for this leaf cannot issue it.
        let revoke = a.proof(GrantAction::Revoke, 2);
        assert!(matches!(
            reg.issue_grant(pvk, c, &revoke, Timestamp(100)),
            Err(RegistryError::Unauthorized(_))
        ));
        assert!(matches!(
            reg.issue_grant(pvk, GrantCommitment(EMPTY_LEAF), &other, Timestamp(100)),
            Err(RegistryError::ZeroCommitment)
        ));
        assert!(reg.events().unwrap().is_empty());
        let issue = a.proof(GrantAction::Issue, 3);
        assert_eq!(reg.issue_grant(pvk, c, &issue, Timestamp(100)).unwrap(), 0);
        // Issuing twice, and an issue proof used to revoke, are rejected.
        assert!(matches!(
            reg.issue_grant(pvk, c, &issue, Timestamp(100)),
            Err(RegistryError::DuplicateCommitment { index: 0 })
        ));
        assert!(matches!(
            reg.revoke_grant(pvk, 0, &issue, Timestamp(100)),
            Err(RegistryError::Unauthorized(_))
        ));
        // Another patient's revoke proof cannot revoke this leaf.
        let b_revoke = b.proof(GrantAction::Revoke, 4);
        assert!(matches!(
            reg.revoke_grant(pvk, 0, &b_revoke, Timestamp(100)),
            Err(RegistryError::Unauthorized(_))
        ));
        // Time must not run backwards.
        let b_issue = b.proof(GrantAction::Issue, 5);
        assert!(matches!(
            reg.issue_grant(pvk, b.grant.commit(), &b_issue, Timestamp(99)),
            Err(RegistryError::TimeWentBackwards { now: 99, last: 100 })
        ));
        assert_eq!(reg.grant(0).unwrap().unwrap().status, GrantStatus::Active);
        assert_eq!(reg.events().unwrap().len(), 1);
    }

    #[test]
    fn a_full_tree_refuses_more_grants() {
        let (_dir, _path, mut reg) = temp_registry(1);
        party(7).issue(&mut reg, 1);
        party(8).issue(&mut reg, 2);
        let p = party(9);
        let proof = p.proof(GrantAction::Issue, 3);
        assert!(matches!(
            reg.issue_grant(&keys().pvk, p.grant.commit(), &proof, Timestamp(3)),
            Err(RegistryError::TreeFull)
        ));
    }

    /// The registry's tree agrees with the circuits crate's in-memory tree after a random
    /// sequence of issues and revokes, and survives reopening.
    #[test]
    fn differential_against_in_memory_tree_and_reopen() {
        let (_dir, path, mut reg) = temp_registry(4);
        let mut model = SparseMerkleTree::new(4).unwrap();
        let mut rng = StdRng::seed_from_u64(42);
        let mut active: Vec<(u64, crate::test_support::Party)> = Vec::new();
        let mut next_party = 100;
        for step in 0..14u64 {
            let now = 1_000 + 10 * step;
            if active.is_empty() || rng.gen_bool(0.65) {
                let p = party(next_party);
                next_party += 1;
                let i = p.issue(&mut reg, now);
                model.set(i, p.grant.commit().0).unwrap();
                active.push((i, p));
            } else {
                let (i, p) = active.swap_remove(rng.gen_range(0..active.len()));
                p.revoke(&mut reg, i, now);
                model.set(i, EMPTY_LEAF).unwrap();
            }
            assert_eq!(reg.current_root().unwrap(), model.root(), "step {step}");
        }
        let root = model.root();
        for i in 0..16 {
            assert_eq!(reg.path(i).unwrap(), model.path(i).unwrap());
            assert!(reg
                .path(i)
                .unwrap()
                .verify_membership(root, model.leaf(i).unwrap()));
        }
        let (grants, history, log) = (
            reg.grants().unwrap(),
            reg.root_history().unwrap(),
            reg.events().unwrap(),
        );
        assert_eq!(history.len(), 15);
        assert!(reg.audit(&keys().pvk).unwrap().is_consistent());
        drop(reg);
        let reg = Registry::open(&path).unwrap();
        assert_eq!(reg.depth(), 4);
        assert_eq!(reg.current_root().unwrap(), root);
        assert_eq!(reg.grants().unwrap(), grants);
        assert_eq!(reg.root_history().unwrap(), history);
        assert_eq!(reg.events().unwrap(), log);
    }
}
