//! A blocking client of the registry service's `/v1` API ([`super::wire`]). Every write is
//! idempotent on the service, so a write whose answer was lost (a timeout, a dropped
//! connection) is sent again, a bounded number of times, and can never act twice.

use super::wire::{
    AnchorAck, AnchorRecords, ApiError, GrantAck, IdentityAck, Info, IssueGrant, LogPage,
    NewIdentity, ParamsList, RevokeGrant, MAX_LOG_PAGE,
};
use serde::{de::DeserializeOwned, Serialize};
use std::time::Duration;

/// How long one HTTP exchange may take before it counts as lost.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How many times a request whose answer was lost is sent in all.
pub const ATTEMPTS: u32 = 4;
/// Pause before the first resend; doubled before each next one.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// Largest JSON answer read (a log page of [`MAX_LOG_PAGE`] proofs is far below this).
pub const MAX_ANSWER_BYTES: u64 = 64 << 20;
/// Largest params file read (proving keys of deep trees are tens of megabytes).
pub const MAX_PARAMS_FILE_BYTES: u64 = 1 << 30;

/// Why a call to the registry service failed.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// No answer: the service is down, unreachable or too slow, after every retry.
    #[error("registry service {url} unreachable: {reason}")]
    Unreachable {
        /// The URL called.
        url: String,
        /// The transport's reason.
        reason: String,
    },
    /// The service answered with an error.
    #[error("registry service refused ({status} {}): {}", .error.error, .error.message)]
    Api {
        /// HTTP status.
        status: u16,
        /// The service's error body.
        error: ApiError,
    },
    /// The service answered something that is not the API (a wrong URL, another program).
    #[error("registry service {url}: unexpected answer: {reason}")]
    Protocol {
        /// The URL called.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The registry URL is not `http://host:port` (with an optional path prefix).
    #[error("registry URL {0:?} is not http://HOST:PORT")]
    BadUrl(String),
}

