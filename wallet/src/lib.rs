//! zkconsent's local wallet (the client side): an identity's secrets, grant openings and (for a record custodian) the
//! openings of anchored FHIR records, in its own SQLite file (`wallet.db`), so the registry
//! (the ledger side) never holds a secret. Record openings are in [`records`], the FHIR
//! patient each zkconsent patient's records come from in [`binding`].
//!
//! A wallet is *sealed* (created with a [`Passphrase`]): the whole database is encrypted at
//! rest with argon2id and XChaCha20-Poly1305 ([`sealed`]) and written all or nothing
//! ([`storage`]); or *plain*, an SQLite file, for wallets made before sealing existed and
//! for in-process tests ([`Wallet::seal_file`] seals one). Secrets are stored as 32-byte
//! canonical little-endian field elements and strictly decoded on read. On Unix every file
//! is created with mode `0600`, and a wallet found readable by others is narrowed at open.
//! Nothing here prints a secret: [`WalletGrant`]'s `Debug` redacts the salt, and identities
//! are listed with their public ids only.

#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]
#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

use rusqlite::{Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use zkconsent_circuits::{
    grant::Grant,
    types::{GrantSalt, IdentityId, Purpose, Scope, SecretKey, Timestamp},
};
use zkconsent_store::{
    codec::{fr_col, fr_to_blob, text_col, u64_col, u64_to_sql, ColError, CorruptValue},
    identity::{is_name_taken, is_valid_name},
    sql::{connect, ensure_fresh, is_empty_db, meta, write_tx},
    Role,
};

/// Value of `meta.format` in a wallet file.
pub const WALLET_FORMAT: &str = "zkconsent.wallet";
/// Wallet schema version this build writes and reads.
pub const WALLET_SCHEMA_VERSION: u32 = 5;
/// How long `seal_file` waits for other connections to the plain wallet to finish.
const SEAL_BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);
/// Version 4 (no pending grants); upgraded in place on open.
pub const WALLET_SCHEMA_VERSION_NO_PENDING: u32 = 4;
/// Version 1 (no record openings, no requests); upgraded in place on open.
pub const WALLET_SCHEMA_VERSION_GRANTS_ONLY: u32 = 1;
/// Version 2 (no requests); upgraded in place on open.
pub const WALLET_SCHEMA_VERSION_NO_REQUESTS: u32 = 2;
/// Version 3 (record openings of the 10-field leaf, nothing superseded, no patient
/// bindings); upgraded in place on open, its openings kept as leaf version 2.
pub const WALLET_SCHEMA_VERSION_TEN_FIELD_RECORDS: u32 = 3;

#[cfg(unix)]
pub mod agent;
pub mod binding;
pub mod issued;
pub mod pending;
pub mod records;
pub mod requests;
pub mod sealed;
mod storage;
#[cfg(test)]
mod testing;

pub use binding::FhirPatient;
pub use issued::{IssuedRequests, ISSUED_FILE};
pub use pending::PendingGrant;
pub use records::{
    AnchorStatus, AnchoredRecord, RecordCandidate, RecordOpening, RecordSource,
    RECORD_LEAF_VERSION, RECORD_LEAF_VERSION_TEN_FIELDS,
};
pub use sealed::{KdfCost, Passphrase, SealError, SealKey, DEFAULT_KDF};
pub use storage::MAX_SEALED_WALLET_BYTES;
use storage::{Sealing, WalletTx};
/// Re-exported so callers clear their own copies of secrets with the same crate.
pub use zeroize;

const TABLES: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE identities (
    name   TEXT PRIMARY KEY,
    role   TEXT NOT NULL CHECK (role IN ('patient', 'clinician', 'verifier')),
    secret BLOB NOT NULL
);
-- Openings of grants in the registry's tree, keyed by leaf index.
CREATE TABLE grants (
    leaf_index   INTEGER PRIMARY KEY,
    patient      BLOB NOT NULL,
    grantee      BLOB NOT NULL,
    scope        INTEGER NOT NULL,
    purpose      INTEGER NOT NULL,
    not_before   INTEGER NOT NULL,
    not_after    INTEGER NOT NULL,
    salt         BLOB NOT NULL,
    patient_name TEXT NOT NULL,
    grantee_name TEXT NOT NULL
);
";

