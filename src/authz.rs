//! Who may do what: the write policy (one row per command, an exhaustive `match`) and the
//! read policy (one row per query and per nested field that needs its own rule, with a scope
//! per role). Both are the same question, asked of writes and of reads, so they live together.
//! `Ledger::authorise` applies the first; the GraphQL read-policy extension and the resolvers
//! apply the second.

use crate::commands::Command;
use crate::domain::{
    CertificationItemCommand, CleanupCampaignCommand, DocumentCommand, IssuingBodyCommand, Role,
};

/// Which roles may call a mutation, and whether a drafter must cover the document's body.
#[derive(Debug, Clone, Copy)]
pub struct Permission {
    pub mutation: &'static str,
    pub roles: &'static [Role],
    /// Drafters act only for the issuing bodies on their token.
    pub body_scoped: bool,
}

const fn allow(mutation: &'static str, roles: &'static [Role], body_scoped: bool) -> Permission {
    Permission {
        mutation,
        roles,
        body_scoped,
    }
}

use Role::{Advisor, Drafter, FilingAuthority, GovernmentOffice, LegalOffice, Public, System};

/// Declares the write policy once, as an exhaustive `match` on the command: a command that
/// nobody placed in the policy does not compile. The same rows also make [`POLICY`], the table
/// the role-matrix tests are generated from.
macro_rules! write_policy {
    ($( $pattern:pat => $mutation:literal, [$($role:ident),*], $scoped:expr; )*) => {
        /// The role matrix, one row per command. Auditors and admins write nothing.
        pub const POLICY: &[Permission] = &[ $( allow($mutation, &[$($role),*], $scoped) ),* ];

        impl Command {
            /// Who may run this command: its mutation's row of [`POLICY`].
            pub fn permission(&self) -> Permission {
                match self {
                    $( $pattern => allow($mutation, &[$($role),*], $scoped), )*
                }
            }
        }
    };
}

use CertificationItemCommand as ItemC;
use CleanupCampaignCommand as CampaignC;
use DocumentCommand as DocC;
use IssuingBodyCommand as BodyC;

