//! Metrics in the Prometheus text format, through the `metrics` facade: one process-wide
//! recorder, rendered by `GET /metrics` (for an ADMIN or AUDITOR token).
//!
//! What is counted where:
//! - `http` — `normledger_http_requests_total{kind, status}` and
//!   `normledger_http_request_seconds{kind}` (kind: query, mutation, subscription, invalid);
//! - `commands` — `normledger_commands_total{mutation, outcome}` (outcome: ok or the error's
//!   code) and `normledger_command_seconds{mutation}`;
//! - `projection` — `normledger_projection_errors_total`;
//! - at scrape time ([`refresh`]) — the projector's position, lag and stuck position, the pool
//!   in use and idle, open websockets.
//!
//! Labels come only from bounded sets (mutation names of the policy, codes, kinds), never
//! from client input.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use (several apps in one test process share
/// it).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
        }
        handle
    })
}

/// Sets the gauges that are read at scrape time.
pub async fn refresh(pool: &sqlx::PgPool, open_websockets: usize) {
    metrics::gauge!("normledger_db_pool_connections").set(pool.size() as f64);
    metrics::gauge!("normledger_db_pool_idle_connections").set(pool.num_idle() as f64);
    metrics::gauge!("normledger_open_websockets").set(open_websockets as f64);
    match crate::projection::status(pool).await {
        Ok(rows) => {
            for p in rows {
                let name = p.name.clone();
                metrics::gauge!("normledger_projection_position", "projection" => name.clone())
                    .set(p.checkpoint_position as f64);
                metrics::gauge!("normledger_projection_lag_events", "projection" => name.clone())
                    .set(p.lag_events as f64);
                metrics::gauge!("normledger_projection_lag_seconds", "projection" => name.clone())
                    .set(p.lag_seconds);
                metrics::gauge!("normledger_projection_stalled", "projection" => name)
                    .set(if p.last_error.is_some() { 1.0 } else { 0.0 });
            }
        }
        Err(e) => tracing::warn!(error = %e, "projection status for metrics failed"),
    }
}

/// The metrics as Prometheus text.
pub fn render() -> String {
    handle().render()
}
