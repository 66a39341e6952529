//! The HTTP routes. Bodies are read as bytes under a size limit (413 above it) and parsed
//! here, off the worker thread: a request file is parsed and hash-checked, a proof file
//! decoded strictly (curve and subgroup checks), so the worker sees only well-formed input.
//!
//! - `POST /v1/requests`: [`super::terms::RequestSpec`] → 200 with the request file's bytes
//!   (exactly what `zkconsent request new --out` writes) and its hash in the
//!   `zkconsent-request-hash` header.
//! - `POST /v1/verify`: `{"request": R, "proof": P}` where each of R and P is the file's
//!   JSON object, or the file's text as a JSON string → 200 `{"accepted": true, "statement",
//!   "request_hash", "consumed": true, "public_inputs", "time"}`, 422 `{"error":
//!   "rejected", "reason"}`, 400 `{"error": "malformed", "reason"}`.
//! - `GET /healthz` → 200 `{"ok": true}`; `GET /metrics` → Prometheus text.
//!
//! Errors are `{"error": KIND, "reason": TEXT}` with KIND one of `rejected` (422),
//! `malformed` (400), `too_large` (413), `not_found` (404), `unavailable` (503: queue full
//! or shutting down), `internal` (500).

use super::{
    batcher::{IssueJob, Job, Verdict, VerifyJob},
    metrics::{Metrics, Outcome},
    terms::{IssueError, RequestSpec},
};
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, DefaultBodyLimit, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use serde::Deserialize;
use serde_json::{json, value::RawValue, Value};
use std::{
    sync::{
        mpsc::{SyncSender, TrySendError},
        Arc,
    },
    time::Instant,
};
use tokio::sync::oneshot;
use zkconsent::{
    circuits::{statement::InputRole, types::RequestHash},
    prover::Statement,
    request::Request,
    verifier::fr_to_decimal,
    verify::{decode_proof, Accepted},
};

/// Header carrying the hash of an issued request.
pub const REQUEST_HASH_HEADER: &str = "zkconsent-request-hash";
/// Content type of the metrics exposition.
const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    /// The worker's queue (bounded: full means 503).
    pub jobs: SyncSender<Job>,
    /// Counters and histograms.
    pub metrics: Arc<Metrics>,
}

/// The service's router.
pub(crate) fn router(state: AppState, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/v1/requests", post(issue))
        .route("/v1/verify", post(verify))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}

/// An error response: `{"error": kind, "reason": reason}`.
fn error(status: StatusCode, kind: &str, reason: impl std::fmt::Display) -> Response {
    (
        status,
        axum::Json(json!({ "error": kind, "reason": reason.to_string() })),
    )
        .into_response()
}

fn malformed(reason: impl std::fmt::Display) -> Response {
    error(StatusCode::BAD_REQUEST, "malformed", reason)
}

fn unavailable() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the verifier is busy or shutting down; retry",
    )
}

/// A body that could not be read: too large (413) or otherwise unreadable (400).
fn body_failure(rejection: BytesRejection) -> Response {
    let status = rejection.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        error(status, "too_large", rejection.body_text())
    } else {
        malformed(rejection.body_text())
    }
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn healthz() -> Response {
    axum::Json(json!({ "ok": true })).into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)],
        state.metrics.render(),
    )
        .into_response()
}

/// Hands a job to the worker and waits for its answer.
async fn submit<T>(
    state: &AppState,
    job: impl FnOnce(oneshot::Sender<T>) -> Job,
) -> Result<T, Response> {
    let (tx, rx) = oneshot::channel();
    match state.jobs.try_send(job(tx)) {
        Ok(()) => {}
        Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => return Err(unavailable()),
    }
    rx.await.map_err(|_| unavailable())
}

async fn issue(State(state): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => return body_failure(e),
    };
    let spec: RequestSpec = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => return malformed(format!("request terms: {e}")),
    };
    let result = match submit(&state, |reply| Job::Issue(IssueJob { spec, reply })).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    match result {
        Ok(bytes) => {
            let mut response = (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                bytes.clone(),
            )
                .into_response();
            // Re-read our own bytes for the hash, so the header is exactly the file's.
            if let Ok(request) = Request::from_file_bytes(&bytes) {
                if let Ok(value) = HeaderValue::from_str(&fr_to_decimal(&request.hash().0)) {
                    response.headers_mut().insert(REQUEST_HASH_HEADER, value);
                }
            }
            response
        }
        Err(IssueError::Malformed(m)) => malformed(m),
        Err(IssueError::Refused(m)) => error(StatusCode::UNPROCESSABLE_ENTITY, "refused", m),
        Err(IssueError::Internal(m)) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", m),
    }
}

