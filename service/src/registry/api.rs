//! Error answers: every refusal is an [`ApiError`] body with the status the wire documents,
//! and the one mapping from a registry error to it.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use zkconsent::{registry::RegistryError, remote::wire::ApiError};

/// A refusal on its way to the client.
#[derive(Debug)]
pub(crate) struct ApiFailure {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiFailure {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400: the request can never succeed as sent.
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed", message)
    }

    /// A body or query the framework refused, with its own status (413 for a body over the
    /// limit, 400 otherwise).
    pub(crate) fn rejected(status: StatusCode, message: impl Into<String>) -> Self {
        let status = if status.is_client_error() {
            status
        } else {
            StatusCode::BAD_REQUEST
        };
        Self::new(status, "malformed", message)
    }

    /// 401: no custodian token.
    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: a wrong token, or an authority proof that does not verify.
    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 405.
    pub(crate) fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "malformed",
            "method not allowed on this path",
        )
    }

    /// 409: contradicts what is registered.
    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 422: well-formed but refused (a full tree, an empty leaf).
    pub(crate) fn refused(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", message)
    }

    /// 500. The details go to the operator's log, not to the client.
    pub(crate) fn internal(detail: impl std::fmt::Display) -> Self {
        eprintln!("zkconsent registry service: internal error: {detail}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error (see the service's log)",
        )
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let body = ApiError {
            error: self.code.to_owned(),
            message: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

/// Whether SQLite gave up waiting for another writer (another process on the file).
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

impl From<RegistryError> for ApiFailure {
    fn from(e: RegistryError) -> Self {
        use RegistryError as E;
        match e {
            E::Sqlite(ref s) if is_busy(s) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the registry is busy; retry",
            ),
            E::Unauthorized(_) => Self::forbidden(e.to_string()),
            E::UnknownGrant(_) => Self::not_found(e.to_string()),
            E::InvalidName | E::DuplicateSuperseded(_) | E::SupersedeWithoutLeaves => {
                Self::malformed(e.to_string())
            }
            E::DuplicateIdentity(_)
            | E::DuplicateCommitment { .. }
            | E::AlreadyRevoked(_)
            | E::DuplicateRecordLeaf { .. }
            | E::UnknownRecord(_)
            | E::RecordAlreadySuperseded(_) => Self::conflict(e.to_string()),
            E::ZeroCommitment | E::ZeroRecordLeaf | E::TreeFull | E::RecordsTreeFull { .. } => {
                Self::refused(e.to_string())
            }
            E::Sqlite(_)
            | E::Io(_)
            | E::AlreadyExists(_)
            | E::NotARegistry
            | E::SchemaVersion { .. }
            | E::Corrupt(_)
            | E::Inconsistent(_)
            | E::Damaged(_)
            | E::Merkle(_)
            | E::TimeWentBackwards { .. } => Self::internal(e),
        }
    }
}
