//! zkconsent's network services, each over one party's home: the registry service (the
//! operator's registry behind a versioned JSON API, [`registry`]) and the verifier service
//! (requests and verification for custodians, insurers and researchers, [`verifier`]).
//! Both are axum on tokio; the library below them stays synchronous.
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]
#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod registry;
pub mod verifier;
