//! What the database itself guarantees: events are append-only, 文号 claims are permanent.

use normledger::domain::Role;
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_refuses_to_update_delete_or_truncate_events() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let before = app.event_count().await;
    for sql in [
        "UPDATE events SET payload = '{}'::jsonb",
        "DELETE FROM events",
        "TRUNCATE events",
    ] {
        let err = sqlx::query(sql).execute(&app.pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(app.event_count().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repealed_documents_number_is_never_reused() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let first = draft(&app, "先发文", false).await;
    to_approved(&app, &first).await;
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &first,
        issue_input("南政办发〔2019〕63号"),
    )
    .await;
    step(
        &app,
        Role::GovernmentOffice,
        "repealDocument",
        &first,
        json!({"reason": "废止"}),
    )
    .await;
    let err = sqlx::query("DELETE FROM document_number_claims")
        .execute(&app.pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"));
    let second = draft(&app, "后发文", false).await;
    to_approved(&app, &second).await;
    let r = act(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &second,
        issue_input("南政办发〔2019〕63号"),
    )
    .await;
    assert_eq!(
        error_code(&r),
        ("BUSINESS_RULE".into(), Some("DOCUMENT_NUMBER_TAKEN".into()))
    );
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &second,
        issue_input("南政办发〔2019〕64号"),
    )
    .await;
}

/// Proves that a registration number (登记号) is held once, like a 文号: a second document
/// issued under it is refused with the rule named and nothing written, even after the first is
/// repealed; the claim is the database's, append-only, and backs the domain's check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_number_is_held_by_one_document_for_good() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let with_registration = |number: &str| {
        let mut input = issue_input(number);
        input["registrationNumber"] = json!("NCXR-2019-00063");
        input
    };
    let first = draft(&app, "先登记", false).await;
    to_approved(&app, &first).await;
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &first,
        with_registration("南政办发〔2019〕63号"),
    )
    .await;
    step(
        &app,
        Role::GovernmentOffice,
        "repealDocument",
        &first,
        json!({"reason": "废止"}),
    )
    .await;
    let second = draft(&app, "后登记", false).await;
    to_approved(&app, &second).await;
    let before = app.event_count().await;
    let r = act(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &second,
        with_registration("南政办发〔2019〕64号"),
    )
    .await;
    assert_eq!(
        error_code(&r),
        (
            "BUSINESS_RULE".into(),
            Some("REGISTRATION_NUMBER_TAKEN".into())
        ),
        "{r:#}"
    );
    assert_eq!(app.event_count().await, before);
    let holder: String = sqlx::query_scalar(
        "SELECT document_id FROM registration_number_claims WHERE registration_number = 'NCXR-2019-00063'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(holder, first);
    let err = sqlx::query("DELETE FROM registration_number_claims")
        .execute(&app.pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_reports_whether_the_database_answers() {
    let app = TestApp::spawn().await;
    let r = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), 200);
    let page = reqwest::get(app.url("/graphql")).await.unwrap();
    assert!(page.text().await.unwrap().contains("graphiql"));
    // With the database gone for the server (its connections cut, new ones refused) the
    // service says so instead of pretending.
    sqlx::raw_sql(
        "DO $$ BEGIN EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', current_database()); END $$;
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND usename = 'normledger_app';",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    // A terminated backend ends a moment after it is told to: an idle connection may answer
    // once more in between, so the answer must turn, not be immediate.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let r = reqwest::get(app.url("/healthz")).await.unwrap();
        if r.status() == 503 {
            break;
        }
        assert!(std::time::Instant::now() < until, "still {}", r.status());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_works_as_a_role_that_cannot_change_history_even_without_the_triggers() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    // Every connection the server holds is the app role's.
    let users: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT usename::text FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'normledger'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(users, [normledger::store::APP_ROLE]);
    // Take the owner's triggers away: the role still may not alter or remove an event, a
    // claim or a checkpoint, nor change the schema.
    sqlx::raw_sql(
        "ALTER TABLE events DISABLE TRIGGER USER;
         ALTER TABLE document_number_claims DISABLE TRIGGER USER;",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let role = as_app_role(&app.pool).await;
    let before = app.event_count().await;
    for sql in [
        "UPDATE events SET payload = '{}'::jsonb",
        "DELETE FROM events",
        "TRUNCATE events",
        "DELETE FROM document_number_claims",
        "UPDATE log_checkpoints SET signature = ''",
        "ALTER TABLE events DISABLE TRIGGER USER",
        "DROP TABLE rm_documents",
        "UPDATE api_tokens SET role = 'ADMIN'",
    ] {
        let err = sqlx::query(sql).execute(&role).await.unwrap_err();
        assert!(
            err.to_string().contains("permission denied")
                || err.to_string().contains("must be owner"),
            "{sql}: {err}"
        );
    }
    assert_eq!(app.event_count().await, before);
    // What it must do, it may: read, append (through the server), write the read model.
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM rm_issuing_bodies")
        .fetch_one(&role)
        .await
        .unwrap();
    assert_eq!(n, 2);
}

/// Proves the server's credential cannot backdate an event, hide one from the projectors with
/// a chosen transaction id, take a 文号 or spend a command id behind the triggers' backs —
/// and that even the owner cannot choose a transaction id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_not_the_writer_sets_when_and_in_which_transaction_an_event_was_recorded() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let role = as_app_role(&app.pool).await;
    let before = app.event_count().await;
    let columns =
        "aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata";
    let values = "'IssuingBody', 'FORGED', 1, 'Listed', '1', '{}'::jsonb, '{}'::jsonb";
    for (extra_column, extra_value) in [
        ("recorded_at", "'2001-01-01T00:00:00Z'"),
        ("transaction_id", "'3'::xid8"),
        ("transaction_id", "'99999999999'::xid8"),
        ("position", "1"),
        ("hash", "'\\x00'::bytea"),
    ] {
        let sql = format!(
            "INSERT INTO events ({columns}, {extra_column}) OVERRIDING SYSTEM VALUE VALUES ({values}, {extra_value})"
        );
        let err = sqlx::query(&sql).execute(&role).await.unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{sql}: {err}"
        );
    }
    for sql in [
        "INSERT INTO document_number_claims VALUES ('南政办发', 2019, 1, 'x', 1)",
        "INSERT INTO registration_number_claims VALUES ('NCXR-1', 'x', 1)",
        "INSERT INTO command_ids (command_id, request_hash, aggregate_type, aggregate_id, position)
         VALUES ('spent', '', 'IssuingBody', 'x', 1)",
        "INSERT INTO signing_key_rotations (id, old_public_key, new_public_key, reason)
         VALUES (gen_random_uuid(), '\\x00', '\\x01', 'forged')",
    ] {
        let err = sqlx::query(sql).execute(&role).await.unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "{sql}: {err}"
        );
    }
    assert_eq!(app.event_count().await, before, "nothing was written");

    // The owner may restore record times (import-log does) but not choose a transaction id.
    // (Rolled back: the projector would refuse the empty payload.)
    let mut tx = app.pool.begin().await.unwrap();
    let (stamped, own): (String, String) = sqlx::query_as(&format!(
        "WITH e AS (INSERT INTO events ({columns}, transaction_id)
                    VALUES ({values}, '3'::xid8) RETURNING transaction_id)
         SELECT e.transaction_id::text, pg_current_xact_id()::text FROM e"
    ))
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(stamped, own);

    // Through the server, claims and command ids are still recorded by the triggers.
    let id = draft(&app, "经由触发器", false).await;
    to_approved(&app, &id).await;
    let r = app
        .gql(
            Role::GovernmentOffice,
            "mutation($id: ID!, $input: IssueDocumentInput!) {
               issueDocument(id: $id, input: $input, commandId: \"0191d1a0-0000-7000-8000-000000000001\") { position } }",
            json!({"id": id, "input": issue_input("南政办发〔2019〕63号")}),
        )
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    let (claims, ids): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM document_number_claims), (SELECT count(*) FROM command_ids)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((claims, ids), (1, 1));
}

/// Proves that every connection of the ledger runs with PostgreSQL's JIT compiler off: it
/// compiled any statement with a high estimated cost (every search) for tens of milliseconds,
/// and no statement of the ledger runs long enough to repay that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledgers_connections_do_not_jit_compile() {
    let url = fresh_database().await;
    let owner = normledger::store::connect(&url, 1).await.unwrap();
    normledger::store::migrate(&owner).await.unwrap();
    let app = normledger::store::connect_as_app(&owner).await.unwrap();
    for pool in [&owner, &app] {
        let jit: String = sqlx::query_scalar("SHOW jit")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(jit, "off");
    }
}