write_policy! {
    Command::IssuingBody { command: BodyC::List(_), .. } => "listIssuingBody", [LegalOffice], false;
    Command::IssuingBody { command: BodyC::AddAgencyCode { .. }, .. } => "addAgencyCode", [LegalOffice], false;
    Command::IssuingBody { command: BodyC::Delist { .. }, .. } => "delistIssuingBody", [LegalOffice], false;
    Command::Document { command: DocC::Draft { .. }, .. } => "draftDocument", [Drafter], true;
    Command::Document { command: DocC::ReviseDraft { .. }, .. } => "reviseDraft", [Drafter], true;
    Command::Document { command: DocC::OpenConsultation { .. }, .. } => "openConsultation", [Drafter], true;
    Command::Document { command: DocC::CloseConsultation { .. }, .. } => "closeConsultation", [Drafter], true;
    Command::Document { command: DocC::SubmitForReview { .. }, .. } => "submitForReview", [Drafter], true;
    Command::Document { command: DocC::AddAttachment(_), .. } => "addAttachment", [Drafter], true;
    Command::Document { command: DocC::ReturnMaterials { .. }, .. } => "returnMaterials", [LegalOffice], false;
    Command::Document { command: DocC::StartReview { .. }, .. } => "startReview", [LegalOffice], false;
    Command::Document { command: DocC::AddAdvisorOpinion(_), .. } => "addAdvisorOpinion", [Advisor], false;
    Command::Document { command: DocC::ConcludeReview { .. }, .. } => "concludeReview", [LegalOffice], false;
    Command::Document { command: DocC::SubmitRevision { .. }, .. } => "submitRevision", [Drafter], true;
    // The government's office for government documents; a department or township (its
    // drafting token) for its own leadership meeting (checked per body in `authorise`).
    Command::Document { command: DocC::RecordDeliberation(_), .. } => "recordDeliberation", [GovernmentOffice, Drafter], true;
    Command::Document { command: DocC::Issue { .. }, .. } => "issueDocument", [GovernmentOffice], false;
    Command::Document { command: DocC::FileForRecord { .. }, .. } => "fileForRecord", [Drafter], true;
    // The authority itself, or, for what is filed with the county government, the legal
    // office that reviews for it (checked per authority in `authorise`).
    Command::Document { command: DocC::RecordFilingReview { .. }, .. } => "recordFilingReview", [FilingAuthority, LegalOffice], false;
    Command::Document { command: DocC::ExtendFilingReview { .. }, .. } => "extendFilingReview", [FilingAuthority, LegalOffice], false;
    // Anyone may suggest a review of a published document (the resolver acts as PUBLIC,
    // with or without a token); the legal office answers.
    Command::Document { command: DocC::ReceiveReviewSuggestion { .. }, .. } => "submitReviewSuggestion", [Public], false;
    Command::Document { command: DocC::AnswerReviewSuggestion { .. }, .. } => "answerReviewSuggestion", [LegalOffice], false;
    Command::Document { command: DocC::ConfirmRevisedText { .. }, .. } => "confirmRevisedText", [LegalOffice], false;
    // Only the role that recorded the fact corrects it (checked against the corrected event's
    // metadata in `authorise`); a drafter for its own bodies.
    Command::Document { command: DocC::CorrectFact(_), .. } => "correctRecordedFact", [Drafter, GovernmentOffice], true;
    Command::Document { command: DocC::ConsiderScreeningWarning(_), .. } => "considerScreeningWarning", [LegalOffice], false;
    Command::Document { command: DocC::Correct { .. }, .. } => "correctDocument", [GovernmentOffice], false;
    Command::Document { command: DocC::Repeal(_), .. } => "repealDocument", [GovernmentOffice], false;
    Command::Document { command: DocC::Withdraw(_), .. } => "withdrawDocument", [Drafter], true;
    Command::Document { command: DocC::Republish { .. }, .. } => "republishDocument", [GovernmentOffice], false;
    Command::Document { command: DocC::Supersede(_), .. } => "supersedeDocument", [GovernmentOffice], false;
    Command::Document { command: DocC::Expire { .. }, .. } => "expireDocument", [System], false;
    Command::Document { command: DocC::ApplyCleanupDecision(_), .. } => "applyCleanupDecision", [System], false;
    Command::Document { command: DocC::Import { .. }, .. } => "importDocument", [System], false;
    Command::CertificationItem { command: ItemC::Register { .. }, .. } => "registerCertificationItem", [LegalOffice], false;
    Command::CertificationItem { command: ItemC::Retain { .. }, .. } => "retainCertificationItem", [LegalOffice], false;
    Command::CertificationItem { command: ItemC::Cancel { .. }, .. } => "cancelCertificationItem", [LegalOffice], false;
    Command::CertificationItem { command: ItemC::EnableCommitment { .. }, .. } => "enableCommitment", [LegalOffice], false;
    Command::CertificationItem { command: ItemC::DisableCommitment { .. }, .. } => "disableCommitment", [LegalOffice], false;
    Command::CertificationItem { command: ItemC::ApplyCleanupDecision { .. }, .. } => "applyItemCleanupDecision", [System], false;
    Command::CleanupCampaign { command: CampaignC::Launch { .. }, .. } => "launchCleanup", [LegalOffice, GovernmentOffice], false;
    // Drafters for their own bodies' documents (谁制定、谁清理); the legal office for items
    // only (checked per entry in `authorise`).
    Command::CleanupCampaign { command: CampaignC::ProposeDecision(_), .. } => "proposeCleanupDecision", [Drafter, LegalOffice], true;
    Command::CleanupCampaign { command: CampaignC::ReviewDecision(_), .. } => "reviewCleanupDecision", [LegalOffice], false;
    Command::CleanupCampaign { command: CampaignC::ApproveResult(_), .. } => "approveCleanupResult", [GovernmentOffice], false;
    Command::CleanupCampaign { command: CampaignC::PublishResult(_), .. } => "publishCleanupResult", [LegalOffice, GovernmentOffice], false;
    Command::CleanupCampaign { command: CampaignC::RecordApplied { .. }, .. } => "recordCleanupApplied", [System], false;
    Command::CleanupCampaign { command: CampaignC::RecordEntryFailure(_), .. } => "recordCleanupEntryFailure", [System], false;
    Command::CleanupCampaign { command: CampaignC::ReportToSuperior(_), .. } => "reportCleanupToSuperior", [LegalOffice, GovernmentOffice], false;
    Command::CleanupCampaign { command: CampaignC::Close { .. }, .. } => "closeCleanup", [LegalOffice, GovernmentOffice], false;
}

impl Command {
    /// Whether the command is a legality-review decision (合法性审核), which only the review
    /// body (审核机构) designated for the document's issuing body may take: a LEGAL_OFFICE token
    /// acts for the review bodies on it, as a drafter's acts for its issuing bodies.
    pub fn needs_review_jurisdiction(&self) -> bool {
        matches!(
            self,
            Command::Document {
                command: DocC::ReturnMaterials { .. }
                    | DocC::StartReview { .. }
                    | DocC::ConcludeReview { .. }
                    | DocC::ConfirmRevisedText { .. }
                    | DocC::ConsiderScreeningWarning(_),
                ..
            }
        )
    }

    /// The filing authority (备案机关) a command decides for: only that authority, or the
    /// legal office of the government it names, may record it.
    pub fn filing_authority(&self) -> Option<&str> {
        match self {
            Command::Document {
                command:
                    DocC::RecordFilingReview { authority, .. }
                    | DocC::ExtendFilingReview { authority, .. },
                ..
            } => Some(authority),
            _ => None,
        }
    }
}

