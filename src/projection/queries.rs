//! Queries on the read model. Filters are bound parameters, never spliced into SQL; rows are
//! decoded into named structs (`StateRow`), the folded state straight from its `jsonb`.

use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::document::RecordedText;
use crate::domain::{CertificationItem, CleanupCampaign, IssuingBody, NormativeDocument};
use crate::store::StoreError;
use crate::store::event_log;

/// A read-model row: the aggregate's key, its folded state and the version (the aggregate's
/// last sequence) it was folded to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StateRow<K, S> {
    pub id: K,
    #[sqlx(json)]
    pub state: S,
    pub version: i64,
}

/// A document as the read model has it.
pub type DocumentRow = StateRow<Uuid, NormativeDocument>;

#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    pub body_code: Option<String>,
    pub status: Option<String>,
    pub year: Option<i32>,
    pub title_contains: Option<String>,
    /// Legally in force on this date: effective, not past valid_until, not ended by then.
    pub in_force_on: Option<chrono::NaiveDate>,
    /// What the reader may see: rows of these bodies or in these statuses (all when `None`).
    pub visible: Option<(Vec<String>, Vec<String>)>,
    /// Ended (expired, repealed, declared invalid, revoked, superseded) in this year.
    pub ended_in_year: Option<i32>,
    /// The filing status (备案), all authorities taken together.
    pub filing_status: Option<String>,
}

/// Up to `limit` documents with ids after `after`, in id (creation) order.
pub async fn documents(
    pool: &PgPool,
    filter: &DocumentFilter,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<DocumentRow>, StoreError> {
    let rows = sqlx::query_as(
        "SELECT id, state, version FROM rm_documents
         WHERE ($1::uuid IS NULL OR id > $1)
           AND ($2::text IS NULL OR body_code = $2)
           AND ($3::text IS NULL OR status = $3)
           AND ($4::int IS NULL OR year = $4)
           AND ($5::text IS NULL OR strpos(lower(title), lower($5)) > 0)
           AND ($7::date IS NULL OR (effective_on <= $7 AND valid_until >= $7
                                     AND (ended_on IS NULL OR ended_on > $7)))
           AND ($8::bool OR body_code = ANY($9) OR status = ANY($10))
           AND ($11::int IS NULL OR (ended_on >= make_date($11, 1, 1)
                                     AND ended_on < make_date($11 + 1, 1, 1)))
           AND ($12::text IS NULL OR filing_status = $12)
         ORDER BY id
         LIMIT $6",
    )
    .bind(after)
    .bind(&filter.body_code)
    .bind(&filter.status)
    .bind(filter.year)
    .bind(&filter.title_contains)
    .bind(limit)
    .bind(filter.in_force_on)
    .bind(filter.visible.is_none())
    .bind(
        filter
            .visible
            .as_ref()
            .map(|v| v.0.clone())
            .unwrap_or_default(),
    )
    .bind(
        filter
            .visible
            .as_ref()
            .map(|v| v.1.clone())
            .unwrap_or_default(),
    )
    .bind(filter.ended_in_year)
    .bind(&filter.filing_status)
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

/// The published document issued under `number` (its canonical form), if any.
pub async fn published_document_by_number(
    pool: &PgPool,
    number: &str,
    published: &[&str],
) -> Result<Option<DocumentRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, state, version FROM rm_documents
         WHERE document_number = $1 AND status = ANY($2)",
    )
    .bind(number)
    .bind(published)
    .fetch_optional(pool)
    .await?)
}

