//! The `/v1` routes (see `zkconsent::remote::wire` for the table) and the health and
//! metrics endpoints. A write answers 201 when it acted and 200 with the first outcome when
//! it had already been done (a retry), so a retry never acts twice.

use super::{
    api::ApiFailure,
    convert::{self, json_body},
    metrics::{method_label, route_label},
    state::{now, State},
};
use axum::{
    body::Bytes,
    extract::{
        rejection::{BytesRejection, PathRejection, QueryRejection},
        DefaultBodyLimit, Path, Query, Request, State as Shared,
    },
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use std::sync::Arc;
use zkconsent::{
    circuits::{
        authority::GrantAction,
        types::{IdentityId, RecordCommitment},
    },
    prover::params::sha256_hex,
    registry::{identities::is_valid_name, log::LogCursor, GrantStatus, Role},
    remote::wire::{
        AnchorAck, AnchorRecords, GrantAck, IdentityAck, Info, IssueGrant, LogPage, NewIdentity,
        ParamsList, RevokeGrant, MAX_LOG_PAGE, MAX_REQUEST_BODY, REGISTRY_API_FORMAT,
        REGISTRY_API_VERSION,
    },
};

type AppState = Shared<Arc<State>>;
type Answer<T> = Result<(StatusCode, Json<T>), ApiFailure>;

/// The service's routes over `state`.
pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/info", get(info))
        .route("/v1/params", get(params_list))
        .route("/v1/params/{name}", get(params_file))
        .route("/v1/log", get(log))
        .route("/v1/identities", post(register_identity))
        .route("/v1/grants", post(issue_grant))
        .route("/v1/grants/{index}/revoke", post(revoke_grant))
        .route("/v1/records", post(anchor_records))
        .fallback(|| async { ApiFailure::not_found("no such route") })
        .method_not_allowed_fallback(|| async { ApiFailure::method_not_allowed() })
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), count))
        .with_state(state)
}

/// Counts every answer by route, method and status.
async fn count(Shared(state): AppState, request: Request, next: Next) -> Response {
    let route = route_label(request.uri().path());
    let method = method_label(request.method());
    let response = next.run(request).await;
    state
        .metrics
        .request(route, method, response.status().as_u16());
    response
}

