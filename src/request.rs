//! Request files: what a verifier asks a prover for, with every term of the statement.
//!
//! A request names the statement, the verifier's public id and the statement's terms (Access:
//! patient, scope, purpose; Record: disclosure, ranges, code set; Claim: covered set, member
//! policy, accepted kinds; Cohort: criteria and study). Its nonce is a hash of all of that
//! and a fresh random salt, and its request hash is `H_request(verifier_id, nonce)`, the
//! public input every statement binds. So a proof answers exactly one request, and a request
//! file edited after issue no longer matches the hash the verifier keeps (spec §7.1).
//!
//! ```json
//! { "format": "zkconsent.request", "version": 1, "statement": "access",
//!   "circuit_version": 2, "verifier": "<decimal id>", "salt": "<64 hex digits>",
//!   "created_at": 1750000000, "terms": { … }, "nonce": "<decimal>",
//!   "request_hash": "<decimal>" }
//! ```

use crate::{
    files::{read_limited, FileError},
    statements::Terms,
    wallet::IssuedRequests,
};
use rand::{CryptoRng, RngCore};
use serde_json::{json, Value};
use std::path::Path;
use zkconsent_circuits::{
    fr_to_decimal,
    types::{Nonce, RequestHash, Timestamp, VerifierId},
};
use zkconsent_fhir::codes::sha256_248;
use zkconsent_prover::Statement;
use zkconsent_verifier::parse_fr_decimal;

/// `format` of a request file.
pub const REQUEST_FORMAT: &str = "zkconsent.request";
/// Request file version this build writes and reads.
pub const REQUEST_VERSION: u32 = 1;
/// Largest request file read (a Cohort request with full code lists is a few KiB).
pub const MAX_REQUEST_BYTES: usize = 1 << 20;
/// Bytes of the random salt that makes every request fresh.
pub const SALT_BYTES: usize = 32;
/// Domain prefix of the nonce's hash, so it can never equal another SHA-256 use.
const NONCE_DOMAIN: &[u8] = b"zkconsent.request.nonce.v1\0";
/// Domain prefix of a request file's digest in the issued-request index.
const FILE_DIGEST_DOMAIN: &[u8] = b"zkconsent.request.file.v1\0";

/// Why a request file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The file could not be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// Not JSON, a missing or unknown field, or a bad value.
    #[error("request: {0}")]
    Malformed(String),
    /// The stored nonce or request hash is not what the terms hash to: the file was edited.
    #[error("request: its nonce or request hash does not match its terms (the file was altered)")]
    Altered,
    /// Made for another circuit version of the statement.
    #[error("request is for {statement} circuit version {found}, this build has {expected}")]
    CircuitVersion {
        /// Statement name.
        statement: &'static str,
        /// The request's version.
        found: u32,
        /// This build's.
        expected: u32,
    },
}

/// A request: who asks, for which statement, on which terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The verifier's public id (the request hash binds it).
    pub verifier: VerifierId,
    /// Random salt: two requests with the same terms still differ.
    pub salt: [u8; SALT_BYTES],
    /// When the verifier made it.
    pub created_at: Timestamp,
    /// The statement and its terms.
    pub terms: Terms,
}

impl Request {
    /// A new request with a fresh salt.
    pub fn new<R: RngCore + CryptoRng>(
        verifier: VerifierId,
        terms: Terms,
        created_at: Timestamp,
        rng: &mut R,
    ) -> Self {
        let mut salt = [0u8; SALT_BYTES];
        rng.fill_bytes(&mut salt);
        Self {
            verifier,
            salt,
            created_at,
            terms,
        }
    }

    /// The statement asked for.
    pub fn statement(&self) -> Statement {
        self.terms.statement()
    }

    /// Everything the nonce commits to, in a fixed order (typed terms re-serialise the same
    /// whatever the key order of the file they were read from).
    fn body(&self) -> Value {
        let statement = self.statement();
        json!({
            "format": REQUEST_FORMAT,
            "version": REQUEST_VERSION,
            "statement": statement.name(),
            "circuit_version": statement.circuit_version(),
            "verifier": fr_to_decimal(&self.verifier.0),
            "salt": hex::encode(self.salt),
            "created_at": self.created_at.0,
            "terms": self.terms.to_json(),
        })
    }