/// Why a wallet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// The database engine reported an error.
    #[error("wallet database: {}", zkconsent_store::sql::describe_error(.0))]
    Sqlite(#[from] rusqlite::Error),
    /// Reading or creating the wallet file failed.
    #[error("wallet file error: {0}")]
    Io(#[from] std::io::Error),
    /// A sealed wallet could not be opened or written.
    #[error("{0}")]
    Seal(#[from] SealError),
    /// The wallet is sealed and no passphrase was given.
    #[error("the wallet is encrypted and no passphrase was given")]
    Locked,
    /// No passphrase could be had (the program's passphrase source said why).
    #[error("{0}")]
    Passphrase(String),
    /// Another process held the wallet's lock too long.
    #[error(
        "busy: another process held the wallet for over {} s; nothing was changed, try again",
        zkconsent_store::sql::BUSY_TIMEOUT.as_secs()
    )]
    Busy,
    /// `create` was given a file that already holds data.
    #[error("wallet file {} already exists and is not empty", .0.display())]
    AlreadyExists(PathBuf),
    /// The file is an SQLite database but not a zkconsent wallet.
    #[error("not a zkconsent wallet (missing or wrong format marker)")]
    NotAWallet,
    /// The wallet was written by an incompatible version.
    #[error("wallet schema version {found} is not supported (expected {expected})")]
    SchemaVersion {
        /// Version found in the file.
        found: String,
        /// Version this build reads.
        expected: u32,
    },
    /// A stored value failed validation.
    #[error("corrupt wallet data: {0}")]
    Corrupt(#[from] CorruptValue),
    /// An identity name is empty, too long, padded or holds control characters.
    #[error("invalid identity name (1..=128 bytes, no control characters or edge spaces)")]
    InvalidName,
    /// An identity of this name is already in the wallet.
    #[error("identity {0:?} is already in the wallet")]
    DuplicateIdentity(String),
    /// No identity of this name is in the wallet.
    #[error("no identity {0:?} in the wallet")]
    UnknownIdentity(String),
    /// An opening for this leaf is already in the wallet.
    #[error("grant at leaf {0} is already in the wallet")]
    DuplicateGrant(u64),
    /// No opening for this leaf is in the wallet.
    #[error("no grant at leaf {0} in the wallet")]
    UnknownGrant(u64),
    /// This resource (or an earlier version of it) was anchored for another patient.
    #[error("{resource} was anchored for patient {patient:?}, not this one")]
    RecordOfAnotherPatient {
        /// `Type/id`.
        resource: String,
        /// The patient it was anchored for.
        patient: String,
    },
    /// A request with this hash was already issued.
    #[error("a request with this hash was already issued")]
    DuplicateRequest,
    /// A record opening that cannot be proved because it was committed with an older leaf
    /// layout (ten fields, no identity).
    #[error(
        "{resource} (leaf {index}) was anchored under record leaf version {leaf_version}, \
         which this build cannot prove: anchor the bundle again"
    )]
    OldRecordLeaf {
        /// `Type/id`.
        resource: String,
        /// Its leaf index.
        index: u64,
        /// The leaf version it was anchored under.
        leaf_version: u32,
    },
    /// A record opening whose leaf a later version replaced (the registry emptied it).
    #[error(
        "{resource} at leaf {index} was superseded by a later version at leaf {by}: prove \
         with that one"
    )]
    SupersededRecord {
        /// `Type/id`.
        resource: String,
        /// Its leaf index.
        index: u64,
        /// The later version's leaf index.
        by: u64,
    },
    /// A document to anchor holds two Patient resources.
    #[error("bundle holds two patients: {first} and {second}")]
    BundleHoldsTwoPatients {
        /// The first `Patient/id`.
        first: String,
        /// The second.
        second: String,
    },
    /// A resource of a document to anchor is about another patient than the document's.
    #[error("{resource} is about {subject}, but the bundle's patient is {patient}")]
    RecordAboutAnotherFhirPatient {
        /// `Type/id` of the resource.
        resource: String,
        /// The patient it names.
        subject: String,
        /// The document's FHIR patient.
        patient: String,
    },
    /// A document to anchor says nowhere whose records it holds.
    #[error("cannot tell whose records these are: {0}")]
    UnknownBundlePatient(String),
    /// The zkconsent patient is bound to another FHIR patient than the document's.
    #[error("{patient_name} is bound to {bound}; this bundle is {document}'s")]
    BoundToAnotherFhirPatient {
        /// The zkconsent patient.
        patient_name: String,
        /// The FHIR patient bound to them.
        bound: String,
        /// The document's FHIR patient.
        document: String,
    },
    /// The document's FHIR patient, or one of its identifiers, is bound to another
    /// zkconsent patient.
    #[error("{fhir} is {owner}'s (bound at first anchoring), not {patient_name}'s")]
    FhirPatientOfAnother {
        /// `Patient/id`, or `Patient/id's identifier system|value`.
        fhir: String,
        /// The zkconsent patient it is bound to.
        owner: String,
        /// The zkconsent patient the document was anchored for.
        patient_name: String,
    },
    /// The registry appended the leaves but their openings could not be stored: the leaves
    /// are in the tree without openings (they commit to nothing anyone can open).
    #[error(
        "records anchored at leaves {first}..{end} but their openings were not saved: {reason}"
    )]
    OpeningsLost {
        /// First leaf index.
        first: u64,
        /// One past the last.
        end: u64,
        /// The wallet's error.
        reason: String,
    },
    /// Another anchoring holds this resource, patient or identifier and has not finished
    /// (it is running, or was interrupted and is settled at the next start).
    #[error(
        "{0} is part of an anchoring in progress (or interrupted: it is settled at the next start)"
    )]
    AnchoringInProgress(String),
}