/// The read model's document, or — with `as_of` — the state folded from the events recorded
/// up to that instant, with the write side's own `apply`.
pub async fn document(
    pool: &PgPool,
    id: Uuid,
    as_of: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Option<DocumentRow>, StoreError> {
    if as_of.is_some() {
        let folded = event_log::fold::<NormativeDocument>(pool, &id.to_string(), as_of).await?;
        return Ok(folded.map(|(state, version)| DocumentRow { id, state, version }));
    }
    Ok(
        sqlx::query_as("SELECT id, state, version FROM rm_documents WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

/// Issuing bodies ordered by code, after `after`.
pub async fn issuing_bodies(
    pool: &PgPool,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<(String, IssuingBody)>, StoreError> {
    let rows: Vec<StateRow<String, IssuingBody>> = sqlx::query_as(
        "SELECT code AS id, state, version FROM rm_issuing_bodies
         WHERE ($1::text IS NULL OR code > $1) ORDER BY code LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.state)).collect())
}

/// One issuing body from the read model, or folded from the log as of an instant.
pub async fn issuing_body(
    pool: &PgPool,
    code: &str,
    as_of: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Option<IssuingBody>, StoreError> {
    if as_of.is_some() {
        return crate::store::services::load_issuing_body(pool, code, as_of).await;
    }
    let row: Option<StateRow<String, IssuingBody>> =
        sqlx::query_as("SELECT code AS id, state, version FROM rm_issuing_bodies WHERE code = $1")
            .bind(code)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|r| r.state))
}

/// Certification-item filters; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub status: Option<String>,
    pub basis_level: Option<String>,
    pub name_contains: Option<String>,
    pub commitment_enabled: Option<bool>,
}

/// Up to `limit` certification items after `after`, in id (registration) order.
pub async fn certification_items(
    pool: &PgPool,
    filter: &ItemFilter,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<(Uuid, CertificationItem, i64)>, StoreError> {
    let rows: Vec<StateRow<Uuid, CertificationItem>> = sqlx::query_as(
        "SELECT id, state, version FROM rm_certification_items
         WHERE ($1::uuid IS NULL OR id > $1)
           AND ($2::text IS NULL OR status = $2)
           AND ($3::text IS NULL OR basis_level = $3)
           AND ($4::text IS NULL OR strpos(lower(name), lower($4)) > 0)
           AND ($5::bool IS NULL OR commitment_enabled = $5)
         ORDER BY id LIMIT $6",
    )
    .bind(after)
    .bind(&filter.status)
    .bind(&filter.basis_level)
    .bind(&filter.name_contains)
    .bind(filter.commitment_enabled)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.state, r.version))
        .collect())
}

/// One certification item; with `as_of`, folded from the events recorded up to then.
pub async fn certification_item(
    pool: &PgPool,
    id: Uuid,
    as_of: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Option<(CertificationItem, i64)>, StoreError> {
    if as_of.is_some() {
        return event_log::fold::<CertificationItem>(pool, &id.to_string(), as_of).await;
    }
    let row: Option<StateRow<Uuid, CertificationItem>> =
        sqlx::query_as("SELECT id, state, version FROM rm_certification_items WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|r| (r.state, r.version)))
}

/// One of the deadline lists: what is on it and what orders it (its due date).
#[derive(Debug, Clone, Copy)]
pub enum DeadlineList {
    /// Legality reviews past their due date.
    OverdueReviews,
    /// Issued documents not filed for record this many days after publication.
    OverdueFilings { filing_days: i32 },
    /// Documents in force whose validity ends within this many days.
    Expiring { within_days: i32 },
    /// Documents decided AMEND in a cleanup, unrevised past the revision deadline.
    OverdueRevisions,
    /// Documents in force with a filing authority's requested correction (建议自行纠正)
    /// unanswered past its deadline.
    OverdueFilingCorrections,
}

impl DeadlineList {
    /// (condition, order): SQL over `rm_documents d` with `$1` today and `$2` the list's day
    /// count; the list is ordered by `order`, and its due date is `order` plus
    /// [`DeadlineList::shift`] days. Constants of this module, never input.
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            DeadlineList::OverdueReviews => (
                "status IN ('UNDER_REVIEW', 'REVISING')
                 AND (state -> 'reviews' -> -1 ->> 'due_on')::date < $1",
                "(state -> 'reviews' -> -1 ->> 'due_on')::date",
            ),
            // Ordered by publication (the due date less a constant), a column with its own
            // index: the deadline read from `state` unpacked every issued document's state.
            DeadlineList::OverdueFilings { .. } => (
                "status = 'ISSUED' AND filing_status = 'NOT_FILED' AND published_on < $1 - $2",
                "published_on",
            ),
            DeadlineList::Expiring { .. } => (
                "status = 'ISSUED' AND valid_until >= $1 AND valid_until <= $1 + $2",
                "valid_until",
            ),
            DeadlineList::OverdueRevisions => (
                "status = 'ISSUED'
                 AND EXISTS (SELECT 1 FROM jsonb_array_elements(d.state -> 'cleanups') c
                             WHERE c ->> 'decision' = 'AMEND'
                               AND (c ->> 'revision_deadline')::date < $1)",
                "issued_on",
            ),
            DeadlineList::OverdueFilingCorrections => (
                "status = 'ISSUED' AND correction_due_on < $1",
                "correction_due_on",
            ),
        }
    }

    /// Days from a row's order date to its due date: the filing days for the overdue
    /// filings (ordered by publication), none for the lists ordered by their due date.
    fn shift(self) -> i32 {
        match self {
            DeadlineList::OverdueFilings { filing_days } => filing_days,
            _ => 0,
        }
    }

    fn days(self) -> i32 {
        match self {
            DeadlineList::OverdueFilings { filing_days } => filing_days,
            DeadlineList::Expiring { within_days } => within_days,
            DeadlineList::OverdueReviews
            | DeadlineList::OverdueRevisions
            | DeadlineList::OverdueFilingCorrections => 0,
        }
    }
}

