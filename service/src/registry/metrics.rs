//! Prometheus text for `GET /metrics`: requests by route, method and status (counted by
//! this process), anchorings by custodian, and the registry's totals and heads (read from
//! the database, so they survive restarts).

use std::{collections::BTreeMap, fmt::Write, sync::Mutex};
use zkconsent::{
    registry::log::{Heads, LogCounts},
    verifier::fr_to_decimal,
};

/// Route label of a path that matches no route (hostile paths never become labels).
const OTHER_ROUTE: &str = "other";

/// The route a path belongs to, as a fixed label.
pub(crate) fn route_label(path: &str) -> &'static str {
    match path {
        "/healthz" => "/healthz",
        "/metrics" => "/metrics",
        "/v1/info" => "/v1/info",
        "/v1/params" => "/v1/params",
        "/v1/log" => "/v1/log",
        "/v1/identities" => "/v1/identities",
        "/v1/grants" => "/v1/grants",
        "/v1/records" => "/v1/records",
        p if p.starts_with("/v1/params/") => "/v1/params/{name}",
        p if p.starts_with("/v1/grants/") && p.ends_with("/revoke") => "/v1/grants/{index}/revoke",
        _ => OTHER_ROUTE,
    }
}

/// A method as a fixed label.
pub(crate) fn method_label(method: &axum::http::Method) -> &'static str {
    match *method {
        axum::http::Method::GET => "GET",
        axum::http::Method::POST => "POST",
        axum::http::Method::HEAD => "HEAD",
        _ => "other",
    }
}

/// This process's counters.
#[derive(Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, &'static str, u16), u64>>,
    anchorings: Mutex<BTreeMap<String, u64>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A counter map stays valid whatever panicked while holding it.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Metrics {
    /// Counts one answered request.
    pub(crate) fn request(&self, route: &'static str, method: &'static str, status: u16) {
        *lock(&self.requests)
            .entry((route, method, status))
            .or_default() += 1;
    }

    /// Counts one anchoring by `custodian` (a name from the token file).
    pub(crate) fn anchoring(&self, custodian: &str) {
        *lock(&self.anchorings)
            .entry(custodian.to_owned())
            .or_default() += 1;
    }

    /// The exposition text, with the registry's `heads` and `counts`.
    pub(crate) fn render(&self, heads: &Heads, counts: &LogCounts) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP zkconsent_registry_requests_total Requests answered, by route, method and status.\n\
             # TYPE zkconsent_registry_requests_total counter"
        );
        for ((route, method, status), n) in lock(&self.requests).iter() {
            let _ = writeln!(
                out,
                "zkconsent_registry_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP zkconsent_registry_anchorings_total Record anchorings accepted by this process, by custodian.\n\
             # TYPE zkconsent_registry_anchorings_total counter"
        );
        for (custodian, n) in lock(&self.anchorings).iter() {
            let _ = writeln!(
                out,
                "zkconsent_registry_anchorings_total{{custodian=\"{custodian}\"}} {n}"
            );
        }
        let values: [(&str, &str, &str, u64); 8] = [
            (
                "zkconsent_registry_identities",
                "gauge",
                "Identities registered (the identities log's head).",
                heads.identities,
            ),
            (
                "zkconsent_registry_grant_events",
                "gauge",
                "Grant events logged (the grants log's head).",
                heads.grant_events,
            ),
            (
                "zkconsent_registry_record_events",
                "gauge",
                "Record anchorings logged (the records log's head).",
                heads.record_events,
            ),
            (
                "zkconsent_registry_grants_issued_total",
                "counter",
                "Grants ever issued.",
                counts.issued,
            ),
            (
                "zkconsent_registry_grants_revoked_total",
                "counter",
                "Grants ever revoked.",
                counts.revoked,
            ),
            (
                "zkconsent_registry_grants_active",
                "gauge",
                "Grants issued and not revoked.",
                counts.issued.saturating_sub(counts.revoked),
            ),
            (
                "zkconsent_registry_record_leaves_total",
                "counter",
                "Record leaves ever anchored.",
                counts.record_leaves,
            ),
            (
                "zkconsent_registry_record_leaves_superseded_total",
                "counter",
                "Record leaves superseded since.",
                counts.superseded,
            ),
        ];
        for (name, kind, help, value) in values {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP zkconsent_registry_root_info The current root of each tree (decimal), as a label.\n\
             # TYPE zkconsent_registry_root_info gauge\n\
             zkconsent_registry_root_info{{tree=\"grants\",root=\"{}\"}} 1\n\
             zkconsent_registry_root_info{{tree=\"records\",root=\"{}\"}} 1\n\
             # HELP zkconsent_registry_last_change_seconds Unix time of the latest root of either tree.\n\
             # TYPE zkconsent_registry_last_change_seconds gauge\n\
             zkconsent_registry_last_change_seconds {}",
            fr_to_decimal(&heads.grants_root.0),
            fr_to_decimal(&heads.records_root.0),
            heads.last_at.0
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_fixed_routes() {
        assert_eq!(
            route_label("/v1/grants/17/revoke"),
            "/v1/grants/{index}/revoke"
        );
        assert_eq!(route_label("/v1/params/access.pk"), "/v1/params/{name}");
        assert_eq!(route_label("/v1/grants/17"), OTHER_ROUTE);
        assert_eq!(route_label("/\"}\n evil"), OTHER_ROUTE);
    }
}