impl WalletError {
    /// Whether the wallet cannot be used at all (locked, damaged, unreadable, foreign), as
    /// opposed to refusing one operation.
    pub fn is_unusable(&self) -> bool {
        if let Self::Sqlite(e) = self {
            return zkconsent_store::sql::is_damage(e);
        }
        matches!(
            self,
            Self::Io(_)
                | Self::Seal(
                    SealError::Truncated(_)
                        | SealError::UnknownFormat
                        | SealError::KdfCostOutOfBounds(_)
                        | SealError::WrongPassphraseOrDamaged
                        | SealError::PassphraseLength
                )
                | Self::Locked
                | Self::Passphrase(_)
                | Self::NotAWallet
                | Self::SchemaVersion { .. }
                | Self::Corrupt(_)
        )
    }
}

impl From<ColError> for WalletError {
    fn from(e: ColError) -> Self {
        match e {
            ColError::Sqlite(e) => Self::Sqlite(e),
            ColError::Corrupt(e) => Self::Corrupt(e),
        }
    }
}

/// Upgrades a wallet of version `from` to the current one in one transaction.
fn migrate(conn: &mut rusqlite::Connection, from: u32) -> Result<(), WalletError> {
    zkconsent_store::sql::upgrade(conn, WALLET_SCHEMA_VERSION, |tx| {
        tx.execute_batch(pending::TABLES)?;
        tx.execute_batch(records::PENDING_TABLES)?;
        if from == WALLET_SCHEMA_VERSION_NO_PENDING {
            return Ok(());
        }
        if from == WALLET_SCHEMA_VERSION_GRANTS_ONLY {
            tx.execute_batch(records::TABLES)?;
        } else {
            records::upgrade_ten_field_leaves(tx)?;
        }
        if from != WALLET_SCHEMA_VERSION_TEN_FIELD_RECORDS {
            tx.execute_batch(requests::TABLES)?;
        }
        tx.execute_batch(binding::TABLES)?;
        Ok::<(), WalletError>(())
    })
}

/// An identity in the wallet, public parts only (use [`Wallet::secret`] for the key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletIdentity {
    /// Unique name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Public id, derived from the stored secret.
    pub id: IdentityId,
}

/// A grant opening: every committed field (the salt included) and who the parties are.
#[derive(Clone, PartialEq, Eq)]
pub struct WalletGrant {
    /// Leaf index in the registry's tree.
    pub index: u64,
    /// The grant's fields.
    pub grant: Grant,
    /// The patient's name (for display).
    pub patient_name: String,
    /// The grantee's name (for display).
    pub grantee_name: String,
}

impl std::fmt::Debug for WalletGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Grant's own Debug omits the ids and the salt.
        f.debug_struct("WalletGrant")
            .field("index", &self.index)
            .field("grant", &self.grant)
            .field("patient_name", &self.patient_name)
            .field("grantee_name", &self.grantee_name)
            .finish()
    }
}

impl WalletGrant {
    fn from_row(row: &rusqlite::Row<'_>) -> Result<Self, WalletError> {
        Ok(Self {
            index: u64_col(row, 0, "grants.leaf_index")?,
            grant: Grant {
                patient: IdentityId(fr_col(row, 1, "grants.patient")?),
                grantee: IdentityId(fr_col(row, 2, "grants.grantee")?),
                scope: Scope(u64_col(row, 3, "grants.scope")?),
                purpose: Purpose(u64_col(row, 4, "grants.purpose")?),
                not_before: Timestamp(u64_col(row, 5, "grants.not_before")?),
                not_after: Timestamp(u64_col(row, 6, "grants.not_after")?),
                salt: GrantSalt(fr_col(row, 7, "grants.salt")?),
            },
            patient_name: text_col(row, 8, "grants.patient_name")?,
            grantee_name: text_col(row, 9, "grants.grantee_name")?,
        })
    }
}

