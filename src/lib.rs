//! normledger: a government's normative documents (行政规范性文件) as an event-sourced ledger.
pub mod app;
pub mod commands;
pub mod config;
pub mod demo;
pub mod domain;
pub mod graphql;
pub mod http;
pub mod import;
pub mod process;
pub mod projection;
pub mod store;
