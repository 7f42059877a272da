//! DataLoaders: per-request batching of the reads that nested fields make, so a page of N
//! documents costs a bounded number of SQL statements rather than one more per document.

use async_graphql::dataloader::Loader;
use std::collections::HashMap;
use std::sync::Arc;

use super::error::ApiError;
use crate::store::event_log::{self, EventRecord};

/// The events of documents, by document id: one `WHERE aggregate_id = ANY(…)` per batch.
pub struct DocumentHistory {
    pub reads: Arc<super::Reads>,
}

impl Loader<String> for DocumentHistory {
    type Value = Vec<EventRecord>;
    /// Coded (and logged) once, shared by every field of the batch.
    type Error = Arc<ApiError>;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Vec<EventRecord>>, Self::Error> {
        let events = event_log::streams_events(
            &self.reads.pool().await,
            <crate::domain::NormativeDocument as cqrs_es::Aggregate>::TYPE,
            ids,
        )
        .await
        .map_err(|e| Arc::new(ApiError::from(e)))?;
        let mut by_id: HashMap<String, Vec<EventRecord>> = HashMap::new();
        for e in events {
            by_id.entry(e.aggregate_id.clone()).or_default().push(e);
        }
        Ok(by_id)
    }
}
