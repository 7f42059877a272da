//! The one integration-test binary: every module talks to a real PostgreSQL that the tests
//! start themselves, and most go through the real HTTP server.

mod support;

mod access;
mod auditing;
mod backup;
mod binary;
mod browser;
mod calendar;
mod certification;
mod cleanup;
mod console;
mod console_browser;
mod database;
mod filing;
mod graphiql;
mod hostile;
mod idempotent;
mod integrity;
mod lifecycle;
mod live;
mod persisted;
mod projection;
mod public;
mod races;
mod refusals;
mod replay;
mod replicas;
mod report;
mod restart;
mod roles;
mod schema;
mod statements;
mod texts;
mod validity;