/// A page of a deadline list as of `today`, oldest due first: up to `limit` documents after
/// the cursor `after` (due date, id), only those `visible` admits (bodies, statuses; None:
/// all). Returns each document with its due date, the page's cursor.
pub async fn deadline_page(
    pool: &PgPool,
    list: DeadlineList,
    today: chrono::NaiveDate,
    after: Option<(chrono::NaiveDate, Uuid)>,
    visible: Option<&(Vec<String>, Vec<String>)>,
    limit: i64,
) -> Result<Vec<(chrono::NaiveDate, DocumentRow)>, StoreError> {
    let (condition, order) = list.sql();
    // `$2 >= 0` keeps the day count typed for the lists that do not use it; `$9` is the shift
    // from the order date to the due date, so the cursor (a due date) compares on the
    // order's own index.
    let sql = format!(
        "SELECT {order} + $9::int AS due, id, state, version FROM rm_documents d
         WHERE {condition} AND $2::int >= 0
           AND ($3::date IS NULL OR ({order}, id) > ($3::date - $9::int, $4::uuid))
           AND ($5 OR body_code = ANY ($6::text[]) OR status = ANY ($7::text[]))
         ORDER BY {order}, id
         LIMIT $8"
    );
    #[derive(sqlx::FromRow)]
    struct Due {
        due: chrono::NaiveDate,
        #[sqlx(flatten)]
        row: DocumentRow,
    }
    let rows: Vec<Due> = sqlx::query_as(&sql)
        .bind(today)
        .bind(list.days())
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .bind(visible.is_none())
        .bind(visible.map(|v| v.0.clone()).unwrap_or_default())
        .bind(visible.map(|v| v.1.clone()).unwrap_or_default())
        .bind(limit)
        .bind(list.shift())
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|d| (d.due, d.row)).collect())
}

/// Ids of documents still recorded in force after their last day (`valid_until < today`):
/// the expiry scheduler's work list.
pub async fn past_validity(
    pool: &PgPool,
    today: chrono::NaiveDate,
    limit: i64,
) -> Result<Vec<(Uuid, chrono::NaiveDate)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, valid_until FROM rm_documents WHERE status = 'ISSUED' AND valid_until < $1
         ORDER BY valid_until, id LIMIT $2",
    )
    .bind(today)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// One cleanup campaign; with `as_of`, folded from the events recorded up to then.
pub async fn cleanup_campaign(
    pool: &PgPool,
    id: Uuid,
    as_of: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Option<(CleanupCampaign, i64)>, StoreError> {
    if as_of.is_some() {
        return event_log::fold::<CleanupCampaign>(pool, &id.to_string(), as_of).await;
    }
    let row: Option<StateRow<Uuid, CleanupCampaign>> =
        sqlx::query_as("SELECT id, state, version FROM rm_cleanup_campaigns WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|r| (r.state, r.version)))
}

/// Cleanup campaigns in launch order (ids are UUIDv7), optionally of one status.
pub async fn cleanup_campaigns(
    pool: &PgPool,
    status: Option<&str>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<(Uuid, CleanupCampaign, i64)>, StoreError> {
    let rows: Vec<StateRow<Uuid, CleanupCampaign>> = sqlx::query_as(
        "SELECT id, state, version FROM rm_cleanup_campaigns
         WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR id > $2)
         ORDER BY id LIMIT $3",
    )
    .bind(status)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.state, r.version))
        .collect())
}

