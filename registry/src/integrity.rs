//! What a registry checks every time it is opened, so a damaged file is refused before
//! anything is read from it or written on top of it: SQLite's `quick_check` (page and
//! b-tree structure), and for each tree every stored node on the newest leaf's path
//! recomputed from its two stored children, and the stored root compared with the newest
//! entry of the root history. A full check of every node and every logged proof is
//! `registry audit`.
//!
//! Cost: one pass over the file's pages, and `depth` Poseidon hashes per tree.

use crate::{
    roots::{latest, TreeRoot},
    store::{with_tree, Tree},
    Registry, RegistryError,
};
use rusqlite::{Connection, OptionalExtension};
use zkconsent_circuits::{
    merkle::{node_hash, NodeStore},
    types::{GrantsRoot, RecordsRoot},
};
use zkconsent_store::codec::u64_col;

impl Registry {
    /// Runs the open-time checks (module docs).
    ///
    /// # Errors
    ///
    /// [`RegistryError::Damaged`] naming what failed, or a database error.
    pub fn check_integrity(&self) -> Result<(), RegistryError> {
        quick_check(&self.conn)?;
        self.check_trees()
    }

    /// The root checks alone (after [`quick_check`], at open).
    pub(crate) fn check_trees(&self) -> Result<(), RegistryError> {
        let tx = self.conn.unchecked_transaction()?;
        self.check_tree::<GrantsRoot>(&tx, "SELECT MAX(leaf_index) FROM grants")?;
        self.check_tree::<RecordsRoot>(&tx, "SELECT MAX(leaf_index) FROM records")?;
        Ok(())
    }

    fn check_tree<R: TreeRoot>(
        &self,
        conn: &Connection,
        newest: &str,
    ) -> Result<(), RegistryError> {
        let name = match R::TREE {
            Tree::Grants => "grants",
            Tree::Records => "records",
        };
        // NULL for an empty tree; anything else that is not a leaf index is damage.
        let last: Option<u64> = match conn
            .query_row(newest, [], |row| {
                Ok(match row.get_ref(0)? {
                    rusqlite::types::ValueRef::Null => None,
                    _ => Some(u64_col(row, 0, "leaf_index")),
                })
            })
            .optional()?
            .flatten()
        {
            None => None,
            Some(Ok(index)) => Some(index),
            Some(Err(e)) => {
                return Err(RegistryError::Damaged(format!(
                    "the {name} tree's newest leaf index: {}",
                    RegistryError::from(e)
                )))
            }
        };
        let zeros = &self.zeros;
        let (stored, damaged_level) = with_tree(conn, R::TREE, zeros, self.depth, |tree| {
            let node =
                |level: usize, index: u64| tree.store().get(level, index).unwrap_or(zeros[level]);
            // Every stored node on the newest leaf's path is the hash of its two children.
            let damaged = last.and_then(|leaf| {
                (1..=self.depth).find(|&level| {
                    let index = leaf >> level;
                    node(level, index)
                        != node_hash(node(level - 1, 2 * index), node(level - 1, 2 * index + 1))
                })
            });
            Ok((tree.root().0, damaged))
        })?;
        if let Some(level) = damaged_level {
            return Err(RegistryError::Damaged(format!(
                "a {name} tree node at level {level} is not the hash of its children"
            )));
        }
        if latest::<R>(conn)?.root.as_fr() != stored {
            return Err(RegistryError::Damaged(format!(
                "the {name} tree's root differs from the newest root in its history"
            )));
        }
        Ok(())
    }
}

/// SQLite's structural check (not every value: that is `registry audit`).
pub(crate) fn quick_check(conn: &Connection) -> Result<(), RegistryError> {
    let mut stmt = conn.prepare("PRAGMA quick_check(1)")?;
    let first: String = stmt.query_row([], |row| row.get(0))?;
    if first != "ok" {
        return Err(RegistryError::Damaged(format!(
            "SQLite quick_check: {first}"
        )));
    }
    Ok(())
}