/// The mutations that are review decisions (see [`Command::needs_review_jurisdiction`]).
pub const REVIEW_DECISIONS: &[&str] = &[
    "returnMaterials",
    "startReview",
    "concludeReview",
    "confirmRevisedText",
    "considerScreeningWarning",
];

/// The row of a mutation, by name (for tests and tools; the server asks the command itself).
pub fn permission(mutation: &str) -> Option<&'static Permission> {
    POLICY.iter().find(|p| p.mutation == mutation)
}

/// How much of the ledger a role may read through a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadScope {
    /// Everything, drafts and history included.
    All,
    /// Its own bodies' documents, drafts included, and every published document.
    OwnBodies,
    /// Documents in legality review (what advisors advise on) and every published document.
    UnderReview,
    /// Published documents only (a filing authority outside the county).
    Published,
}

/// Statuses of published documents (issued, or ended after issue): public information.
pub const PUBLISHED: [&str; 6] = [
    "ISSUED",
    "EXPIRED",
    "REPEALED",
    "DECLARED_INVALID",
    "REVOKED",
    "SUPERSEDED",
];

/// Statuses of a document in legality review, from submission to deliberation.
pub const IN_REVIEW: [&str; 4] = [
    "SUBMITTED",
    "UNDER_REVIEW",
    "REVISING",
    "AWAITING_DELIBERATION",
];

/// Which roles may call a query that exposes non-public data, and with which scope.
#[derive(Debug, Clone, Copy)]
pub struct ReadPermission {
    pub query: &'static str,
    pub grants: &'static [(Role, ReadScope)],
}

use ReadScope::{All, OwnBodies, Published, UnderReview};
use Role::{Admin, Auditor};

const DOCUMENT_READERS: &[(Role, ReadScope)] = &[
    (LegalOffice, All),
    (GovernmentOffice, All),
    (Auditor, All),
    (Drafter, OwnBodies),
    (Advisor, UnderReview),
    (FilingAuthority, Published),
];
const HISTORY_READERS: &[(Role, ReadScope)] =
    &[(LegalOffice, All), (GovernmentOffice, All), (Auditor, All)];
const DEADLINE_READERS: &[(Role, ReadScope)] = &[
    (LegalOffice, All),
    (GovernmentOffice, All),
    (Auditor, All),
    (Drafter, OwnBodies),
];
const CAMPAIGN_READERS: &[(Role, ReadScope)] = &[
    (LegalOffice, All),
    (GovernmentOffice, All),
    (Auditor, All),
    (Drafter, All),
];
const PUBLIC_READERS: &[(Role, ReadScope)] = &[
    (LegalOffice, All),
    (GovernmentOffice, All),
    (Auditor, All),
    (Drafter, All),
    (Advisor, All),
    (Admin, All),
    (FilingAuthority, All),
];
const ITEM_READERS: &[(Role, ReadScope)] = &[
    (LegalOffice, All),
    (GovernmentOffice, All),
    (Auditor, All),
    (Drafter, All),
    (Advisor, All),
    (FilingAuthority, All),
];

const DOCUMENT_HISTORY_READERS: &[(Role, ReadScope)] = &[
    (LegalOffice, All),
    (GovernmentOffice, All),
    (Auditor, All),
    (Drafter, OwnBodies),
];