/// Every aggregate's state the annual report reads, from the read model.
pub struct ReportStates {
    pub documents: Vec<(String, NormativeDocument)>,
    pub items: Vec<(String, CertificationItem)>,
    pub campaigns: Vec<(String, CleanupCampaign)>,
    pub bodies: Vec<(String, IssuingBody)>,
}

async fn states<A: serde::de::DeserializeOwned + Send + Unpin + 'static>(
    pool: &PgPool,
    sql: &'static str,
) -> Result<Vec<(String, A)>, StoreError> {
    let rows: Vec<StateRow<String, A>> = sqlx::query_as(sql).fetch_all(pool).await?;
    Ok(rows.into_iter().map(|r| (r.id, r.state)).collect())
}

/// Loads the report's states (a county's ledger holds thousands of rows, not millions).
pub async fn report_states(pool: &PgPool) -> Result<ReportStates, StoreError> {
    Ok(ReportStates {
        documents: states(
            pool,
            "SELECT id::text AS id, state, version FROM rm_documents ORDER BY id",
        )
        .await?,
        items: states(
            pool,
            "SELECT id::text AS id, state, version FROM rm_certification_items ORDER BY id",
        )
        .await?,
        campaigns: states(
            pool,
            "SELECT id::text AS id, state, version FROM rm_cleanup_campaigns ORDER BY id",
        )
        .await?,
        bodies: states(
            pool,
            "SELECT code AS id, state, version FROM rm_issuing_bodies ORDER BY code",
        )
        .await?,
    })
}

/// Which figures a report covers: a year, and optionally one issuing body or one kind of body
/// (`government`, `department`, `township`).
pub struct ReportScope<'a> {
    pub year: i32,
    pub issuing_body: Option<&'a str>,
    pub body_group: Option<&'a str>,
}

/// The annual figures from the read model, the warn-only rules judged with `warnings` on the
/// stored working-day calendar.
pub async fn annual_report(
    pool: &PgPool,
    scope: ReportScope<'_>,
    warnings: &crate::domain::document::WarningSettings,
) -> Result<crate::domain::report::AnnualReport, StoreError> {
    let s = report_states(pool).await?;
    let calendar = crate::store::calendar::load(pool).await?;
    Ok(crate::domain::report::annual_report(
        &crate::domain::report::ReportInput {
            year: scope.year,
            issuing_body: scope.issuing_body,
            body_group: scope.body_group,
            documents: &s.documents,
            items: &s.items,
            campaigns: &s.campaigns,
            bodies: &s.bodies,
            warnings,
            calendar: &calendar,
        },
    ))
}

/// One text version of a document, read from its `TextRecorded` event (texts are not copied
/// into the read model's rows: the log holds them, under the hash chain).
pub async fn document_text(
    pool: &PgPool,
    id: Uuid,
    version: u32,
) -> Result<Option<RecordedText>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(json)]
        text: RecordedText,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT payload -> 'TextRecorded' AS text FROM events
         WHERE aggregate_type = $1 AND aggregate_id = $2 AND event_type = 'TextRecorded'
           AND (payload -> 'TextRecorded' ->> 'version')::int = $3",
    )
    .bind(<NormativeDocument as cqrs_es::Aggregate>::TYPE)
    .bind(id.to_string())
    .bind(version as i32)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| r.text))
}

/// A document found by search, with the first clause that matched (the title is clause
/// `title`) and how many clauses matched.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SearchHit {
    #[sqlx(flatten)]
    pub row: DocumentRow,
    pub score: i64,
    pub clause_id: String,
    pub number: String,
    pub text: String,
}

