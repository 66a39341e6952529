//! Starting a replica's trees over: a replica of a chain whose blocks were reorganised away
//! rebuilds both trees from the chain's events, while what is the home's own (identities,
//! answered requests, spent nullifiers) stays.

use crate::{roots, write_tx, Registry, RegistryError, Tree};

/// The tables the two trees, their histories and their logs live in: everything a replica
/// rebuilds from its upstream.
const TREE_TABLES: [&str; 8] = [
    "tree_nodes",
    "grants",
    "roots",
    "events",
    "record_nodes",
    "records",
    "record_roots",
    "record_events",
];

impl Registry {
    /// Empties both trees, their root histories and their logs in one transaction, as at
    /// creation (each empty root back in its history with `created_at = 0`); identities,
    /// answered requests and spent nullifiers are kept.
    ///
    /// # Errors
    ///
    /// A database error (nothing is changed then).
    pub fn clear_trees(&mut self) -> Result<(), RegistryError> {
        self.checked_for_writing()?;
        let empty_root = self.zeros[self.depth];
        let tx = write_tx(&mut self.conn)?;
        for table in TREE_TABLES {
            tx.execute(&format!("DELETE FROM {table}"), [])?;
        }
        for tree in [Tree::Grants, Tree::Records] {
            roots::start(&tx, tree, empty_root)?;
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        test_support::{keys, party, temp_registry},
        Role,
    };
    use zkconsent_circuits::types::{
        AccessTag, IdentityId, RecordCommitment, RequestHash, Timestamp,
    };

    #[test]
    fn clearing_keeps_the_homes_own_tables_and_restarts_both_trees() {
        let (_dir, _path, mut reg) = temp_registry(4);
        let empty = (reg.current_root().unwrap(), reg.records_root().unwrap());
        reg.register_identity("alice", Role::Patient, IdentityId(7u64.into()))
            .unwrap();
        let p = party(3);
        p.issue(&mut reg, 10);
        reg.anchor_records(&[RecordCommitment(5u64.into())], &[], Timestamp(11))
            .unwrap();
        let tag = AccessTag(9u64.into());
        reg.answer_request(RequestHash(8u64.into()), tag, Timestamp(12))
            .unwrap();

        reg.clear_trees().unwrap();
        assert_eq!(
            (reg.current_root().unwrap(), reg.records_root().unwrap()),
            empty
        );
        assert!(reg.grants().unwrap().is_empty() && reg.events().unwrap().is_empty());
        assert!(reg.records().unwrap().is_empty() && reg.record_events().unwrap().is_empty());
        assert_eq!(reg.root_history().unwrap().len(), 1);
        assert_eq!(reg.records_root_history().unwrap().len(), 1);
        assert!(reg.identity("alice").unwrap().is_some());
        assert!(reg.is_answered(RequestHash(8u64.into())).unwrap());
        // The same events apply again, to the same leaves and roots.
        assert_eq!(p.issue(&mut reg, 10), 0);
        assert!(reg.audit(&keys().pvk).unwrap().is_consistent());
    }
}