    /// The nonce: SHA-256 (low 248 bits) of a domain prefix and the canonical body.
    pub fn nonce(&self) -> Nonce {
        let mut data = NONCE_DOMAIN.to_vec();
        // Serialising a `Value` we built cannot fail.
        data.extend(serde_json::to_vec(&self.body()).unwrap_or_default());
        Nonce(sha256_248(&data))
    }

    /// `H_request(verifier_id, nonce)`: the public input that binds a proof to this request.
    pub fn hash(&self) -> RequestHash {
        RequestHash::derive(self.verifier, self.nonce())
    }

    /// The request file's bytes (pretty JSON, newline-terminated): the same request always
    /// gives the same bytes, whatever file it was read from.
    pub fn to_file_bytes(&self) -> Vec<u8> {
        let nonce = self.nonce();
        self.file_bytes(nonce, RequestHash::derive(self.verifier, nonce))
    }

    /// [`Self::to_file_bytes`] with the request's hash already known (from
    /// [`Self::from_file_bytes_hashed`]): no Poseidon permutation again.
    pub fn to_file_bytes_hashed(&self, hash: RequestHash) -> Vec<u8> {
        self.file_bytes(self.nonce(), hash)
    }

    /// SHA-256 of a domain prefix and the request file's canonical bytes: what the
    /// issued-request index keeps ([`crate::wallet::IssuedRequests`]).
    pub fn file_digest(file_bytes: &[u8]) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(FILE_DIGEST_DOMAIN);
        hasher.update(file_bytes);
        hasher.finalize().into()
    }

    fn file_bytes(&self, nonce: Nonce, hash: RequestHash) -> Vec<u8> {
        let mut file = self.body();
        if let Value::Object(map) = &mut file {
            map.insert("nonce".into(), json!(fr_to_decimal(&nonce.0)));
            map.insert("request_hash".into(), json!(fr_to_decimal(&hash.0)));
        }
        let mut bytes = serde_json::to_vec_pretty(&file).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Parses a request file and checks that its nonce and hash are its terms'.
    ///
    /// # Errors
    ///
    /// [`RequestError`] naming what is wrong.
    pub fn from_file_bytes(bytes: &[u8]) -> Result<Self, RequestError> {
        Self::from_file_bytes_hashed(bytes).map(|(request, _)| request)
    }

    /// [`Self::from_file_bytes`], with the request hash it checked (a verifier service keeps
    /// it rather than hashing again).
    ///
    /// # Errors
    ///
    /// [`RequestError`] naming what is wrong.
    pub fn from_file_bytes_hashed(bytes: &[u8]) -> Result<(Self, RequestHash), RequestError> {
        let bad = |m: String| RequestError::Malformed(m);
        let file: Value =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        let map = file
            .as_object()
            .ok_or_else(|| bad("expected a JSON object".into()))?;
        const FIELDS: [&str; 10] = [
            "format",
            "version",
            "statement",
            "circuit_version",
            "verifier",
            "salt",
            "created_at",
            "terms",
            "nonce",
            "request_hash",
        ];
        if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(bad(format!("unknown field {unknown:?}")));
        }
        let field = |name: &str| map.get(name).ok_or_else(|| bad(format!("missing {name}")));
        let text = |name: &str| {
            field(name)?
                .as_str()
                .ok_or_else(|| bad(format!("{name}: expected a string")))
        };
        let number = |name: &str| {
            field(name)?
                .as_u64()
                .ok_or_else(|| bad(format!("{name}: expected a non-negative integer")))
        };
        if text("format")? != REQUEST_FORMAT {
            return Err(bad(format!("format: expected {REQUEST_FORMAT:?}")));
        }
        if number("version")? != u64::from(REQUEST_VERSION) {
            return Err(bad(format!("version: expected {REQUEST_VERSION}")));
        }
        let name = text("statement")?;
        let statement =
            Statement::from_name(name).ok_or_else(|| bad(format!("unknown statement {name:?}")))?;
        let version = number("circuit_version")?;
        if version != u64::from(statement.circuit_version()) {
            return Err(RequestError::CircuitVersion {
                statement: statement.name(),
                found: u32::try_from(version).unwrap_or(u32::MAX),
                expected: statement.circuit_version(),
            });
        }
        let fr =
            |name: &str| parse_fr_decimal(text(name)?).map_err(|e| bad(format!("{name}: {e}")));
        let verifier = VerifierId(fr("verifier")?);
        let salt_hex = text("salt")?;
        let salt: [u8; SALT_BYTES] = hex::decode(salt_hex)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad(format!("salt: expected {} hex digits", 2 * SALT_BYTES)))?;
        let terms = Terms::from_json(statement, field("terms")?).map_err(bad)?;
        let request = Self {
            verifier,
            salt,
            created_at: Timestamp(number("created_at")?),
            terms,
        };
        let nonce = request.nonce();
        let hash = RequestHash::derive(request.verifier, nonce);
        if fr("nonce")? != nonce.0 || fr("request_hash")? != hash.0 {
            return Err(RequestError::Altered);
        }
        Ok((request, hash))
    }

    /// Reads a request file (size-limited).
    ///
    /// # Errors
    ///
    /// As [`Self::from_file_bytes`], and unreadable files.
    pub fn read(path: &Path) -> Result<Self, RequestError> {
        let bytes = read_limited(path, MAX_REQUEST_BYTES)?;
        Self::from_file_bytes(&bytes).map_err(|e| match e {
            RequestError::Malformed(m) => {
                RequestError::Malformed(format!("{}: {m}", path.display()))
            }
            other => other,
        })
    }
}