/// Documents whose title or current text has a clause holding every term (lower-cased),
/// found through the clauses' bigram index (`grams`: every bigram of every term) and then
/// checked for the terms themselves. Title matches first, then the most matching clauses.
pub async fn search_documents(
    pool: &PgPool,
    terms: &[String],
    grams: &[i32],
    filter: &DocumentFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<SearchHit>, StoreError> {
    let (bodies, statuses) = filter.visible.clone().unwrap_or_default();
    // Matching clauses are counted by document and only the page's documents and first
    // clauses are read back: a broad query may match thousands of clauses, and their texts
    // and the documents' states are wide. The statement is planned for every call
    // (a generic plan guesses how many clauses an array of keys matches, badly).
    //
    // The index is not asked for keys in a fifth or more of all clauses (管理, 本县): GIN reads
    // a key's whole posting list, so such keys cost most of the lookup and narrow little. How
    // common a key is comes from the column's statistics (ANALYZE keeps its most common
    // elements with their frequencies); the exact check below makes any subset of keys safe,
    // and when every key is that common the rarest is kept.
    Ok(sqlx::query_as(
        "WITH frequency AS (
             SELECT k.key, coalesce(s.freq, 0) AS freq
             FROM unnest($1::integer[]) AS k(key)
             LEFT JOIN (
                 SELECT unnest(most_common_elems::text::integer[]) AS elem,
                        unnest(most_common_elem_freqs[1:cardinality(most_common_elems)]) AS freq
                 FROM pg_stats
                 WHERE schemaname = 'public' AND tablename = 'rm_document_clauses'
                   AND attname = 'grams'
             ) s ON s.elem = k.key
         ), keys AS (
             SELECT coalesce(array_agg(key) FILTER (WHERE freq < 0.2),
                             (SELECT ARRAY[key] FROM frequency ORDER BY freq LIMIT 1)) AS keys
             FROM frequency
         ), hits AS (
             SELECT c.document_id, c.position
             FROM rm_document_clauses c
             WHERE c.grams @> (SELECT keys FROM keys)
               -- Most terms are found as written; lower() copies the clause, so it is the
               -- second try.
               AND NOT EXISTS (SELECT 1 FROM unnest($2::text[]) t
                               WHERE strpos(c.text, t) = 0 AND strpos(lower(c.text), t) = 0)
         ), ranked AS (
             SELECT document_id, count(*) AS score, min(position) AS first_position
             FROM hits GROUP BY document_id
         ), page AS (
             -- One lookup per matching document (LIMIT 1 keeps it a lateral lookup): the
             -- planner cannot know how few they are, and would scan every document instead.
             SELECT r.document_id, r.score, r.first_position
             FROM ranked r CROSS JOIN LATERAL (
                 SELECT 1 FROM rm_documents d
                 WHERE d.id = r.document_id
                   AND ($3::text IS NULL OR d.body_code = $3)
                   AND ($4::text IS NULL OR d.status = $4)
                   AND ($5::int IS NULL OR d.year = $5)
                   AND ($6::date IS NULL OR (d.effective_on <= $6 AND d.valid_until >= $6
                                             AND (d.ended_on IS NULL OR d.ended_on > $6)))
                   AND ($7::bool OR d.body_code = ANY($8) OR d.status = ANY($9))
                 LIMIT 1
             ) visible
             ORDER BY (r.first_position = 0) DESC, r.score DESC, r.document_id
             OFFSET $10 LIMIT $11
         )
         SELECT d.id, d.state, d.version, p.score, c.clause_id, c.number, c.text
         FROM page p
         JOIN rm_documents d ON d.id = p.document_id
         JOIN rm_document_clauses c
           ON c.document_id = p.document_id AND c.position = p.first_position
         ORDER BY (p.first_position = 0) DESC, p.score DESC, p.document_id",
    )
    .persistent(false)
    .bind(grams)
    .bind(terms)
    .bind(&filter.body_code)
    .bind(&filter.status)
    .bind(filter.year)
    .bind(filter.in_force_on)
    .bind(filter.visible.is_none())
    .bind(bodies)
    .bind(statuses)
    .bind(offset)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// A document whose current text cites a law, with the first clause that does.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CitingRow {
    #[sqlx(flatten)]
    pub row: DocumentRow,
    pub clause_id: String,
    pub law: String,
    pub article: i32,
}

/// Documents whose current text cites a law whose title contains `law` (and that article,
/// if given), in id order, optionally only those in force on a date.
pub async fn documents_citing(
    pool: &PgPool,
    law: &str,
    article: Option<i32>,
    filter: &DocumentFilter,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<CitingRow>, StoreError> {
    let (bodies, statuses) = filter.visible.clone().unwrap_or_default();
    Ok(sqlx::query_as(
        "SELECT DISTINCT ON (d.id) d.id, d.state, d.version, c.clause_id, c.law, c.article
         FROM rm_document_citations c JOIN rm_documents d ON d.id = c.document_id
         WHERE strpos(c.law, $1) > 0 AND ($2::int IS NULL OR c.article = $2)
           AND ($3::uuid IS NULL OR d.id > $3)
           AND ($4::date IS NULL OR (d.effective_on <= $4 AND d.valid_until >= $4
                                     AND (d.ended_on IS NULL OR d.ended_on > $4)))
           AND ($5::bool OR d.body_code = ANY($6) OR d.status = ANY($7))
         ORDER BY d.id, c.clause_id
         LIMIT $8",
    )
    .bind(law)
    .bind(article)
    .bind(after)
    .bind(filter.in_force_on)
    .bind(filter.visible.is_none())
    .bind(bodies)
    .bind(statuses)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// A clause of another document in force that is like a clause of the text under review.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NeighbourRow {
    /// The clause under review, by its position in the query's list.
    pub ordinal: i32,
    pub document_id: Uuid,
    pub title: String,
    pub document_number: Option<String>,
    pub clause_id: String,
    pub number: String,
    pub text: String,
    pub score: f32,
}

/// For each of `texts` (clauses under review), up to `per_clause` clauses of other documents
/// in force on `today` whose trigram similarity is at least `threshold`, most similar first.
pub async fn neighbours(
    pool: &PgPool,
    document: Uuid,
    texts: &[String],
    threshold: f32,
    per_clause: i64,
    today: chrono::NaiveDate,
) -> Result<Vec<NeighbourRow>, StoreError> {
    let mut tx = pool.begin().await?;
    // The `%` operator (which the trigram index serves) reads its threshold from this setting.
    sqlx::query("SELECT set_config('pg_trgm.similarity_threshold', $1, true)")
        .bind(threshold.to_string())
        .execute(&mut *tx)
        .await?;
    let rows = sqlx::query_as(
        "SELECT q.ordinal::int AS ordinal, n.document_id, n.title, n.document_number,
                n.clause_id, n.number, n.text, n.score
         FROM unnest($1::text[]) WITH ORDINALITY AS q(text, ordinal)
         CROSS JOIN LATERAL (
             SELECT c.document_id, d.title, d.document_number, c.clause_id, c.number, c.text,
                    similarity(c.text, q.text) AS score
             FROM rm_document_clauses c JOIN rm_documents d ON d.id = c.document_id
             WHERE c.text % q.text AND c.position > 0 AND c.document_id <> $2
               AND d.status = 'ISSUED' AND d.effective_on <= $3 AND d.valid_until >= $3
             ORDER BY score DESC, c.document_id, c.position
             LIMIT $4
         ) n
         ORDER BY q.ordinal, n.score DESC",
    )
    .bind(texts)
    .bind(document)
    .bind(today)
    .bind(per_clause)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// A file of a document's submission package, base64, read from its `AttachmentAdded` event.
pub async fn attachment_content(
    pool: &PgPool,
    id: Uuid,
    sha256: &str,
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT payload -> 'AttachmentAdded' ->> 'content_base64' FROM events
         WHERE aggregate_type = $1 AND aggregate_id = $2 AND event_type = 'AttachmentAdded'
           AND payload -> 'AttachmentAdded' ->> 'sha256' = $3",
    )
    .bind(<NormativeDocument as cqrs_es::Aggregate>::TYPE)
    .bind(id.to_string())
    .bind(sha256)
    .fetch_optional(pool)
    .await?)
}
