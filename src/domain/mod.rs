//! The pure domain: aggregates, their commands and events, value types and rules.
//!
//! Nothing here does I/O or knows about Postgres, HTTP or GraphQL. What an aggregate needs to
//! know about the outside world (is this issuing body listed? is this 文号 taken?) it asks
//! through a small trait that the store implements (see [`document::DocumentServices`]), so
//! every rule can be tested with the cqrs-es given/when/then framework and no database.
//!
//! Time is an input: commands carry the dates they happen on, decided at the edge.

pub mod actor;
pub mod calendar;
pub mod certification_item;
pub mod cleanup_campaign;
pub mod document;
pub mod document_number;
pub mod error;
pub mod issuing_body;
pub mod limits;
pub mod report;
pub mod screening;
pub mod text;

#[cfg(test)]
mod properties;

pub use actor::{Actor, Role};
pub use certification_item::{CertificationItem, CertificationItemCommand, CertificationItemEvent};
pub use cleanup_campaign::{CleanupCampaign, CleanupCampaignCommand, CleanupCampaignEvent};
pub use document::{
    DocumentCommand, DocumentEvent, DocumentServices, DocumentStatus, FilingStatus,
    NormativeDocument,
};
pub use document_number::DocumentNumber;
pub use error::DomainError;
pub use issuing_body::{IssuingBody, IssuingBodyCommand, IssuingBodyEvent, IssuingBodyKind};

/// How a stored event payload of any version becomes the current event type. Events whose
/// shape never changed decode directly; `DocumentEvent` upcasts older versions first.
pub trait StoredEvent: Sized {
    fn decode(
        event_type: &str,
        event_version: &str,
        payload: serde_json::Value,
    ) -> Result<Self, serde_json::Error>;
}

impl StoredEvent for DocumentEvent {
    fn decode(t: &str, v: &str, payload: serde_json::Value) -> Result<Self, serde_json::Error> {
        DocumentEvent::decode(t, v, payload)
    }
}

impl StoredEvent for IssuingBodyEvent {
    fn decode(_: &str, _: &str, payload: serde_json::Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(payload)
    }
}

impl StoredEvent for CertificationItemEvent {
    fn decode(_: &str, _: &str, payload: serde_json::Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(payload)
    }
}

impl StoredEvent for CleanupCampaignEvent {
    fn decode(_: &str, _: &str, payload: serde_json::Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(payload)
    }
}
