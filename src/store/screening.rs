//! The screening rules in the database: replaced as a whole on import, loaded at start (the
//! shipped rules are stored first when none are), like the calendar.

use sqlx::PgPool;

use crate::domain::screening::ScreeningRules;

/// The rules shipped with normledger.
pub const SHIPPED: &str = include_str!("../../data/screening/rules.json");

/// Replaces the stored rules with the file's, once they parse.
pub async fn import(
    pool: &PgPool,
    json: &str,
    source: &str,
) -> Result<ScreeningRules, ImportError> {
    let rules = ScreeningRules::from_json(json).map_err(ImportError::Invalid)?;
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| ImportError::Invalid(e.to_string()))?;
    sqlx::query(
        "INSERT INTO screening_rules (id, rules, source) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET rules = EXCLUDED.rules, source = EXCLUDED.source,
                                        imported_at = now()",
    )
    .bind(value)
    .bind(source)
    .execute(pool)
    .await?;
    Ok(rules)
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The stored rules; the shipped ones are stored first when none are.
pub async fn load(pool: &PgPool) -> Result<ScreeningRules, crate::store::StoreError> {
    let stored: Option<serde_json::Value> =
        sqlx::query_scalar("SELECT rules FROM screening_rules WHERE id = 1")
            .fetch_optional(pool)
            .await?;
    let json = match stored {
        Some(v) => v.to_string(),
        None => {
            import(pool, SHIPPED, "shipped: data/screening/rules.json")
                .await
                .map_err(|e| match e {
                    ImportError::Database(e) => crate::store::StoreError::from(e),
                    ImportError::Invalid(m) => {
                        serde_json::Error::io(std::io::Error::other(m)).into()
                    }
                })?;
            SHIPPED.to_owned()
        }
    };
    ScreeningRules::from_json(&json)
        .map_err(|m| serde_json::Error::io(std::io::Error::other(m)).into())
}
