//! The registry's trees' nodes in SQLite, as a [`NodeStore`] for the circuits crate's
//! [`SparseMerkleTree`], so the hashing logic exists once. Both trees (grants, records) use
//! this code; [`Tree`] names the tables.
//!
//! [`NodeStore::get`] cannot return an error, so a failed read (engine error, or a corrupt
//! node BLOB) is kept in the store, read as an empty subtree for the rest of the operation,
//! and turned into the operation's error by [`with_tree`]: a result computed after a failed
//! read is never returned, and the caller's transaction is rolled back.

use super::{
    codec::{fr_from_blob, fr_to_blob, u64_to_sql},
    RegistryError,
};
use ark_bn254::Fr;
use rusqlite::{types::ValueRef, Connection, OptionalExtension};
use std::cell::RefCell;
use zkconsent_circuits::merkle::{MerkleError, NodeStore, SparseMerkleTree};

/// One of the registry's Merkle trees: which tables hold its nodes and root history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tree {
    /// Grant leaves (tables `tree_nodes`, `roots`).
    Grants,
    /// Record leaves (tables `record_nodes`, `record_roots`).
    Records,
}

impl Tree {
    /// The node table.
    pub(crate) fn nodes_table(self) -> &'static str {
        match self {
            Self::Grants => "tree_nodes",
            Self::Records => "record_nodes",
        }
    }

    /// The root-history table.
    pub(crate) fn roots_table(self) -> &'static str {
        match self {
            Self::Grants => "roots",
            Self::Records => "record_roots",
        }
    }

    /// Node table column names for corruption reports (which must be `'static`).
    pub(crate) fn node_columns(self) -> [&'static str; 3] {
        match self {
            Self::Grants => ["tree_nodes.level", "tree_nodes.idx", "tree_nodes.hash"],
            Self::Records => [
                "record_nodes.level",
                "record_nodes.idx",
                "record_nodes.hash",
            ],
        }
    }

    /// Root-history column names for corruption reports: `seq`, `root`, `created_at`,
    /// `superseded_at`, `removes`.
    pub(crate) fn root_columns(self) -> [&'static str; 5] {
        match self {
            Self::Grants => [
                "roots.seq",
                "roots.root",
                "roots.created_at",
                "roots.superseded_at",
                "roots.removes",
            ],
            Self::Records => [
                "record_roots.seq",
                "record_roots.root",
                "record_roots.created_at",
                "record_roots.superseded_at",
                "record_roots.removes",
            ],
        }
    }
}

/// `grants` or `records`, as messages name the tree.
impl std::fmt::Display for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Grants => "grants",
            Self::Records => "records",
        })
    }
}

/// Tree nodes read from and written to one connection (inside the caller's transaction).
pub(crate) struct SqlNodeStore<'c> {
    conn: &'c Connection,
    tree: Tree,
    /// `zeros[level]`: writing this value deletes the row, keeping the table sparse.
    zeros: &'c [Fr],
    /// The first failure, reported by [`with_tree`].
    error: RefCell<Option<RegistryError>>,
}

impl<'c> SqlNodeStore<'c> {
    fn new(conn: &'c Connection, tree: Tree, zeros: &'c [Fr]) -> Self {
        Self {
            conn,
            tree,
            zeros,
            error: RefCell::new(None),
        }
    }

    fn record(&self, e: RegistryError) {
        let mut slot = self.error.borrow_mut();
        if slot.is_none() {
            *slot = Some(e);
        }
    }

    fn try_get(&self, level: usize, index: u64) -> Result<Option<Fr>, RegistryError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT hash FROM {} WHERE level = ?1 AND idx = ?2",
            self.tree.nodes_table()
        ))?;
        let column = self.tree.node_columns()[2];
        let blob = stmt
            .query_row((level_to_sql(level), u64_to_sql(index)), |row| {
                Ok(match row.get_ref(0)? {
                    ValueRef::Blob(b) => Some(b.to_vec()),
                    _ => None,
                })
            })
            .optional()?;
        match blob {
            None => Ok(None),
            Some(None) => {
                Err(zkconsent_store::codec::CorruptValue::new(column, "not a BLOB").into())
            }
            Some(Some(b)) => Ok(Some(fr_from_blob(&b, column)?)),
        }
    }

    fn try_put(&self, level: usize, index: u64, value: Fr) -> Result<(), RegistryError> {
        let key = (level_to_sql(level), u64_to_sql(index));
        let table = self.tree.nodes_table();
        if self.zeros.get(level) == Some(&value) {
            self.conn
                .prepare_cached(&format!(
                    "DELETE FROM {table} WHERE level = ?1 AND idx = ?2"
                ))?
                .execute(key)?;
        } else {
            self.conn
                .prepare_cached(&format!(
                    "INSERT INTO {table} (level, idx, hash) VALUES (?1, ?2, ?3)
                     ON CONFLICT (level, idx) DO UPDATE SET hash = excluded.hash"
                ))?
                .execute((key.0, key.1, fr_to_blob(&value)))?;
        }
        Ok(())
    }
}

impl NodeStore for SqlNodeStore<'_> {
    fn get(&self, level: usize, index: u64) -> Option<Fr> {
        self.try_get(level, index).unwrap_or_else(|e| {
            self.record(e);
            None
        })
    }

    fn put(&mut self, level: usize, index: u64, value: Fr) {
        if let Err(e) = self.try_put(level, index, value) {
            self.record(e);
        }
    }
}

/// Levels are at most 32; stored as `INTEGER`.
fn level_to_sql(level: usize) -> i64 {
    i64::try_from(level).unwrap_or(i64::MAX)
}

/// Runs `f` on `tree` as stored in `conn`, then fails if any node read or write failed.
pub(crate) fn with_tree<T>(
    conn: &Connection,
    tree: Tree,
    zeros: &[Fr],
    depth: usize,
    f: impl FnOnce(&mut SparseMerkleTree<SqlNodeStore<'_>>) -> Result<T, MerkleError>,
) -> Result<T, RegistryError> {
    let mut tree = SparseMerkleTree::with_store(depth, SqlNodeStore::new(conn, tree, zeros))?;
    let out = f(&mut tree);
    if let Some(e) = tree.store_mut().error.get_mut().take() {
        return Err(e);
    }
    Ok(out?)
}

/// Stored nodes as `((level, idx), hash)`.
pub(crate) type NodeRows = Vec<((u64, u64), Fr)>;

/// Every stored node of `tree`, for the audit, in key order.
pub(crate) fn all_nodes(conn: &Connection, tree: Tree) -> Result<NodeRows, RegistryError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT level, idx, hash FROM {} ORDER BY level, idx",
        tree.nodes_table()
    ))?;
    let [level_col, idx_col, hash_col] = tree.node_columns();
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let level = zkconsent_store::codec::u64_col(row, 0, level_col)?;
        let idx = zkconsent_store::codec::u64_col(row, 1, idx_col)?;
        let hash = zkconsent_store::codec::fr_col(row, 2, hash_col)?;
        out.push(((level, idx), hash));
    }
    Ok(out)
}