/// The read side of the role matrix: drafters read their own bodies' drafts, advisors the
/// documents under review, auditors everything (history and integrity included), admins
/// operations only; published documents, the body list and the annual figures are public.
pub const READS: &[ReadPermission] = &[
    ReadPermission {
        query: "issuingBodies",
        grants: PUBLIC_READERS,
    },
    ReadPermission {
        query: "issuingBody",
        grants: PUBLIC_READERS,
    },
    ReadPermission {
        query: "annualReport",
        grants: PUBLIC_READERS,
    },
    ReadPermission {
        query: "documents",
        grants: DOCUMENT_READERS,
    },
    ReadPermission {
        query: "document",
        grants: DOCUMENT_READERS,
    },
    ReadPermission {
        query: "searchDocuments",
        grants: DOCUMENT_READERS,
    },
    ReadPermission {
        query: "documentsCiting",
        grants: DOCUMENT_READERS,
    },
    // A body's documents, nested under the public body list: the same rule as `documents`.
    ReadPermission {
        query: "IssuingBody.documents",
        grants: DOCUMENT_READERS,
    },
    // A document's history names every actor, role and token and shows every draft: unlike
    // the document itself it is not public once published. Drafters see their own bodies'.
    ReadPermission {
        query: "Document.history",
        grants: DOCUMENT_HISTORY_READERS,
    },
    // The statuses a document went through are folded from that history.
    ReadPermission {
        query: "Document.statusPath",
        grants: DOCUMENT_HISTORY_READERS,
    },
    // The filing package holds the history: for its readers, and for the filing authority
    // it is addressed to (checked per authority by the resolver).
    ReadPermission {
        query: "Document.filingPackage",
        grants: &[
            (LegalOffice, All),
            (GovernmentOffice, All),
            (Auditor, All),
            (Drafter, OwnBodies),
            (FilingAuthority, Published),
        ],
    },
    // A document's texts: with the document, but its working texts only for those who see
    // its history, and advisors while it is in review (`may_see_working_texts`).
    ReadPermission {
        query: "Document.texts",
        grants: DOCUMENT_READERS,
    },
    ReadPermission {
        query: "Document.text",
        grants: DOCUMENT_READERS,
    },
    ReadPermission {
        query: "Document.diff",
        grants: DOCUMENT_READERS,
    },
    ReadPermission {
        query: "Document.neighbours",
        grants: DOCUMENT_READERS,
    },
    ReadPermission {
        query: "auditTrail",
        grants: HISTORY_READERS,
    },
    ReadPermission {
        query: "events",
        grants: HISTORY_READERS,
    },
    ReadPermission {
        query: "verifyIntegrity",
        grants: &[(LegalOffice, All), (Auditor, All)],
    },
    ReadPermission {
        query: "projectionStatus",
        grants: &[(LegalOffice, All), (Auditor, All), (Admin, All)],
    },
    ReadPermission {
        query: "certificationItem",
        grants: ITEM_READERS,
    },
    ReadPermission {
        query: "certificationItems",
        grants: ITEM_READERS,
    },
    ReadPermission {
        query: "overdueReviews",
        grants: DEADLINE_READERS,
    },
    ReadPermission {
        query: "overdueFilings",
        grants: DEADLINE_READERS,
    },
    ReadPermission {
        query: "overdueFilingCorrections",
        grants: DEADLINE_READERS,
    },
    ReadPermission {
        query: "expiringDocuments",
        grants: DEADLINE_READERS,
    },
    ReadPermission {
        query: "overdueRevisions",
        grants: DEADLINE_READERS,
    },
    ReadPermission {
        query: "cleanupCampaign",
        grants: CAMPAIGN_READERS,
    },
    ReadPermission {
        query: "cleanupCampaigns",
        grants: CAMPAIGN_READERS,
    },
];

/// The queries anyone may call, with or without a token: the public catalogue (公开). They
/// answer published documents only, through a type that has nothing else; they are not in
/// [`READS`], whose every row needs a token.
pub const PUBLIC_QUERIES: &[&str] = &[
    "publicDocuments",
    "publicDocument",
    "publicCatalogue",
    "publicSearch",
];

/// The mutations anyone may call, with or without a token (as [`Role::Public`]).
pub const PUBLIC_MUTATIONS: &[&str] = &["submitReviewSuggestion"];

/// The scope `role` reads `query` with, or `None` when it may not call it.
pub fn read_scope(query: &str, role: Role) -> Option<ReadScope> {
    READS
        .iter()
        .find(|r| r.query == query)?
        .grants
        .iter()
        .find(|(r, _)| *r == role)
        .map(|(_, scope)| *scope)
}

/// Whether a reader with `scope` (acting for `bodies`) may see a document of `body` in
/// `status`.
pub fn may_see_document(scope: ReadScope, bodies: &[String], body: &str, status: &str) -> bool {
    PUBLISHED.contains(&status)
        || match scope {
            ReadScope::All => true,
            ReadScope::OwnBodies => bodies.iter().any(|b| b == body),
            ReadScope::UnderReview => IN_REVIEW.contains(&status),
            ReadScope::Published => false,
        }
}

/// Whether a reader with `scope` (acting for `bodies`) may see what is never public about a
/// document of `body` (its history), whatever its status.
pub fn may_see_document_history(scope: ReadScope, bodies: &[String], body: &str) -> bool {
    match scope {
        ReadScope::All => true,
        ReadScope::OwnBodies => bodies.iter().any(|b| b == body),
        ReadScope::UnderReview | ReadScope::Published => false,
    }
}

/// Whether the reader may see a document's working texts (征求意见稿, 送审稿, 修改稿), not only
/// the text issued: whoever sees its history, and advisors while it is in review (they
/// advise on those texts). Everyone else who sees a published document sees the text in
/// force (印发稿, 勘误后) only.
pub fn may_see_working_texts(
    scope: ReadScope,
    bodies: &[String],
    body: &str,
    status: &str,
) -> bool {
    match scope {
        ReadScope::UnderReview => IN_REVIEW.contains(&status),
        _ => may_see_document_history(scope, bodies, body),
    }
}