/// A request body within [`MAX_REQUEST_BODY`] (413 beyond it).
fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiFailure> {
    body.map_err(|e| ApiFailure::rejected(e.status(), e.body_text()))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn metrics(Shared(state): AppState) -> Result<Response, ApiFailure> {
    let text = state
        .with_registry(|reg, state| {
            let (heads, counts) = (reg.heads()?, reg.log_counts()?);
            Ok(state.metrics.render(&heads, &counts))
        })
        .await?;
    let content_type = HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8");
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}

async fn info(Shared(state): AppState) -> Answer<Info> {
    let heads = state.with_registry(|reg, _| Ok(reg.heads()?)).await?;
    Ok((
        StatusCode::OK,
        Json(Info {
            format: REGISTRY_API_FORMAT.to_owned(),
            api: REGISTRY_API_VERSION,
            depth: state.depth,
            manifest_sha256: state.params.manifest_sha256().to_owned(),
            heads: convert::heads(&heads),
        }),
    ))
}

async fn params_list(Shared(state): AppState) -> Answer<ParamsList> {
    Ok((
        StatusCode::OK,
        Json(ParamsList {
            files: state.params.list().to_vec(),
        }),
    ))
}

async fn params_file(
    Shared(state): AppState,
    name: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiFailure> {
    let Path(name) = name.map_err(|e| ApiFailure::rejected(e.status(), e.body_text()))?;
    // Only names in the list: no path, however spelled, reaches another file.
    let (Some(path), Some(listed)) = (
        state.params.path_of(&name),
        state.params.list().iter().find(|f| f.name == name).cloned(),
    ) else {
        return Err(ApiFailure::not_found(format!("no params file {name:?}")));
    };
    let bytes = tokio::task::spawn_blocking(move || {
        zkconsent::files::read_limited(&path, super::params::MAX_PARAMS_FILE)
    })
    .await
    .map_err(ApiFailure::internal)?
    .map_err(ApiFailure::internal)?;
    // A file changed since start would fail every client's check: say so here instead.
    if sha256_hex(&bytes) != listed.sha256 {
        return Err(ApiFailure::internal(format!(
            "params file {} changed since the service started",
            listed.name
        )));
    }
    let content_type = HeaderValue::from_static("application/octet-stream");
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// `GET /v1/log`'s query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogQuery {
    #[serde(default)]
    identities_after: u64,
    #[serde(default)]
    grants_after: u64,
    #[serde(default)]
    records_after: u64,
    limit: Option<u64>,
}

async fn log(
    Shared(state): AppState,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> Answer<LogPage> {
    let Query(q) = query.map_err(|e| ApiFailure::rejected(e.status(), e.body_text()))?;
    let limit = q.limit.unwrap_or(MAX_LOG_PAGE);
    if !(1..=MAX_LOG_PAGE).contains(&limit) {
        return Err(ApiFailure::malformed(format!(
            "limit must be 1 to {MAX_LOG_PAGE}"
        )));
    }
    let cursor = LogCursor {
        identities_after: q.identities_after,
        grants_after: q.grants_after,
        records_after: q.records_after,
    };
    let page = state
        .with_registry(move |reg, _| Ok(reg.log_page(cursor, limit)?))
        .await?;
    Ok((
        StatusCode::OK,
        Json(LogPage {
            identities: page.identities.iter().map(convert::identity).collect(),
            grant_events: page.grant_events.iter().map(convert::grant_event).collect(),
            record_events: page
                .record_events
                .iter()
                .map(convert::record_event)
                .collect(),
            heads: convert::heads(&page.heads),
        }),
    ))
}

async fn register_identity(
    Shared(state): AppState,
    raw: Result<Bytes, BytesRejection>,
) -> Answer<IdentityAck> {
    let req: NewIdentity = json_body(&body(raw)?)?;
    if !is_valid_name(&req.name) {
        return Err(ApiFailure::malformed(
            "invalid name (1 to 128 bytes, no control characters or edge spaces)",
        ));
    }
    let role: Role = req
        .role
        .parse()
        .map_err(|_| ApiFailure::malformed("role must be patient, clinician or verifier"))?;
    let id = IdentityId(convert::field("id", &req.id)?);
    state
        .with_registry(move |reg, _| {
            let ack = |e: &zkconsent::registry::log::LoggedIdentity| IdentityAck {
                seq: e.seq,
                name: e.name.clone(),
                role: e.role.as_str().to_owned(),
                id: convert::field_decimal(&e.id.0),
            };
            if let Some(earlier) = reg.logged_identity(&req.name)? {
                return if earlier.role == role && earlier.id == id {
                    Ok((StatusCode::OK, Json(ack(&earlier))))
                } else {
                    Err(ApiFailure::conflict(format!(
                        "the name {:?} is registered to another identity",
                        req.name
                    )))
                };
            }
            reg.register_identity(&req.name, role, id)?;
            let created = reg
                .logged_identity(&req.name)?
                .ok_or_else(|| ApiFailure::internal("identity missing after registration"))?;
            Ok((StatusCode::CREATED, Json(ack(&created))))
        })
        .await
}

async fn issue_grant(
    Shared(state): AppState,
    raw: Result<Bytes, BytesRejection>,
) -> Answer<GrantAck> {
    let req: IssueGrant = json_body(&body(raw)?)?;
    let commitment = convert::commitment(&req.commitment)?;
    let proof = convert::proof(&req.proof)?;
    state
        .check_authority(GrantAction::Issue, commitment, proof.clone())
        .await?;
    state
        .with_registry(move |reg, state| {
            // A retry (or a second valid proof) for an issued commitment: the first outcome.
            if let Some(earlier) = reg.issue_event(commitment)? {
                let status = grant_status(reg, earlier.leaf_index)?;
                return Ok((StatusCode::OK, Json(convert::grant_ack(&earlier, status))));
            }
            let at = now(reg)?;
            let index = reg.issue_grant(&state.authority, commitment, &proof, at)?;
            let event = reg
                .last_grant_event()?
                .filter(|e| e.kind == GrantAction::Issue && e.leaf_index == index)
                .ok_or_else(|| ApiFailure::internal("issue event missing after issue"))?;
            let ack = convert::grant_ack(&event, GrantStatus::Active);
            Ok((StatusCode::CREATED, Json(ack)))
        })
        .await
}

async fn revoke_grant(
    Shared(state): AppState,
    index: Result<Path<u64>, PathRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> Answer<GrantAck> {
    let Path(index) = index.map_err(|e| ApiFailure::rejected(e.status(), e.body_text()))?;
    let req: RevokeGrant = json_body(&body(raw)?)?;
    let proof = convert::proof(&req.proof)?;
    let grant = state
        .with_registry(move |reg, _| Ok(reg.grant(index)?))
        .await?
        .ok_or_else(|| ApiFailure::not_found(format!("no grant at leaf {index}")))?;
    // A leaf's commitment never changes once issued, so checking outside the lock is sound.
    state
        .check_authority(GrantAction::Revoke, grant.commitment, proof.clone())
        .await?;
    state
        .with_registry(move |reg, state| {
            if let Some(earlier) = reg.revoke_event(index)? {
                let ack = convert::grant_ack(&earlier, GrantStatus::Revoked);
                return Ok((StatusCode::OK, Json(ack)));
            }
            let at = now(reg)?;
            reg.revoke_grant(&state.authority, index, &proof, at)?;
            let event = reg
                .last_grant_event()?
                .filter(|e| e.kind == GrantAction::Revoke && e.leaf_index == index)
                .ok_or_else(|| ApiFailure::internal("revoke event missing after revoke"))?;
            let ack = convert::grant_ack(&event, GrantStatus::Revoked);
            Ok((StatusCode::CREATED, Json(ack)))
        })
        .await
}

fn grant_status(
    reg: &zkconsent::registry::Registry,
    index: u64,
) -> Result<GrantStatus, ApiFailure> {
    reg.grant(index)?
        .map(|g| g.status)
        .ok_or_else(|| ApiFailure::internal(format!("grant {index} has an event but no row")))
}

/// The custodian presenting a valid `Authorization: Bearer TOKEN`.
fn custodian(state: &State, headers: &HeaderMap) -> Result<String, ApiFailure> {
    const SCHEME: &[u8] = b"bearer ";
    let Some(tokens) = &state.tokens else {
        return Err(ApiFailure::forbidden(
            "record anchoring is disabled: this registry service was started without \
             --custodian-tokens",
        ));
    };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiFailure::unauthorized(
            "a custodian token is required (Authorization: Bearer TOKEN)",
        ));
    };
    let value = value.as_bytes();
    let token = match value.get(..SCHEME.len()) {
        Some(scheme) if scheme.eq_ignore_ascii_case(SCHEME) => &value[SCHEME.len()..],
        _ => {
            return Err(ApiFailure::unauthorized(
                "expected Authorization: Bearer TOKEN",
            ))
        }
    };
    tokens
        .custodian(token)
        .map(str::to_owned)
        .ok_or_else(|| ApiFailure::forbidden("unknown custodian token"))
}

async fn anchor_records(
    Shared(state): AppState,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Answer<AnchorAck> {
    let who = custodian(&state, &headers)?;
    let req: AnchorRecords = json_body(&body(raw)?)?;
    if req.leaves.is_empty() {
        return Err(ApiFailure::refused(
            "an anchoring appends at least one leaf",
        ));
    }
    let leaves = req
        .leaves
        .iter()
        .map(|l| convert::field("leaf", l).map(RecordCommitment))
        .collect::<Result<Vec<_>, _>>()?;
    let mut seen = std::collections::HashSet::with_capacity(leaves.len());
    if let Some(twice) = leaves.iter().position(|l| !seen.insert(*l)) {
        return Err(ApiFailure::malformed(format!(
            "leaf {twice} repeats an earlier leaf of the same anchoring"
        )));
    }
    let superseded = req.superseded;
    let (status, ack) = state
        .with_registry(move |reg, _| {
            let mut anchored = Vec::new();
            for leaf in &leaves {
                if let Some(r) = reg.find_record(*leaf)? {
                    anchored.push(r);
                }
            }
            if let Some(first) = anchored.first() {
                // A retry: every leaf appended by one earlier anchoring of exactly this body.
                let earlier = match reg.record_event(first.event_seq)? {
                    Some(e)
                        if anchored.len() == leaves.len()
                            && e.leaves == leaves
                            && e.superseded == superseded =>
                    {
                        e
                    }
                    _ => {
                        return Err(ApiFailure::conflict(format!(
                            "record leaf {} is already anchored (anchoring {}), differently \
                             from this request",
                            first.index, first.event_seq
                        )))
                    }
                };
                let ack = AnchorAck {
                    event_seq: earlier.seq,
                    first_index: earlier.first_index,
                    count: earlier.leaves.len() as u64,
                    root: convert::field_decimal(&earlier.root_after.0),
                    at: earlier.at.0,
                };
                return Ok((StatusCode::OK, ack));
            }
            let at = now(reg)?;
            let done = reg.anchor_records(&leaves, &superseded, at)?;
            let event_seq = done
                .event_seq
                .ok_or_else(|| ApiFailure::internal("anchoring logged no event"))?;
            let ack = AnchorAck {
                event_seq,
                first_index: done.first_index,
                count: done.count,
                root: convert::field_decimal(&done.root_after.0),
                at: at.0,
            };
            Ok((StatusCode::CREATED, ack))
        })
        .await?;
    if status == StatusCode::CREATED {
        state.metrics.anchoring(&who);
    }
    Ok((status, Json(ack)))
}