impl crate::home::Home {
    /// Issues a request from verifier `verifier` (a registered verifier whose secret this
    /// home holds): a fresh salt, kept in the wallet as an open request, so that `verify`
    /// can tell a request it issued from an edited copy. Every term must resolve (codes,
    /// dates, ranges, criteria) before the request is kept.
    ///
    /// # Errors
    ///
    /// An unknown verifier or one of another role, [`crate::home::HomeError::Invalid`] for
    /// terms that do not resolve, a database error.
    pub fn issue_request<R: RngCore + CryptoRng>(
        &mut self,
        verifier: &str,
        terms: Terms,
        now: Timestamp,
        rng: &mut R,
    ) -> Result<Request, crate::home::HomeError> {
        let id = self.verifier_id(verifier)?;
        // Only the verifier's own home issues its requests.
        self.secret(verifier)?;
        terms
            .term_values(id)
            .map_err(crate::home::HomeError::Invalid)?;
        let request = Request::new(id, terms, now, rng);
        let (hash, bytes) = (request.hash(), request.to_file_bytes());
        // The index first: it must hold every request the wallet holds (module docs of
        // `IssuedRequests`); a crash in between leaves an indexed request nobody received.
        self.complete_issued_index()?
            .add(hash, &Request::file_digest(&bytes), now)?;
        self.wallet_mut()?.add_request(hash, &bytes, now)?;
        Ok(request)
    }

    /// The issued-request index for writing, filled from the wallet first if it is not
    /// complete (a home from before the index, or one whose index was lost).
    fn complete_issued_index(&self) -> Result<IssuedRequests, crate::home::HomeError> {
        let index = IssuedRequests::open_or_create(self.issued_path())?;
        if !index.is_complete()? {
            for (hash, body, at) in self.wallet()?.requests()? {
                index.add(hash, &Request::file_digest(&body), at)?;
            }
            index.mark_complete()?;
        }
        Ok(index)
    }

    /// Whether this home issued the request with `hash` whose canonical file is `file_bytes`:
    /// from the issued-request index (no passphrase needed) when it is complete, else (a home
    /// from before the index) from the wallet, which then fills the index.
    ///
    /// # Errors
    ///
    /// The index's or the wallet's errors.
    pub fn issued(
        &self,
        hash: RequestHash,
        file_bytes: &[u8],
    ) -> Result<Issued, crate::home::HomeError> {
        let digest = Request::file_digest(file_bytes);
        let lookup = |index: &IssuedRequests| -> Result<Issued, crate::home::HomeError> {
            Ok(match index.digest(hash)? {
                Some(recorded) if recorded == digest => Issued::Same,
                Some(_) => Issued::Differs,
                None => Issued::NotIssued,
            })
        };
        if let Some(index) = self.issued_index()? {
            if index.is_complete()? {
                return lookup(index);
            }
        }
        lookup(&self.complete_issued_index()?)
    }
}

/// Whether a home issued a request ([`crate::home::Home::issued`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Issued {
    /// Issued, and the file is the one issued.
    Same,
    /// A request with this hash was issued, but the file differs from it.
    Differs,
    /// Not issued by this home.
    NotIssued,
}
