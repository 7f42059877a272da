//! normledger: a government's normative documents (行政规范性文件) as an event-sourced ledger.
pub mod domain;
