//! Who acts: the roles and the actor recorded in every event's metadata.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A role a token holder acts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Staff of an issuing body (制定主体), scoped to one or more bodies.
    Drafter,
    /// The legal office (司法局 / 法制机构).
    LegalOffice,
    /// A legal advisor (法律顾问, 公职律师): advises, never decides.
    Advisor,
    /// The government office (政府办公室) as registrar.
    GovernmentOffice,
    /// Internal or external auditor: reads everything, never writes.
    Auditor,
    /// Operators: tokens, calendars, configuration.
    Admin,
    /// A filing authority (备案机关: the city government through its justice bureau, the
    /// county people's congress standing committee), scoped to the authorities on its token.
    FilingAuthority,
    /// Anyone, without a token: a member of the public submitting a review suggestion
    /// (审查建议). Never held by a token.
    Public,
    /// The ledger itself: the expiry scheduler, the cleanup process manager, and imports run
    /// by an operator on the server. Never held by a token.
    System,
}

impl Role {
    /// The roles a token may carry.
    pub const ALL: [Role; 7] = [
        Role::Drafter,
        Role::LegalOffice,
        Role::Advisor,
        Role::GovernmentOffice,
        Role::Auditor,
        Role::Admin,
        Role::FilingAuthority,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Drafter => "DRAFTER",
            Role::LegalOffice => "LEGAL_OFFICE",
            Role::Advisor => "ADVISOR",
            Role::GovernmentOffice => "GOVERNMENT_OFFICE",
            Role::Auditor => "AUDITOR",
            Role::Admin => "ADMIN",
            Role::FilingAuthority => "FILING_AUTHORITY",
            Role::System => "SYSTEM",
            Role::Public => "PUBLIC",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "unknown role {s:?}; expected one of {}",
                    Role::ALL.map(Role::as_str).join(", ")
                )
            })
    }
}

/// The authenticated caller of a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Stable id of the token holder (the token's id, never the secret).
    pub id: String,
    /// Human-readable name given when the token was created.
    pub name: String,
    pub role: Role,
    /// What the token acts for: issuing-body codes for a DRAFTER, review-body codes for the
    /// LEGAL_OFFICE, filing-authority names for a FILING_AUTHORITY; empty for other roles.
    pub bodies: Vec<String>,
}

impl Actor {
    /// True when this actor may act for the issuing body `code`.
    pub fn covers_body(&self, code: &str) -> bool {
        self.bodies.iter().any(|b| b == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("JUDGE".parse::<Role>().is_err());
    }
}
