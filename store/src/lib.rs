//! zkconsent storage helpers shared by the ledger-side registry and the client-side wallet:
//! SQLite settings and upgrades ([`sql`]), column encodings ([`codec`]) and identity roles
//! and names ([`identity`]). Nothing here knows a tree, a grant or a secret.
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]
#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod codec;
pub mod identity;
pub mod sql;

pub use codec::{ColError, CorruptValue};
pub use identity::{is_valid_name, Role, UnknownRole};
