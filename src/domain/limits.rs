//! The longest input the ledger keeps: one home for the domain's maxima. Every aggregate
//! checks against these, the operator's limits (`input_limits.rs`, `serve --max-*`) default to
//! them and may only tighten them.

/// Titles of documents and campaigns, in characters.
pub const MAX_TITLE_CHARS: usize = 300;
/// Free text (opinions, reasons, descriptions, summaries, grounds, notes), in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Every other string (names, units, signers, numbers, codes), in characters.
pub const MAX_SHORT_CHARS: usize = 500;
/// Entries of any list (materials, authorities, issues, scope).
pub const MAX_LIST_LEN: usize = 200;
/// A document's text (正文), in characters after normalisation.
pub const MAX_DOCUMENT_TEXT_CHARS: usize = 200_000;
