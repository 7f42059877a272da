//! normledger: a government's normative documents (行政规范性文件) as an event-sourced ledger.
//!
//! # Layout
//!
//! Layers point one way: `main → http → graphql → commands/process → projection/store → domain`.
//!
//! - [`domain`] — pure rules, no I/O: the aggregates `IssuingBody`, `NormativeDocument`
//!   (`domain/document/`: state, events, one file per lifecycle phase, warn-only rules),
//!   `CertificationItem`, `CleanupCampaign` (cqrs-es), value types (`DocumentNumber`), the
//!   input limits, the working-day calendar and the annual report's arithmetic.
//! - [`authz`] — who may do what: the write policy (`POLICY`, an exhaustive match on the
//!   command) and the read policy (`READS`, with a scope per role).
//! - [`commands`] — the one write path: authorise against the write policy, record the actor
//!   in the metadata, execute with bounded retries, wait for the read model.
//! - [`process`] — the ledger acting on its own events as the SYSTEM actor: the cleanup
//!   process manager and the expiry scheduler.
//! - [`import`] — catalogues of documents issued before the ledger, all rows or none.
//! - [`docx`] — a drafter's .docx read into plain text, paragraph by paragraph.
//! - [`input_limits`] — the operator's limits on input sizes, checked before the domain.
//! - [`demo`] — the Nanchang County 2019 data set, loaded through the commands.
//! - [`store`] — PostgreSQL: the private cluster, migrations, the event log and its hash
//!   chain, signed checkpoints, tokens, the calendar table, the aggregates' services.
//! - [`projection`] — the commit-safe projector, the read-model writers and queries, replay.
//! - [`graphql`] — one module per resource (issuing bodies, documents, certification items,
//!   cleanup campaigns, the report, audit), the roots, the one execute-and-answer path of
//!   every mutation, and the one place errors become `extensions.code`.
//! - [`http`] — axum: `/graphql` (POST with JSON or multipart uploads, websocket, GraphiQL),
//!   `/documents/{id}/attachments/{sha256}`, `/healthz`, `/readyz`, `/metrics`, the public
//!   feed and pages, and the web console (`http::console`: pages that run the schema's own
//!   operations as the signed-in person; accounts and sessions are in `store::accounts`).
//! - [`telemetry`] — Prometheus metrics through the `metrics` facade.
//! - [`progress`] — progress reports of long CLI work (the binary draws the bar).
//! - [`app`] and [`config`] — wiring and settings; `main.rs` is the thin binary.
//!
//! SQL: the schema in `migrations/`; each query as a constant next to the function that runs
//! it, values always bound, rows decoded into named `FromRow` structs.
pub mod app;
pub mod authz;
pub mod commands;
pub mod config;
pub mod demo;
pub mod docx;
pub mod domain;
pub mod graphql;
pub mod http;
pub mod import;
pub mod input_limits;
pub mod process;
pub mod progress;
pub mod projection;
pub mod store;
pub mod telemetry;
pub mod xlsx;