impl RemoteError {
    /// The HTTP status of a service refusal, if this is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A registry service at a base URL, with a custodian token for anchoring if given.
pub struct RegistryClient {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for RegistryClient {
    // The token is a credential: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("base", &self.base)
            .field("token", &self.token.as_ref().map(|_| "…"))
            .finish()
    }
}

impl RegistryClient {
    /// A client of the service at `url` (`http://host:port`, trailing slash optional).
    ///
    /// # Errors
    ///
    /// [`RemoteError::BadUrl`].
    pub fn new(url: &str, token: Option<String>) -> Result<Self, RemoteError> {
        let base = url.trim_end_matches('/');
        let rest = base
            .strip_prefix("http://")
            .or_else(|| base.strip_prefix("https://"))
            .ok_or_else(|| RemoteError::BadUrl(url.to_owned()))?;
        if rest.is_empty() || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(RemoteError::BadUrl(url.to_owned()));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .into();
        Ok(Self {
            base: base.to_owned(),
            token,
            agent,
        })
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// `GET /v1/info`.
    ///
    /// # Errors
    ///
    /// See [`RemoteError`].
    pub fn info(&self) -> Result<Info, RemoteError> {
        self.get_json("/v1/info")
    }

    /// `GET /v1/params`.
    ///
    /// # Errors
    ///
    /// See [`RemoteError`].
    pub fn params(&self) -> Result<ParamsList, RemoteError> {
        self.get_json("/v1/params")
    }

    /// `GET /v1/params/{name}`: the file's bytes (the caller checks their hash).
    ///
    /// # Errors
    ///
    /// See [`RemoteError`].
    pub fn params_file(&self, name: &str) -> Result<Vec<u8>, RemoteError> {
        let path = format!("/v1/params/{name}");
        self.with_retries(&path, |url| {
            let response = self.agent.get(url).call();
            read_answer(url, response, MAX_PARAMS_FILE_BYTES)
        })
    }

    /// `GET /v1/log`: entries after the given sequence numbers.
    ///
    /// # Errors
    ///
    /// See [`RemoteError`].
    pub fn log(
        &self,
        identities_after: u64,
        grants_after: u64,
        records_after: u64,
    ) -> Result<LogPage, RemoteError> {
        self.get_json(&format!(
            "/v1/log?identities_after={identities_after}&grants_after={grants_after}\
             &records_after={records_after}&limit={MAX_LOG_PAGE}"
        ))
    }

    /// `POST /v1/identities`.
    ///
    /// # Errors
    ///
    /// See [`RemoteError`]; a name taken by another id is a 409 [`RemoteError::Api`].
    pub fn register_identity(&self, body: &NewIdentity) -> Result<IdentityAck, RemoteError> {
        self.post_json("/v1/identities", body)
    }

    /// `POST /v1/grants`.
    ///
    /// # Errors
    ///
    /// See [`RemoteError`]; a proof that does not verify is a 403 [`RemoteError::Api`].
    pub fn issue_grant(&self, body: &IssueGrant) -> Result<GrantAck, RemoteError> {
        self.post_json("/v1/grants", body)
    }

    /// `POST /v1/grants/{index}/revoke`.
    ///
    /// # Errors
    ///
    /// See [`RemoteError`].
    pub fn revoke_grant(&self, index: u64, body: &RevokeGrant) -> Result<GrantAck, RemoteError> {
        self.post_json(&format!("/v1/grants/{index}/revoke"), body)
    }

    /// `POST /v1/records`, with this client's custodian token.
    ///
    /// # Errors
    ///
    /// See [`RemoteError`]; no or a wrong token is a 401 or 403 [`RemoteError::Api`].
    pub fn anchor_records(&self, body: &AnchorRecords) -> Result<AnchorAck, RemoteError> {
        self.post_json("/v1/records", body)
    }

    fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, RemoteError> {
        self.with_retries(path, |url| {
            let bytes = read_answer(url, self.agent.get(url).call(), MAX_ANSWER_BYTES)?;
            decode(url, &bytes)
        })
    }

    fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, RemoteError> {
        let json = serde_json::to_vec(body).map_err(|e| RemoteError::Protocol {
            url: path.to_owned(),
            reason: e.to_string(),
        })?;
        self.with_retries(path, |url| {
            let mut request = self
                .agent
                .post(url)
                .header("content-type", "application/json");
            if let Some(token) = &self.token {
                request = request.header("authorization", &format!("Bearer {token}"));
            }
            let bytes = read_answer(url, request.send(&json[..]), MAX_ANSWER_BYTES)?;
            decode(url, &bytes)
        })
    }

    /// Runs `call` until it gets an answer: only [`RemoteError::Unreachable`] (and a busy
    /// service, 503) is retried, since only then may the request not have been acted on.
    fn with_retries<T>(
        &self,
        path: &str,
        call: impl Fn(&str) -> Result<T, RemoteError>,
    ) -> Result<T, RemoteError> {
        let url = format!("{}{path}", self.base);
        let mut pause = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            match call(&url) {
                Err(e) if attempt < ATTEMPTS && is_transient(&e) => {
                    std::thread::sleep(pause);
                    pause = pause.saturating_mul(2);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

fn is_transient(e: &RemoteError) -> bool {
    matches!(e, RemoteError::Unreachable { .. }) || e.status() == Some(503)
}

/// The body of a 2xx answer, at most `limit` bytes; an error answer as [`RemoteError::Api`].
fn read_answer(
    url: &str,
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    limit: u64,
) -> Result<Vec<u8>, RemoteError> {
    let mut response = response.map_err(|e| RemoteError::Unreachable {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    let status = response.status().as_u16();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| RemoteError::Unreachable {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
    if (200..300).contains(&status) {
        return Ok(bytes);
    }
    let error = serde_json::from_slice::<ApiError>(&bytes).unwrap_or_else(|_| ApiError {
        error: "http".into(),
        message: String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
    });
    Err(RemoteError::Api { status, error })
}

fn decode<T: DeserializeOwned>(url: &str, bytes: &[u8]) -> Result<T, RemoteError> {
    serde_json::from_slice(bytes).map_err(|e| RemoteError::Protocol {
        url: url.to_owned(),
        reason: e.to_string(),
    })
}