/// The body of `POST /v1/verify`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody<'a> {
    #[serde(borrow)]
    request: &'a RawValue,
    #[serde(borrow)]
    proof: &'a RawValue,
}

/// A file carried in a JSON body: its object as is, or its text as a string.
fn file_bytes(raw: &RawValue) -> Result<Vec<u8>, String> {
    let text = raw.get();
    if text.starts_with('"') {
        serde_json::from_str::<String>(text)
            .map(String::into_bytes)
            .map_err(|e| e.to_string())
    } else {
        Ok(text.as_bytes().to_vec())
    }
}

async fn verify(State(state): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    let start = Instant::now();
    let (response, statement, outcome) = verify_inner(&state, body).await;
    state.metrics.verified(statement, outcome, start.elapsed());
    response
}

async fn verify_inner(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
) -> (Response, Option<Statement>, Outcome) {
    let body = match body {
        Ok(b) => b,
        Err(e) => return (body_failure(e), None, Outcome::Malformed),
    };
    let parsed: VerifyBody<'_> = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => {
            let reason = format!("expected {{\"request\": …, \"proof\": …}}: {e}");
            return (malformed(reason), None, Outcome::Malformed);
        }
    };
    let (request, request_hash) = match file_bytes(parsed.request)
        .and_then(|b| Request::from_file_bytes_hashed(&b).map_err(|e| e.to_string()))
    {
        Ok(r) => r,
        Err(e) => return (malformed(e), None, Outcome::Malformed),
    };
    let statement = Some(request.statement());
    let proof = match file_bytes(parsed.proof) {
        Ok(bytes) => match decode_proof(&bytes) {
            Ok(p) => p,
            Err(e) => return (malformed(e), statement, Outcome::Malformed),
        },
        Err(e) => {
            return (
                malformed(format!("proof: {e}")),
                statement,
                Outcome::Malformed,
            )
        }
    };
    let verdict = submit(state, |reply| {
        Job::Verify(VerifyJob {
            proof,
            request,
            request_hash,
            reply,
        })
    })
    .await;
    match verdict {
        Ok(Verdict::Accepted(accepted)) => (
            accepted_body(&accepted, request_hash),
            statement,
            Outcome::Accepted,
        ),
        Ok(Verdict::Rejected(reason)) => (
            error(StatusCode::UNPROCESSABLE_ENTITY, "rejected", reason),
            statement,
            Outcome::Rejected,
        ),
        Ok(Verdict::Malformed(reason)) => (malformed(reason), statement, Outcome::Malformed),
        Ok(Verdict::Internal(reason)) => (
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal", reason),
            statement,
            Outcome::Error,
        ),
        Ok(Verdict::Unavailable) => (unavailable(), statement, Outcome::Error),
        Err(response) => (response, statement, Outcome::Error),
    }
}

/// 200: what was accepted, with its public inputs by name and the time it speaks for.
/// The 200 body; `request_hash` is the hash checked when the request was parsed (hashing
/// again would cost a Poseidon permutation per answer).
fn accepted_body(accepted: &Accepted, request_hash: RequestHash) -> Response {
    let proof = &accepted.proof;
    let names = proof.statement.input_names();
    let inputs: serde_json::Map<String, Value> = names
        .iter()
        .zip(&proof.inputs)
        .map(|(n, x)| (n.to_string(), json!(fr_to_decimal(x))))
        .collect();
    let request_hash = accepted
        .request
        .as_ref()
        .map(|_| fr_to_decimal(&request_hash.0));
    let time = proof
        .statement
        .input_roles()
        .iter()
        .position(|role| *role == InputRole::Time)
        .and_then(|at| proof.inputs.get(at))
        .and_then(|x| fr_to_decimal(x).parse::<u64>().ok());
    axum::Json(json!({
        "accepted": true,
        "statement": proof.statement.name(),
        "request_hash": request_hash,
        "consumed": true,
        "public_inputs": inputs,
        "time": time,
    }))
    .into_response()
}
