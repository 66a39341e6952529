//! Test helpers: record candidates, a fake registry and a wallet of schema version 3.

use super::{records::RecordCandidate, Wallet, WalletError};
use ark_bn254::Fr;
use rand::rngs::StdRng;
use std::path::Path;
use zkconsent_circuits::{
    record::{Record, RecordFields, RecordKind, ResourceIdentity, ScaledValue},
    types::{CodeId, EpochDay, IdentityId, RecordCommitment, RecordSalt, ResourceDigest},
};

/// A Condition `c<id>` (or any kind) of `patient` at version `digest`, about `subject`.
pub(crate) fn candidate(
    rng: &mut StdRng,
    patient: IdentityId,
    kind: RecordKind,
    id: &str,
    digest: u64,
    subject: Option<&str>,
) -> RecordCandidate {
    RecordCandidate {
        resource_id: id.into(),
        record: Record {
            fields: RecordFields {
                kind,
                code: CodeId(Fr::from(5u64)),
                date: EpochDay(18_000),
                end_date: EpochDay::NONE,
                value: ScaledValue(u64::MAX), // all 64 bits survive the INTEGER column
                related_code: CodeId::default(),
                coverage: CodeId::default(),
                digest: ResourceDigest(Fr::from(digest)),
                // The largest field element: all 32 bytes survive the BLOB column.
                identity: ResourceIdentity(-Fr::from(1u64)),
            },
            patient,
            salt: RecordSalt::random(rng),
        },
        subject: subject.map(str::to_owned),
    }
}

/// A fake registry's records tree: where the next leaf goes, and every call made.
#[derive(Default)]
pub(crate) struct FakeRegistry {
    pub next: u64,
    pub calls: Vec<(Vec<RecordCommitment>, Vec<u64>)>,
}

impl FakeRegistry {
    /// A registry whose next free leaf is `next`.
    pub fn at(next: u64) -> Self {
        Self {
            next,
            calls: Vec::new(),
        }
    }

    /// The `append` closure [`Wallet::anchor_records`] calls.
    pub fn append(
        &mut self,
    ) -> impl FnOnce(&[RecordCommitment], &[u64]) -> Result<u64, WalletError> + '_ {
        move |leaves, superseded| {
            let first = self.next;
            self.next += leaves.len() as u64;
            self.calls.push((leaves.to_vec(), superseded.to_vec()));
            Ok(first)
        }
    }
}

/// An `append` that must not be called.
pub(crate) fn no_append(
    leaves: &[RecordCommitment],
    superseded: &[u64],
) -> Result<u64, WalletError> {
    panic!(
        "nothing may be appended: {} leaves, superseded {superseded:?}",
        leaves.len()
    )
}

/// The records table of wallet schema versions 2 and 3.
const TEN_FIELD_RECORDS: &str = "
CREATE TABLE records (
    leaf_index   INTEGER PRIMARY KEY,
    kind         INTEGER NOT NULL,
    resource_id  TEXT NOT NULL,
    code         BLOB NOT NULL,
    date         INTEGER NOT NULL,
    end_date     INTEGER NOT NULL,
    value        INTEGER NOT NULL,
    related_code BLOB NOT NULL,
    patient      BLOB NOT NULL,
    coverage     BLOB NOT NULL,
    digest       BLOB NOT NULL,
    salt         BLOB NOT NULL,
    patient_name TEXT NOT NULL,
    anchored_at  INTEGER NOT NULL,
    UNIQUE (kind, resource_id, digest)
);
CREATE INDEX records_by_resource ON records (kind, resource_id, leaf_index);
";

/// Writes a wallet of schema `version` (2 or 3) holding `rows` as its record openings at
/// leaves 0.., with the old DDL.
pub(crate) fn old_wallet(path: &Path, version: u32, rows: &[RecordCandidate], patient_name: &str) {
    use zkconsent_store::codec::{fr_to_blob, u64_to_sql};
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(super::TABLES).unwrap();
    conn.execute_batch(TEN_FIELD_RECORDS).unwrap();
    if version == 3 {
        conn.execute_batch(super::requests::TABLES).unwrap();
    }
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('format', ?1), ('schema_version', ?2)",
        (super::WALLET_FORMAT, version.to_string()),
    )
    .unwrap();
    for (index, c) in (0u64..).zip(rows) {
        let f = &c.record.fields;
        conn.execute(
            "INSERT INTO records VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1)",
            rusqlite::params![
                u64_to_sql(index),
                u64_to_sql(f.kind.code()),
                c.resource_id,
                fr_to_blob(&f.code.0),
                u64_to_sql(f.date.0),
                u64_to_sql(f.end_date.0),
                u64_to_sql(f.value.0),
                fr_to_blob(&f.related_code.0),
                fr_to_blob(&c.record.patient.0),
                fr_to_blob(&f.coverage.0),
                fr_to_blob(&f.digest.0),
                fr_to_blob(&c.record.salt.0),
                patient_name,
            ],
        )
        .unwrap();
    }
}

/// The openings' `(index, leaf version, superseded by)`.
pub(crate) fn states(w: &Wallet) -> Vec<(u64, u32, Option<u64>)> {
    w.record_openings()
        .unwrap()
        .iter()
        .map(|o| (o.index, o.leaf_version, o.superseded_by))
        .collect()
}