/// An open wallet file.
pub struct Wallet {
    conn: Connection,
    path: PathBuf,
    /// The key and version of a sealed wallet; `None` for a plain one.
    sealing: Option<Sealing>,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet")
            .field("path", &self.path)
            .field("sealed", &self.sealing.is_some())
            .finish_non_exhaustive()
    }
}

/// Narrows a wallet file (and SQLite's companions) readable by others to owner-only.
fn narrow_permissions(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let companions = ["", "-wal", "-shm"].map(|suffix| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        });
        for file in companions {
            match std::fs::metadata(&file) {
                Ok(m) if m.permissions().mode() & 0o077 != 0 => {
                    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates every table of the current schema and its format marker.
fn create_schema(tx: &Connection) -> Result<(), WalletError> {
    tx.execute_batch(TABLES)?;
    tx.execute_batch(records::TABLES)?;
    tx.execute_batch(requests::TABLES)?;
    tx.execute_batch(binding::TABLES)?;
    tx.execute_batch(pending::TABLES)?;
    tx.execute_batch(records::PENDING_TABLES)?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('format', ?1)",
        [WALLET_FORMAT],
    )?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
        [WALLET_SCHEMA_VERSION.to_string()],
    )?;
    Ok(())
}

/// Checks the format marker and schema version, upgrading an older schema in place;
/// returns whether it upgraded.
fn check_schema(conn: &mut Connection) -> Result<bool, WalletError> {
    if meta(conn, "format")?.as_deref() != Some(WALLET_FORMAT) {
        return Err(WalletError::NotAWallet);
    }
    let version = meta(conn, "schema_version")?.unwrap_or_default();
    let older = [
        WALLET_SCHEMA_VERSION_GRANTS_ONLY,
        WALLET_SCHEMA_VERSION_NO_REQUESTS,
        WALLET_SCHEMA_VERSION_TEN_FIELD_RECORDS,
        WALLET_SCHEMA_VERSION_NO_PENDING,
    ]
    .into_iter()
    .find(|v| version == v.to_string());
    if let Some(from) = older {
        migrate(conn, from)?;
        return Ok(true);
    }
    if version != WALLET_SCHEMA_VERSION.to_string() {
        return Err(WalletError::SchemaVersion {
            found: version,
            expected: WALLET_SCHEMA_VERSION,
        });
    }
    Ok(false)
}

/// An empty in-memory database with the wallet's connection settings.
fn memory_connection() -> Result<Connection, WalletError> {
    let conn = Connection::open_in_memory()?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// The columns of a grant opening after its leaf index (shared by `grants` and
/// `pending_grants`).
pub(crate) const GRANT_FIELDS: &str =
    "patient, grantee, scope, purpose, not_before, not_after, salt, patient_name, grantee_name";

const GRANT_COLUMNS: &str = "SELECT leaf_index, patient, grantee, scope, purpose, not_before,
    not_after, salt, patient_name, grantee_name FROM grants";

impl Wallet {
    /// Creates an empty wallet at `path` (absent or an empty file): sealed under
    /// `passphrase` with the [`DEFAULT_KDF`] costs, or plain without one.
    ///
    /// # Errors
    ///
    /// [`WalletError::AlreadyExists`] if the file holds data, a passphrase too short
    /// ([`SealError::PassphraseLength`]), or an I/O or database error.
    pub fn create(
        path: impl AsRef<Path>,
        passphrase: Option<&Passphrase>,
    ) -> Result<Self, WalletError> {
        match passphrase {
            Some(passphrase) => Self::create_sealed(path, passphrase, DEFAULT_KDF),
            None => Self::create_plain(path.as_ref()),
        }
    }

    fn create_plain(path: &Path) -> Result<Self, WalletError> {
        if !ensure_fresh(path)? {
            return Err(WalletError::AlreadyExists(path.to_owned()));
        }
        drop(storage::open_private(path, false)?);
        let mut conn = connect(path, true)?;
        let tx = write_tx(&mut conn)?;
        if !is_empty_db(&tx)? {
            return Err(WalletError::AlreadyExists(path.to_owned()));
        }
        create_schema(&tx)?;
        tx.commit()?;
        Ok(Self {
            conn,
            path: path.to_owned(),
            sealing: None,
        })
    }

    /// Creates an empty wallet sealed under `passphrase` with argon2id costs `cost`.
    ///
    /// # Errors
    ///
    /// As [`Wallet::create`], and costs out of bounds.
    pub fn create_sealed(
        path: impl AsRef<Path>,
        passphrase: &Passphrase,
        cost: KdfCost,
    ) -> Result<Self, WalletError> {
        let path = path.as_ref();
        if !ensure_fresh(path)? {
            return Err(WalletError::AlreadyExists(path.to_owned()));
        }
        let key = sealed::SealKey::for_new_wallet(passphrase, cost)?;
        let mut conn = memory_connection()?;
        let tx = write_tx(&mut conn)?;
        create_schema(&tx)?;
        tx.commit()?;
        let _lock = storage::lock_exclusive(path)?;
        if !ensure_fresh(path)? {
            return Err(WalletError::AlreadyExists(path.to_owned()));
        }
        let mut sealing = Sealing {
            key,
            nonce: [0; sealed::NONCE_BYTES],
        };
        storage::persist(&conn, &mut sealing, path)?;
        Ok(Self {
            conn,
            path: path.to_owned(),
            sealing: Some(sealing),
        })
    }

    /// Whether the wallet file at `path` is sealed (needs a passphrase to open).
    ///
    /// # Errors
    ///
    /// The file cannot be read (absent included).
    pub fn file_is_sealed(path: impl AsRef<Path>) -> Result<bool, WalletError> {
        storage::is_sealed(path.as_ref())
    }

    /// Opens an existing wallet, sealed (with `passphrase`) or plain (`passphrase` is then
    /// not needed), upgrading an older schema in place: version 1 gains the record openings
    /// table, versions 1 and 2 the open-requests table, versions 2 and 3 keep their record
    /// openings as leaf version 2 ([`records`]), and every older version gains the patient
    /// bindings ([`binding`]). A file readable by others is narrowed to its owner first.
    ///
    /// # Errors
    ///
    /// [`WalletError::Locked`] for a sealed wallet without a passphrase,
    /// [`SealError::WrongPassphraseOrDamaged`], a database error (including a missing file),
    /// [`WalletError::NotAWallet`] or [`WalletError::SchemaVersion`].
    pub fn open(
        path: impl AsRef<Path>,
        passphrase: Option<&Passphrase>,
    ) -> Result<Self, WalletError> {
        let path = path.as_ref();
        let sealed = storage::is_sealed(path)?;
        narrow_permissions(path)?;
        if !sealed {
            let mut conn = connect(path, false)?;
            check_schema(&mut conn)?;
            return Ok(Self {
                conn,
                path: path.to_owned(),
                sealing: None,
            });
        }
        let passphrase = passphrase.ok_or(WalletError::Locked)?;
        Self::open_sealed(path, |file| Ok(sealed::SealKey::open(passphrase, file)?))
    }

    /// Opens the sealed wallet at `path` with a key derived already (from its passphrase, by
    /// another process: the key agent, [`agent`]), skipping the argon2id run. Upgrades an
    /// older schema and narrows permissions as [`Wallet::open`] does.
    ///
    /// # Errors
    ///
    /// [`SealError::Rekeyed`] if the file's salt or costs are not the key's (its passphrase
    /// was changed since), [`WalletError::Locked`] for a plain wallet,
    /// [`SealError::WrongPassphraseOrDamaged`], and [`Wallet::open`]'s other errors.
    pub fn open_with_key(
        path: impl AsRef<Path>,
        key: sealed::SealKey,
    ) -> Result<Self, WalletError> {
        let path = path.as_ref();
        if !storage::is_sealed(path)? {
            return Err(WalletError::Locked);
        }
        narrow_permissions(path)?;
        Self::open_sealed(path, |file| {
            let image = key.reopen(file)?;
            Ok((key, image))
        })
    }

    /// Opens a sealed wallet: `unseal` turns the file into its key and plaintext image.
    fn open_sealed(
        path: &Path,
        unseal: impl FnOnce(
            &[u8],
        )
            -> Result<(sealed::SealKey, zeroize::Zeroizing<Vec<u8>>), WalletError>,
    ) -> Result<Self, WalletError> {
        {
            // Plaintext pages a crash left beside a wallet being sealed: removed, not kept.
            let _lock = storage::lock_exclusive(path)?;
            storage::remove_plain_leftovers(path)?;
        }
        let file = storage::read_sealed(path)?;
        let header = sealed::Header::parse(&file)?;
        let (key, image) = unseal(&file)?;
        let mut conn = memory_connection()?;
        storage::load_image(&mut conn, &image)?;
        drop(image);
        let mut wallet = Self {
            conn,
            path: path.to_owned(),
            sealing: Some(Sealing {
                key,
                nonce: header.nonce,
            }),
        };
        if check_schema(&mut wallet.conn)? {
            wallet.begin()?.commit()?;
        }
        Ok(wallet)
    }

    /// Seals the plain wallet at `path` under `passphrase`, in place: the database leaves WAL
    /// mode (which fails, busy, while another process has it open), is written sealed beside
    /// it and renamed over it. The old plaintext file is unlinked, not overwritten: its
    /// blocks may stay on the disk (sealing cannot wipe earlier copies or backups).
    ///
    /// # Errors
    ///
    /// A sealed wallet already, a passphrase too short, an I/O or database error; the plain
    /// wallet is then left as it was.
    pub fn seal_file(path: impl AsRef<Path>, passphrase: &Passphrase) -> Result<(), WalletError> {
        let path = path.as_ref();
        let key = sealed::SealKey::for_new_wallet(passphrase, DEFAULT_KDF)?;
        // Two `wallet seal`s at once: the second finds the wallet sealed.
        let _lock = storage::lock_exclusive(path)?;
        if storage::is_sealed(path)? {
            return Err(WalletError::Seal(SealError::UnknownFormat));
        }
        let mut conn = connect(path, false)?;
        // Another process using the wallet makes sealing fail soon, not wait for it.
        conn.busy_timeout(SEAL_BUSY_TIMEOUT)?;
        check_schema(&mut conn)?;
        // Leaving WAL checkpoints and removes the WAL, and fails while any other connection
        // has the file open (its later writes would go to the replaced file).
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "DELETE", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(WalletError::Busy);
        }
        conn.execute_batch("BEGIN EXCLUSIVE")?;
        let sealed = key.seal(&conn.serialize("main")?)?;
        storage::write_atomically(path, &sealed)?;
        // Rolls back an empty transaction on the replaced file.
        drop(conn);
        storage::remove_plain_leftovers(path)?;
        Ok(())
    }

    /// Reloads the wallet if another process wrote it since this one last read or wrote it
    /// (sealed wallets; a plain wallet is always current). Returns whether it reloaded.
    ///
    /// # Errors
    ///
    /// The file unreadable, damaged, or re-keyed by another process.
    pub fn refresh(&mut self) -> Result<bool, WalletError> {
        let Some(sealing) = &mut self.sealing else {
            return Ok(false);
        };
        let before = sealing.nonce;
        storage::refresh(&mut self.conn, sealing, &self.path)?;
        Ok(sealing.nonce != before)
    }

    /// Seals this (sealed) wallet under a new passphrase: a new salt, the [`DEFAULT_KDF`]
    /// costs. Other processes that have it open are refused at their next write
    /// ([`SealError::Rekeyed`]).
    ///
    /// # Errors
    ///
    /// A plain wallet ([`WalletError::Locked`]: seal it with [`Wallet::seal_file`]), a
    /// passphrase too short, an I/O error.
    pub fn change_passphrase(&mut self, passphrase: &Passphrase) -> Result<(), WalletError> {
        let Some(sealing) = &mut self.sealing else {
            return Err(WalletError::Locked);
        };
        let key = sealed::SealKey::for_new_wallet(passphrase, DEFAULT_KDF)?;
        storage::rekey(&mut self.conn, sealing, &self.path, key)
    }

    /// The key this sealed wallet is sealed under, the wallet closed (what the key agent
    /// holds). The key stays zeroised on drop and has no `Debug`.
    ///
    /// # Errors
    ///
    /// [`WalletError::Locked`] for a plain wallet (it has no key).
    pub fn into_seal_key(self) -> Result<sealed::SealKey, WalletError> {
        self.sealing.map(|s| s.key).ok_or(WalletError::Locked)
    }

    /// Whether this wallet is sealed.
    pub fn is_sealed(&self) -> bool {
        self.sealing.is_some()
    }

    /// Begins a write transaction (module [`storage`]).
    pub(crate) fn begin(&mut self) -> Result<WalletTx<'_>, WalletError> {
        WalletTx::begin(&mut self.conn, self.sealing.as_mut(), &self.path)
    }

    /// The file this wallet lives in.
    pub fn file_path(&self) -> &Path {
        &self.path
    }

    /// Stores an identity's secret key under a unique name.
    ///
    /// # Errors
    ///
    /// [`WalletError::InvalidName`], [`WalletError::DuplicateIdentity`], or a database error.
    pub fn add_identity(
        &mut self,
        name: &str,
        role: Role,
        secret: &SecretKey,
    ) -> Result<(), WalletError> {
        if !is_valid_name(name) {
            return Err(WalletError::InvalidName);
        }
        let tx = self.begin()?;
        if is_name_taken(&tx, name)? {
            return Err(WalletError::DuplicateIdentity(name.to_owned()));
        }
        tx.execute(
            "INSERT INTO identities (name, role, secret) VALUES (?1, ?2, ?3)",
            (name, role.as_str(), fr_to_blob(&secret.0)),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Removes an identity that never reached the registry (its registration was refused),
    /// so its name can be used again. An identity any grant opening names is kept.
    ///
    /// # Errors
    ///
    /// [`WalletError::UnknownIdentity`], or a database error.
    pub fn remove_unregistered_identity(&mut self, name: &str) -> Result<(), WalletError> {
        let tx = self.begin()?;
        let removed = tx.execute(
            "DELETE FROM identities WHERE name = ?1
             AND NOT EXISTS (SELECT 1 FROM grants WHERE patient_name = ?1 OR grantee_name = ?1)
             AND NOT EXISTS (SELECT 1 FROM pending_grants WHERE patient_name = ?1)",
            [name],
        )?;
        if removed == 0 {
            return Err(WalletError::UnknownIdentity(name.to_owned()));
        }
        tx.commit()?;
        Ok(())
    }

    /// The secret key stored under `name`.
    ///
    /// # Errors
    ///
    /// [`WalletError::UnknownIdentity`], a database error or a corrupt value.
    pub fn secret(&self, name: &str) -> Result<SecretKey, WalletError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT secret FROM identities WHERE name = ?1")?;
        let mut rows = stmt.query([name])?;
        match rows.next()? {
            Some(row) => Ok(SecretKey(fr_col(row, 0, "identities.secret")?)),
            None => Err(WalletError::UnknownIdentity(name.to_owned())),
        }
    }

    /// Every identity in the wallet, by name, with public ids (derived from the secrets).
    ///
    /// # Errors
    ///
    /// A database error or a corrupt value.
    pub fn identities(&self) -> Result<Vec<WalletIdentity>, WalletError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, role, secret FROM identities ORDER BY name")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let role = text_col(row, 1, "identities.role")?
                .parse()
                .map_err(|_| CorruptValue::new("identities.role", "unknown role"))?;
            out.push(WalletIdentity {
                name: text_col(row, 0, "identities.name")?,
                role,
                id: SecretKey(fr_col(row, 2, "identities.secret")?).id(),
            });
        }
        Ok(out)
    }

    /// Stores the opening of the grant at leaf `index`.
    ///
    /// # Errors
    ///
    /// [`WalletError::InvalidName`] for a bad party name, [`WalletError::DuplicateGrant`], or
    /// a database error.
    pub fn add_grant(
        &mut self,
        index: u64,
        grant: &Grant,
        patient_name: &str,
        grantee_name: &str,
    ) -> Result<(), WalletError> {
        if !is_valid_name(patient_name) || !is_valid_name(grantee_name) {
            return Err(WalletError::InvalidName);
        }
        let tx = self.begin()?;
        let taken: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM grants WHERE leaf_index = ?1",
                [u64_to_sql(index)],
                |r| r.get(0),
            )
            .optional()?;
        if taken.is_some() {
            return Err(WalletError::DuplicateGrant(index));
        }
        tx.execute(
            "INSERT INTO grants (leaf_index, patient, grantee, scope, purpose, not_before,
                                 not_after, salt, patient_name, grantee_name)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            rusqlite::params![
                u64_to_sql(index),
                fr_to_blob(&grant.patient.0),
                fr_to_blob(&grant.grantee.0),
                u64_to_sql(grant.scope.0),
                u64_to_sql(grant.purpose.0),
                u64_to_sql(grant.not_before.0),
                u64_to_sql(grant.not_after.0),
                fr_to_blob(&grant.salt.0),
                patient_name,
                grantee_name,
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The opening of the grant at leaf `index`.
    ///
    /// # Errors
    ///
    /// [`WalletError::UnknownGrant`], a database error or a corrupt value.
    pub fn grant(&self, index: u64) -> Result<WalletGrant, WalletError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{GRANT_COLUMNS} WHERE leaf_index = ?1"))?;
        let mut rows = stmt.query([u64_to_sql(index)])?;
        match rows.next()? {
            Some(row) => WalletGrant::from_row(row),
            None => Err(WalletError::UnknownGrant(index)),
        }
    }

    /// Every grant opening, by leaf index.
    ///
    /// # Errors
    ///
    /// A database error or a corrupt value.
    pub fn grants(&self) -> Result<Vec<WalletGrant>, WalletError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{GRANT_COLUMNS} ORDER BY leaf_index"))?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(WalletGrant::from_row(row)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ark_bn254::Fr;
    use rand::{rngs::StdRng, SeedableRng};

    fn sample_grant(rng: &mut StdRng, patient: &SecretKey, grantee: &SecretKey) -> Grant {
        Grant {
            patient: patient.id(),
            grantee: grantee.id(),
            scope: Scope(u64::MAX), // all 64 bits must survive the INTEGER column
            purpose: Purpose(3),
            not_before: Timestamp(10),
            not_after: Timestamp(u64::MAX - 1),
            salt: GrantSalt::random(rng),
        }
    }

    #[test]
    fn wallet_round_trips_secrets_and_grant_openings() {
        let mut rng = StdRng::seed_from_u64(21);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wallet.db");
        let alice = SecretKey::random(&mut rng);
        let bob = SecretKey::random(&mut rng);
        let grant = sample_grant(&mut rng, &alice, &bob);
        {
            let mut w = Wallet::create(&path, None).unwrap();
            w.add_identity("alice", Role::Patient, &alice).unwrap();
            w.add_identity("bob", Role::Clinician, &bob).unwrap();
            assert!(matches!(
                w.add_identity("alice", Role::Patient, &bob),
                Err(WalletError::DuplicateIdentity(_))
            ));
            assert!(matches!(
                w.add_identity("", Role::Patient, &bob),
                Err(WalletError::InvalidName)
            ));
            w.add_grant(7, &grant, "alice", "bob").unwrap();
            assert!(matches!(
                w.add_grant(7, &grant, "alice", "bob"),
                Err(WalletError::DuplicateGrant(7))
            ));
        }
        assert!(matches!(
            Wallet::create(&path, None),
            Err(WalletError::AlreadyExists(_))
        ));
        let w = Wallet::open(&path, None).unwrap();
        assert_eq!(w.secret("alice").unwrap(), alice);
        assert!(matches!(
            w.secret("carol"),
            Err(WalletError::UnknownIdentity(_))
        ));
        let ids = w.identities().unwrap();
        assert_eq!(ids.len(), 2);
        assert_eq!(
            (ids[1].name.as_str(), ids[1].role, ids[1].id),
            ("bob", Role::Clinician, bob.id())
        );
        let g = w.grant(7).unwrap();
        assert_eq!(
            (g.index, &g.patient_name[..], &g.grantee_name[..]),
            (7, "alice", "bob")
        );
        assert_eq!(g.grant, grant);
        assert_eq!(g.grant.commit(), grant.commit());
        assert!(matches!(w.grant(8), Err(WalletError::UnknownGrant(8))));
        assert_eq!(w.grants().unwrap(), vec![g.clone()]);
        // Nothing secret in Debug output.
        let shown = format!("{g:?} {w:?} {:?}", w.secret("alice").unwrap());
        assert!(
            !shown.contains(&zkconsent_circuits::fr_to_hex(&grant.salt.0)),
            "{shown}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn corrupt_or_foreign_files_give_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wallet.db");
        let mut w = Wallet::create(&path, None).unwrap();
        w.add_identity("alice", Role::Patient, &SecretKey(Fr::from(5u64)))
            .unwrap();
        w.conn
            .execute("UPDATE identities SET secret = ?1", [vec![0xffu8; 32]])
            .unwrap();
        assert!(matches!(w.secret("alice"), Err(WalletError::Corrupt(_))));
        assert!(matches!(w.identities(), Err(WalletError::Corrupt(_))));
        w.conn
            .execute("UPDATE identities SET secret = ?1", [vec![0u8; 31]])
            .unwrap();
        assert!(matches!(w.secret("alice"), Err(WalletError::Corrupt(_))));
        // A registry is not a wallet, a missing file is an error, not a new wallet.
        let reg = dir.path().join("registry.db");
        // Any SQLite file with another format marker (here a registry's) is refused.
        let conn = rusqlite::Connection::open(&reg).unwrap();
        conn.execute_batch("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('format', 'zkconsent.registry');").unwrap();
        drop(conn);
        assert!(matches!(
            Wallet::open(&reg, None),
            Err(WalletError::NotAWallet)
        ));
        assert!(Wallet::open(dir.path().join("missing.db"), None).is_err());
        assert!(!dir.path().join("missing.db").exists());
    }
}
