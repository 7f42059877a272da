//! Roles: for each role one allowed and one forbidden mutation; drafters only for their own
//! bodies; no, unknown, revoked or expired tokens are UNAUTHENTICATED. Refusals write nothing.

use normledger::domain::Role;
use normledger::store::tokens;
use serde_json::{Value, json};
use std::collections::HashMap;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_may_do_its_own_work_and_nothing_else() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let id = draft(&app, "角色测试", false).await;

    // DRAFTER: may submit its body's draft; may not start the review.
    step(
        &app,
        Role::Drafter,
        "submitForReview",
        &id,
        json!({"materials": ["送审稿"]}),
    )
    .await;
    let before = app.event_count().await;
    let r = act(
        &app,
        Role::Drafter,
        "startReview",
        &id,
        json!({"dueOn": "2099-01-01"}),
    )
    .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN", "{r:#}");
    // LEGAL_OFFICE: may start the review; may not draft.
    step(
        &app,
        Role::LegalOffice,
        "startReview",
        &id,
        json!({"dueOn": "2099-01-01"}),
    )
    .await;
    let r = app
        .gql(
            Role::LegalOffice,
            DRAFT,
            json!({"input": {"bodyCode": "NCX-GOV", "title": "t", "class": "GOVERNMENT", "isMajorDecision": false}}),
        )
        .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN");
    // ADVISOR: may add an opinion; may not conclude the review (advisors only advise).
    step(
        &app,
        Role::Advisor,
        "addAdvisorOpinion",
        &id,
        json!({"text": "意见"}),
    )
    .await;
    let r = act(
        &app,
        Role::Advisor,
        "concludeReview",
        &id,
        json!({"outcome": "LAWFUL", "opinion": "合法"}),
    )
    .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN");
    // GOVERNMENT_OFFICE: may not conclude a review, but may deliberate once it is lawful.
    let r = act(
        &app,
        Role::GovernmentOffice,
        "concludeReview",
        &id,
        json!({"outcome": "LAWFUL", "opinion": "合法"}),
    )
    .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN");
    step(
        &app,
        Role::LegalOffice,
        "concludeReview",
        &id,
        json!({"outcome": "LAWFUL", "opinion": "合法"}),
    )
    .await;
    step(
        &app,
        Role::GovernmentOffice,
        "recordDeliberation",
        &id,
        json!({"outcome": "APPROVED", "meetingType": "EXECUTIVE_MEETING", "meeting": "常务会议"}),
    )
    .await;
    // AUDITOR and ADMIN: read, never write.
    for role in [Role::Auditor, Role::Admin] {
        let r = act(
            &app,
            role,
            "issueDocument",
            &id,
            issue_input("南政办发〔2019〕63号"),
        )
        .await;
        assert_eq!(error_code(&r).0, "FORBIDDEN", "{role}");
        let read = app
            .gql(role, "{ documents { edges { node { id } } } }", json!({}))
            .await;
        if role == Role::Auditor {
            assert!(read.get("errors").is_none(), "{role} may read");
        } else {
            assert_eq!(
                error_code(&read).0,
                "FORBIDDEN",
                "admins run the system, not documents"
            );
        }
    }
    let before_last = app.event_count().await;
    assert_eq!(
        before_last,
        before + 4,
        "only the four allowed steps wrote events"
    );

    // A drafter of other bodies may not touch this body's documents.
    let (_, other) = tokens::create(
        &app.pool,
        "other drafter",
        Role::Drafter,
        &["NCX-WATER".into()],
        None,
    )
    .await
    .unwrap();
    let r = app
        .gql_as(Some(&other), DRAFT, json!({"input": {"bodyCode": "NCX-GOV-OFFICE", "title": "越权", "class": "GOVERNMENT", "isMajorDecision": false}}))
        .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN");
    let r = app
        .gql_as(
            Some(&other),
            "mutation($id: ID!) { withdrawDocument(id: $id, input: {reason: \"x\"}) { position } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN");
    assert_eq!(app.event_count().await, before_last);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_unknown_revoked_and_expired_tokens_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let (revoked_id, revoked) = tokens::create(&app.pool, "revoked", Role::Auditor, &[], None)
        .await
        .unwrap();
    assert!(tokens::revoke(&app.pool, revoked_id).await.unwrap());
    let (_, expired) = tokens::create(
        &app.pool,
        "expired",
        Role::Auditor,
        &[],
        Some(chrono::Utc::now() - chrono::Duration::seconds(1)),
    )
    .await
    .unwrap();
    let unknown = format!("nl_{}", "0".repeat(64));
    for token in [
        None,
        Some("garbage"),
        Some(unknown.as_str()),
        Some(revoked.as_str()),
        Some(expired.as_str()),
    ] {
        let r = app
            .gql_as(token, "{ documents { edges { cursor } } }", json!({}))
            .await;
        assert_eq!(error_code(&r).0, "UNAUTHENTICATED", "{token:?}");
        let r = app.gql_as(token, LIST_BODY, json!({"input": {"code": "X", "name": "x", "kind": "COUNTY_DEPARTMENT", "agencyCodes": ["某发"]}})).await;
        assert_eq!(error_code(&r).0, "UNAUTHENTICATED", "{token:?}");
    }
    assert_eq!(app.event_count().await, 0);
    // Secrets are never stored: only their hashes.
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_tokens WHERE position($1 in encode(token_hash, 'escape')) > 0",
    )
    .bind(&revoked)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored, 0);
}

/// One call per mutation in the schema, with arguments valid for the schema; `$DOC`, `$ITEM`
/// and `$CAMPAIGN` are replaced by real ids.
/// The arguments the matrix passes to `mutation` (looked up by name, so the table's order is
/// free).
fn call_args(mutation: &str) -> &'static str {
    CALLS
        .iter()
        .find(|(m, _)| *m == mutation)
        .map(|(_, args)| *args)
        .unwrap_or_else(|| panic!("{mutation} is not in CALLS"))
}

const CALLS: &[(&str, &str)] = &[
    (
        "listIssuingBody",
        r#"input: {code: "NCX-MATRIX", name: "矩阵局", kind: COUNTY_DEPARTMENT, agencyCodes: ["矩发"]}"#,
    ),
    ("addAgencyCode", r#"code: "NCX-GOV", agencyCode: "南府函""#),
    (
        "delistIssuingBody",
        r#"input: {code: "NCX-NOBODY", reason: "撤销"}"#,
    ),
    (
        "draftDocument",
        r#"input: {bodyCode: "NCX-GOV-OFFICE", title: "矩阵", class: GOVERNMENT, isMajorDecision: false}"#,
    ),
    ("reviseDraft", r#"id: "$DOC", input: {title: "改"}"#),
    (
        "openConsultation",
        r#"id: "$DOC", input: {closesOn: "2030-01-01", channel: "网站"}"#,
    ),
    (
        "closeConsultation",
        r#"id: "$DOC", input: {commentsReceived: 0}"#,
    ),
    (
        "submitForReview",
        r#"id: "$DOC", input: {materials: ["送审稿"]}"#,
    ),
    ("returnMaterials", r#"id: "$DOC", input: {reason: "补正"}"#),
    ("startReview", r#"id: "$DOC", input: {dueOn: "2030-01-01"}"#),
    ("addAdvisorOpinion", r#"id: "$DOC", input: {text: "意见"}"#),
    (
        "concludeReview",
        r#"id: "$DOC", input: {outcome: LAWFUL, opinion: "合法"}"#,
    ),
    ("submitRevision", r#"id: "$DOC", input: {responses: []}"#),
    (
        "recordDeliberation",
        r#"id: "$DOC", input: {outcome: APPROVED, meetingType: EXECUTIVE_MEETING, meeting: "常务会议"}"#,
    ),
    (
        "issueDocument",
        r#"id: "$DOC", input: {number: "南政办发〔2019〕99号", signer: "县长", effectiveOn: "2019-12-01", issuedOn: "2019-10-01"}"#,
    ),
    ("fileForRecord", r#"id: "$DOC", input: {}"#),
    (
        "recordFilingReview",
        r#"id: "$DOC", input: {authority: "南昌市人民政府", outcome: ACCEPTED}"#,
    ),
    (
        "correctRecordedFact",
        r#"id: "$DOC", input: {position: 1, field: FILED_ON, value: "2019-10-02", reason: "回执"}"#,
    ),
    (
        "submitReviewSuggestion",
        r#"input: {number: "南政办发〔2019〕99号", text: "第五条增设许可条件"}"#,
    ),
    (
        "answerReviewSuggestion",
        r#"id: "$DOC", input: {suggestion: 1, answer: "有上位法依据"}"#,
    ),
    (
        "extendFilingReview",
        r#"id: "$DOC", input: {authority: "南昌市人民政府", days: 10, reason: "征求意见"}"#,
    ),
    (
        "confirmRevisedText",
        r#"id: "$DOC", input: {acceptedClauses: ["art-1"]}"#,
    ),
    (
        "addAttachment",
        r#"id: "$DOC", input: {kind: OTHER, file: $file}"#,
    ),
    (
        "considerScreeningWarning",
        r#"id: "$DOC", input: {version: 1, clause: "art-1-p1", code: "CREATES_PENALTY", reason: "有上位法依据"}"#,
    ),
    (
        "correctDocument",
        r#"id: "$DOC", input: {description: "勘误"}"#,
    ),
    ("repealDocument", r#"id: "$DOC", input: {reason: "废止"}"#),
    ("republishDocument", r#"id: "$DOC", input: {}"#),
    (
        "supersedeDocument",
        r#"id: "$DOC", supersededBy: "南政办发〔2020〕1号""#,
    ),
    ("withdrawDocument", r#"id: "$DOC", input: {reason: "撤回"}"#),
    (
        "registerCertificationItem",
        r#"input: {name: "证明", matter: "事项", basisLevel: LAW, basisCitation: "某法第一条", requestingUnit: "甲", issuingUnit: "乙"}"#,
    ),
    (
        "retainCertificationItem",
        r#"id: "$ITEM", commitmentAllowed: true"#,
    ),
    (
        "cancelCertificationItem",
        r#"id: "$ITEM", replacementMethod: "告知承诺""#,
    ),
    ("enableCommitment", r#"id: "$ITEM""#),
    ("disableCommitment", r#"id: "$ITEM", reason: "停止""#),
    (
        "launchCleanup",
        r#"input: {noticeNumber: "通知", title: "清理", kind: SPECIAL, organiser: "司法局", deadline: "2030-01-01", launchedOn: "2019-11-01", scope: {cutOff: "2019-10-31"}}"#,
    ),
    (
        "proposeCleanupDecision",
        r#"id: "$CAMPAIGN", input: {entryId: "$DOC", decision: CONTINUE, grounds: "继续有效", proposedOn: "2019-11-02"}"#,
    ),
    (
        "reviewCleanupDecision",
        r#"id: "$CAMPAIGN", input: {entryId: "$DOC", accepted: true, reviewedOn: "2019-11-03"}"#,
    ),
    (
        "approveCleanupResult",
        r#"id: "$CAMPAIGN", input: {meetingType: EXECUTIVE_MEETING, meeting: "县政府常务会议", approvedOn: "2019-11-20"}"#,
    ),
    (
        "publishCleanupResult",
        r#"id: "$CAMPAIGN", resultNumber: "南府发〔2019〕99号", publishedOn: "2019-12-01""#,
    ),
    (
        "reportCleanupToSuperior",
        r#"id: "$CAMPAIGN", to: "南昌市人民政府""#,
    ),
    ("closeCleanup", r#"id: "$CAMPAIGN""#),
];

/// The mutations the schema exposes (from the generated SDL).
/// The fields of a type of the generated SDL: lines indented once that open with a name and
/// then `(` or `:` (doc strings and arguments are indented more, or read otherwise).
fn schema_fields(type_name: &str) -> Vec<String> {
    let sdl = normledger::graphql::sdl();
    let block = sdl
        .split(&format!("type {type_name} {{"))
        .nth(1)
        .and_then(|b| b.split("\n}").next())
        .unwrap()
        .to_owned();
    block
        .lines()
        .filter(|l| l.starts_with('\t') && !l.starts_with("\t\t"))
        .map(str::trim)
        .filter_map(|line| {
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let is_field = matches!(line[name.len()..].chars().next(), Some('(' | ':'));
            (is_field && name.starts_with(|c: char| c.is_ascii_lowercase())).then_some(name)
        })
        .collect()
}

fn schema_mutations() -> Vec<String> {
    schema_fields("MutationRoot")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutation_as_every_role_follows_the_policy_table() {
    use normledger::authz::REVIEW_DECISIONS;
    use normledger::commands::{POLICY, permission};
    let mut exposed = schema_mutations();
    exposed.sort();
    let mut called: Vec<String> = CALLS.iter().map(|(m, _)| m.to_string()).collect();
    called.sort();
    assert_eq!(
        exposed, called,
        "the matrix calls every mutation of the schema"
    );
    for m in &exposed {
        let rule = permission(m).unwrap_or_else(|| panic!("{m} has no row in POLICY"));
        assert!(!rule.roles.contains(&Role::System), "{m} is not for tokens");
        assert_eq!(
            rule.roles == [Role::Public],
            normledger::authz::PUBLIC_MUTATIONS.contains(&m.as_str()),
            "{m}: PUBLIC_MUTATIONS lists exactly the mutations of the role PUBLIC"
        );
    }
    // The SYSTEM-only commands are not in the schema at all.
    for rule in POLICY.iter().filter(|r| r.roles == [Role::System]) {
        assert!(
            !exposed.contains(&rule.mutation.to_owned()),
            "{}",
            rule.mutation
        );
    }

    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let (doc, item, campaign) = matrix_objects(&app, "矩阵对象").await;
    let (_, other_drafter) = tokens::create(
        &app.pool,
        "other body",
        Role::Drafter,
        &["NCX-WATER".into()],
        None,
    )
    .await
    .unwrap();
    // A department's own legal unit: not the review body of the county's documents.
    let (_, other_reviewer) = tokens::create(
        &app.pool,
        "other review body",
        Role::LegalOffice,
        &["NCX-WATER".into()],
        None,
    )
    .await
    .unwrap();
    // A filing authority the document is not filed with.
    let (_, other_authority) = tokens::create(
        &app.pool,
        "other filing authority",
        Role::FilingAuthority,
        &["江西省人民政府".into()],
        None,
    )
    .await
    .unwrap();
    let (revoked_id, revoked) = tokens::create(&app.pool, "revoked", Role::LegalOffice, &[], None)
        .await
        .unwrap();
    tokens::revoke(&app.pool, revoked_id).await.unwrap();
    let (_, expired) = tokens::create(
        &app.pool,
        "expired",
        Role::LegalOffice,
        &[],
        Some(chrono::Utc::now() - chrono::Duration::seconds(1)),
    )
    .await
    .unwrap();

    let mut checked = 0;
    for (mutation, args) in CALLS {
        let args = args
            .replace("$DOC", &doc)
            .replace("$ITEM", &item)
            .replace("$CAMPAIGN", &campaign);
        // A mutation that takes a file is called as a multipart request.
        let with_file = args.contains("$file");
        let query = if with_file {
            format!("mutation($file: Upload!) {{ {mutation}({args}) {{ __typename }} }}")
        } else {
            format!("mutation {{ {mutation}({args}) {{ __typename }} }}")
        };
        let rule = permission(mutation).unwrap();
        let mut callers: Vec<(String, Option<String>, Option<&str>)> = Role::ALL
            .iter()
            .map(|r| (r.to_string(), Some(app.token(*r).to_owned()), None))
            .collect();
        callers.push((
            "a drafter of another body".into(),
            Some(other_drafter.clone()),
            None,
        ));
        callers.push((
            "the legal unit of another body".into(),
            Some(other_reviewer.clone()),
            None,
        ));
        callers.push((
            "another filing authority".into(),
            Some(other_authority.clone()),
            None,
        ));
        for (who, token) in [
            ("no token", None),
            ("a revoked token", Some(revoked.clone())),
            ("an expired token", Some(expired.clone())),
        ] {
            callers.push((who.into(), token, Some("UNAUTHENTICATED")));
        }
        for (who, token, expected) in callers {
            let before = app.event_count().await;
            let r = if with_file {
                let pdf = format!("%PDF-1.4 {who} {}", app.event_count().await).into_bytes();
                app.gql_with_file_as(token.as_deref(), &query, pdf, "起草说明.pdf")
                    .await
            } else {
                app.gql_as(token.as_deref(), &query, json!({})).await
            };
            let code = r["errors"][0]["extensions"]["code"]
                .as_str()
                .map(str::to_owned);
            let role: Option<Role> = who.parse().ok();
            // A public mutation answers anyone, a bad token counting as none.
            let public = normledger::authz::PUBLIC_MUTATIONS.contains(mutation);
            let allowed = match (&expected, role) {
                _ if public => true,
                (Some(_), _) => false,
                // The legal office proposes only items' cleanup decisions; $DOC is a document.
                (None, Some(Role::LegalOffice)) if *mutation == "proposeCleanupDecision" => false,
                // $DOC is a government document: the government's office records its
                // deliberation, not the drafter (who does for a department's).
                (None, Some(Role::Drafter)) if *mutation == "recordDeliberation" => false,
                // $DOC is filed with the city government, whose outcomes are its own: the
                // county's legal office records only the county government's.
                (None, Some(Role::LegalOffice)) if FILING_DECISIONS.contains(mutation) => false,
                (None, Some(role)) => rule.roles.contains(&role),
                // The other body's drafter: allowed only where the rule is not body-scoped.
                (None, None) if who.starts_with("a drafter") => {
                    rule.roles.contains(&Role::Drafter) && !rule.body_scoped
                }
                // Another filing authority: nothing.
                (None, None) if who.starts_with("another filing") => false,
                // Another review body's legal unit: everything the legal office does but the
                // review decisions on documents it does not review.
                (None, None) => {
                    rule.roles.contains(&Role::LegalOffice)
                        && !REVIEW_DECISIONS.contains(mutation)
                        && !FILING_DECISIONS.contains(mutation)
                        && *mutation != "proposeCleanupDecision"
                }
            };
            let expected = expected.unwrap_or("FORBIDDEN");
            if allowed {
                assert!(
                    !matches!(code.as_deref(), Some("FORBIDDEN" | "UNAUTHENTICATED")),
                    "{mutation} as {who} is allowed by POLICY: {r:#}"
                );
            } else {
                assert_eq!(
                    code.as_deref(),
                    Some(expected),
                    "{mutation} as {who}: {r:#}"
                );
                assert_eq!(app.event_count().await, before, "{mutation} as {who} wrote");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, CALLS.len() * (Role::ALL.len() + 6));
}

/// The mutations only the filing authority named in them (or the legal office of the county
/// government, for what is filed with it) may call.
const FILING_DECISIONS: &[&str] = &["recordFilingReview", "extendFilingReview"];

/// One call per query of the read policy (`events` is a subscription, checked over the
/// websocket in `live`; here through its resolver's rule only).
const READ_CALLS: &[(&str, &str)] = &[
    ("issuingBodies", "{ issuingBodies { edges { cursor } } }"),
    ("issuingBody", "{ issuingBody(code: \"NCX-GOV\") { code } }"),
    ("annualReport", "{ annualReport(year: 2019) { year } }"),
    ("documents", "{ documents { edges { cursor } } }"),
    ("document", "{ document(id: \"$DOC\") { id } }"),
    (
        "documentsCiting",
        "{ documentsCiting(law: \"行政许可法\") { edges { cursor } } }",
    ),
    (
        "searchDocuments",
        "{ searchDocuments(query: \"规范\") { edges { cursor } } }",
    ),
    ("auditTrail", "{ auditTrail { edges { cursor } } }"),
    ("verifyIntegrity", "{ verifyIntegrity { intact } }"),
    ("projectionStatus", "{ projectionStatus { name } }"),
    (
        "certificationItem",
        "{ certificationItem(id: \"$DOC\") { id } }",
    ),
    (
        "certificationItems",
        "{ certificationItems { edges { cursor } } }",
    ),
    ("overdueReviews", "{ overdueReviews { edges { cursor } } }"),
    ("overdueFilings", "{ overdueFilings { edges { cursor } } }"),
    (
        "overdueFilingCorrections",
        "{ overdueFilingCorrections { edges { cursor } } }",
    ),
    (
        "expiringDocuments",
        "{ expiringDocuments { edges { cursor } } }",
    ),
    (
        "overdueRevisions",
        "{ overdueRevisions { edges { cursor } } }",
    ),
    (
        "cleanupCampaign",
        "{ cleanupCampaign(id: \"$DOC\") { id } }",
    ),
    (
        "cleanupCampaigns",
        "{ cleanupCampaigns { edges { cursor } } }",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_query_as_every_role_follows_the_read_policy_and_drafts_stay_private() {
    use normledger::commands::{READS, read_scope};
    let mut listed: Vec<&str> = READS
        .iter()
        .map(|r| r.query)
        // Nested fields (`Type.field`) have tests of their own.
        .filter(|q| *q != "events" && !q.contains('.'))
        .collect();
    listed.sort();
    let mut called: Vec<&str> = READ_CALLS.iter().map(|(q, _)| *q).collect();
    called.sort();
    assert_eq!(
        listed, called,
        "the matrix calls every query of the read policy"
    );
    // Every query field of the schema has a row in the read policy, or is public.
    for name in schema_fields("QueryRoot") {
        assert!(
            READS.iter().any(|r| r.query == name)
                || normledger::authz::PUBLIC_QUERIES.contains(&name.as_str()),
            "{name} has no read rule"
        );
    }

    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let doc = draft(&app, "读权限", false).await;
    for (query, text) in READ_CALLS {
        let text = text.replace("$DOC", &doc);
        for role in Role::ALL {
            let r = app.gql(role, &text, json!({})).await;
            let code = r["errors"][0]["extensions"]["code"].as_str();
            if read_scope(query, role).is_some() {
                assert_ne!(code, Some("FORBIDDEN"), "{query} as {role}: {r:#}");
                assert_ne!(code, Some("UNAUTHENTICATED"), "{query} as {role}: {r:#}");
            } else {
                assert_eq!(code, Some("FORBIDDEN"), "{query} as {role}: {r:#}");
            }
        }
        let r = app.gql_as(None, &text, json!({})).await;
        assert_eq!(
            error_code(&r).0,
            "UNAUTHENTICATED",
            "{query} without a token"
        );
    }

    // Scopes: a draft of NCX-GOV-OFFICE, one under review, one issued.
    let reviewed = draft(&app, "审核中", false).await;
    step(
        &app,
        Role::Drafter,
        "submitForReview",
        &reviewed,
        json!({"materials": ["送审稿"]}),
    )
    .await;
    let issued = draft(&app, "已印发", false).await;
    to_approved(&app, &issued).await;
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &issued,
        issue_input("南政办发〔2019〕63号"),
    )
    .await;
    let (_, water) = tokens::create(
        &app.pool,
        "水务局起草人",
        Role::Drafter,
        &["NCX-WATER".into()],
        None,
    )
    .await
    .unwrap();
    let ids = |r: Value| {
        let mut ids: Vec<String> = r["data"]["documents"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let list = "{ documents(first: 100) { edges { node { id } } } }";
    let sorted = |mut v: Vec<&String>| {
        v.sort();
        v.into_iter().cloned().collect::<Vec<_>>()
    };
    // The body's own drafter sees all three; another body's drafter only the issued one.
    assert_eq!(
        ids(app.gql(Role::Drafter, list, json!({})).await),
        sorted(vec![&doc, &reviewed, &issued])
    );
    assert_eq!(
        ids(app.gql_as(Some(&water), list, json!({})).await),
        std::slice::from_ref(&issued)
    );
    // Advisors see what is under review and what is published, never a plain draft.
    assert_eq!(
        ids(app.gql(Role::Advisor, list, json!({})).await),
        sorted(vec![&reviewed, &issued])
    );
    let one = |id: &str| format!("{{ document(id: \"{id}\") {{ id }} }}");
    let hidden = app.gql_as(Some(&water), &one(&doc), json!({})).await;
    assert_eq!(hidden["data"]["document"], Value::Null, "{hidden:#}");
    let hidden = app.gql(Role::Advisor, &one(&doc), json!({})).await;
    assert_eq!(hidden["data"]["document"], Value::Null);
    // Nested under the public body list, the same rule holds.
    let nested = app
        .gql_as(
            Some(&water),
            "{ issuingBody(code: \"NCX-GOV-OFFICE\") { documents { edges { node { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        nested["data"]["issuingBody"]["documents"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// Proves that a published document's history (actors, roles, tokens, drafts) is not public
/// with the document: another body's drafter, an advisor and an admin get null with
/// FORBIDDEN, in a single read and in a list; its own body's drafter and the offices see it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_documents_history_is_read_only_by_those_the_policy_names() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let doc = draft(&app, "历史可见性", false).await;
    to_approved(&app, &doc).await;
    step(
        &app,
        Role::GovernmentOffice,
        "issueDocument",
        &doc,
        issue_input("南政办发〔2019〕63号"),
    )
    .await;
    let (_, other_drafter) = tokens::create(
        &app.pool,
        "other body",
        Role::Drafter,
        &["NCX-WATER".into()],
        None,
    )
    .await
    .unwrap();
    let single = "query($id: String!) { document(id: $id) { id history { actorName } } }";
    let listed = "{ documents { edges { node { id history { actorName } } } } }";
    let callers = [
        (
            "LEGAL_OFFICE",
            Some(app.token(Role::LegalOffice).to_owned()),
            true,
        ),
        (
            "GOVERNMENT_OFFICE",
            Some(app.token(Role::GovernmentOffice).to_owned()),
            true,
        ),
        ("AUDITOR", Some(app.token(Role::Auditor).to_owned()), true),
        (
            "own drafter",
            Some(app.token(Role::Drafter).to_owned()),
            true,
        ),
        ("other drafter", Some(other_drafter), false),
        ("ADVISOR", Some(app.token(Role::Advisor).to_owned()), false),
    ];
    for (who, token, allowed) in callers {
        let r = app
            .gql_as(token.as_deref(), single, json!({"id": doc}))
            .await;
        assert_eq!(
            r["data"]["document"]["id"],
            doc.as_str(),
            "{who} reads the published document"
        );
        let history = &r["data"]["document"]["history"];
        if allowed {
            assert!(
                history.as_array().is_some_and(|h| !h.is_empty()),
                "{who}: {r:#}"
            );
        } else {
            assert!(history.is_null(), "{who}: {r:#}");
            assert_eq!(error_code(&r).0, "FORBIDDEN", "{who}");
        }
        let r = app.gql_as(token.as_deref(), listed, json!({})).await;
        let node = &r["data"]["documents"]["edges"][0]["node"];
        assert_eq!(node["id"], doc.as_str(), "{who}: {r:#}");
        assert_eq!(
            node["history"].is_null(),
            !allowed,
            "{who} in a list: {r:#}"
        );
    }
}

/// An issued document, a certification item and a cleanup campaign to call everything on.
async fn matrix_objects(app: &TestApp, title: &str) -> (String, String, String) {
    let doc = draft(app, title, false).await;
    to_approved(app, &doc).await;
    step(
        app,
        Role::GovernmentOffice,
        "issueDocument",
        &doc,
        issue_input("南政办发〔2019〕63号"),
    )
    .await;
    let item = app
        .ok(
            Role::LegalOffice,
            &format!(
                "mutation {{ registerCertificationItem({}) {{ certificationItem {{ id }} }} }}",
                call_args("registerCertificationItem")
            ),
            json!({}),
        )
        .await["registerCertificationItem"]["certificationItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let campaign = app
        .ok(
            Role::LegalOffice,
            &format!(
                "mutation {{ launchCleanup({}) {{ campaign {{ id }} }} }}",
                call_args("launchCleanup")
            ),
            json!({}),
        )
        .await["launchCleanup"]["campaign"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (doc, item, campaign)
}

/// The schema as introspection gives it: per object type, its fields with their required
/// arguments and the named type they return.
struct SchemaMap {
    objects: HashMap<String, Vec<FieldInfo>>,
}

/// A field: its name, its required arguments (name, type), the named type it returns and
/// whether that is an object type.
struct FieldInfo {
    name: String,
    required: Vec<(String, String)>,
    returns: String,
    object: bool,
}

fn named(t: &Value) -> (String, String) {
    // (the innermost name, the printed type with ! and [])
    match t["kind"].as_str().unwrap() {
        "NON_NULL" => {
            let (n, p) = named(&t["ofType"]);
            (n, format!("{p}!"))
        }
        "LIST" => {
            let (n, p) = named(&t["ofType"]);
            (n, format!("[{p}]"))
        }
        _ => {
            let n = t["name"].as_str().unwrap().to_owned();
            (n.clone(), n)
        }
    }
}

impl SchemaMap {
    fn from_introspection(r: &Value) -> Self {
        let types = r["data"]["__schema"]["types"].as_array().unwrap();
        let is_object: std::collections::HashSet<&str> = types
            .iter()
            .filter(|t| t["kind"] == "OBJECT")
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        let mut objects = HashMap::new();
        for t in types.iter().filter(|t| t["kind"] == "OBJECT") {
            let name = t["name"].as_str().unwrap();
            if name.starts_with("__") {
                continue;
            }
            let fields = t["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    let required = f["args"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|a| a["type"]["kind"] == "NON_NULL" && a["defaultValue"].is_null())
                        .map(|a| (a["name"].as_str().unwrap().to_owned(), named(&a["type"]).1))
                        .collect();
                    let (returns, _) = named(&f["type"]);
                    FieldInfo {
                        name: f["name"].as_str().unwrap().to_owned(),
                        required,
                        object: is_object.contains(returns.as_str()),
                        returns,
                    }
                })
                .collect();
            objects.insert(name.to_owned(), fields);
        }
        SchemaMap { objects }
    }

    /// A selection of every field of `type_name` reachable without required arguments, to
    /// `depth` object levels (types already on the path are not entered again).
    fn selection(&self, type_name: &str, depth: usize, path: &mut Vec<String>) -> String {
        let mut out = vec!["__typename".to_owned()];
        for f in &self.objects[type_name] {
            if !f.required.is_empty() {
                continue;
            }
            if !f.object {
                out.push(f.name.clone());
            } else if depth > 0 && !path.contains(&f.returns) {
                path.push(f.returns.clone());
                let inner = self.selection(&f.returns, depth - 1, path);
                path.pop();
                out.push(format!("{} {{ {inner} }}", f.name));
            }
        }
        out.join(" ")
    }
}

/// Proves, from the schema itself rather than a list, that the read policy holds on every
/// field reachable from every query: for each query field, one request selecting everything
/// reachable under it (four object levels deep) is sent as every role; the query's own row
/// and every nested row of READS (`Type.field`) decide where FORBIDDEN must appear, and
/// nowhere else may it, nor any INTERNAL error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reachable_field_as_every_role_follows_the_read_policy() {
    use normledger::commands::{READS, read_scope};
    let mut settings = quiet_settings();
    settings.limits.max_depth = 30;
    settings.limits.max_complexity = 1_000_000;
    let app = TestApp::spawn_with(&fresh_database().await, settings).await;
    list_bodies(&app).await;
    let (doc, item, campaign) = matrix_objects(&app, "全字段读取").await;
    let intro = app
        .gql(
            Role::Auditor,
            crate::hostile::STANDARD_INTROSPECTION,
            json!({}),
        )
        .await;
    let schema = SchemaMap::from_introspection(&intro);
    // Values for the required arguments of the query fields.
    let argument = |query: &str, name: &str| -> Option<String> {
        Some(match (query, name) {
            ("document", "id") => format!("\"{doc}\""),
            ("certificationItem", "id") => format!("\"{item}\""),
            ("cleanupCampaign", "id") => format!("\"{campaign}\""),
            ("issuingBody", "code") => "\"NCX-GOV-OFFICE\"".into(),
            ("annualReport", "year") => "2019".into(),
            ("searchDocuments" | "publicSearch", "query") => "\"规范\"".into(),
            ("documentsCiting", "law") => "\"行政许可法\"".into(),
            ("publicDocument", "number") => "\"南政办发〔2019〕99号\"".into(),
            ("publicCatalogue", "year") => "2019".into(),
            ("publicCatalogue", "kind") => "IN_FORCE".into(),
            _ => return None,
        })
    };
    let nested_rules: Vec<(&str, &str, &str)> = READS
        .iter()
        .filter_map(|r| {
            let (t, f) = r.query.split_once('.')?;
            Some((r.query, t, f))
        })
        .collect();
    let mut fields_checked = 0;
    for FieldInfo {
        name: query,
        required,
        returns,
        object,
    } in &schema.objects["QueryRoot"]
    {
        let args: Vec<String> = required
            .iter()
            .map(|(name, _)| {
                argument(query, name)
                    .map(|v| format!("{name}: {v}"))
                    .unwrap_or_else(|| panic!("no value for {query}({name})"))
            })
            .collect();
        let args = if args.is_empty() {
            String::new()
        } else {
            format!("({})", args.join(", "))
        };
        let selection = if *object {
            format!(
                "{{ {} }}",
                schema.selection(returns, 4, &mut vec![returns.clone()])
            )
        } else {
            String::new()
        };
        let text = format!("{{ {query}{args} {selection} }}");
        fields_checked += text.split_whitespace().count();
        // Which nested rules this request reaches: `Type { … field` appears in the selection.
        let reached: Vec<&(&str, &str, &str)> = nested_rules
            .iter()
            .filter(|(_, _, f)| {
                text.contains(&format!(" {f} {{")) || text.contains(&format!(" {f} "))
            })
            .filter(|(_, t, _)| schema.objects.contains_key(*t))
            .collect();
        for role in Role::ALL {
            let r = app.gql(role, &text, json!({})).await;
            let errors = r["errors"].as_array().cloned().unwrap_or_default();
            for e in &errors {
                let code = e["extensions"]["code"].as_str().unwrap_or("<none>");
                assert_ne!(code, "INTERNAL", "{query} as {role}: {e}");
                assert_ne!(code, "<none>", "{query} as {role}: {e}");
            }
            let forbidden: Vec<Vec<String>> = errors
                .iter()
                .filter(|e| e["extensions"]["code"] == "FORBIDDEN")
                .map(|e| {
                    e["path"]
                        .as_array()
                        .map(|p| {
                            p.iter()
                                .filter_map(|s| s.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect();
            if normledger::authz::PUBLIC_QUERIES.contains(&query.as_str()) {
                assert!(forbidden.is_empty(), "{query} is public: {r:#}");
                continue;
            }
            if read_scope(query, role).is_none() {
                assert_eq!(
                    forbidden,
                    vec![vec![query.clone()]],
                    "{query} as {role}: {r:#}"
                );
                continue;
            }
            for path in &forbidden {
                let last = path.last().map(String::as_str).unwrap_or_default();
                assert!(
                    reached
                        .iter()
                        .any(|(rule, _, f)| *f == last && read_scope(rule, role).is_none()),
                    "{query} as {role}: FORBIDDEN at {path:?} that no rule names: {r:#}"
                );
            }
            for (rule, _, field) in &reached {
                if read_scope(rule, role).is_none() && has_key(&r["data"], field) {
                    assert!(
                        forbidden
                            .iter()
                            .any(|p| p.last().map(String::as_str) == Some(field)),
                        "{query} as {role}: {rule} answered without FORBIDDEN: {r:#}"
                    );
                }
            }
        }
    }
    assert!(fields_checked > 1000, "only {fields_checked} selections");
}

/// Whether `key` appears anywhere in `value` (a field that was resolved, null or not).
fn has_key(value: &Value, key: &str) -> bool {
    match value {
        Value::Object(map) => map.contains_key(key) || map.values().any(|v| has_key(v, key)),
        Value::Array(items) => items.iter().any(|v| has_key(v, key)),
        _ => false,
    }
}

/// Proves the separation of duties in review (审核机构): a document is reviewed only by the
/// review body designated for its issuing body. The county's legal office may not review a
/// department with its own legal unit, that unit may not review the county's documents, and a
/// body listed without a review body cannot be reviewed at all; each refusal writes nothing.
/// And a department's document is deliberated by its own office meeting, which the
/// department records (the government's office may not, nor call it a government meeting).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_designated_review_body_reviews_a_bodys_documents() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    for (code, agency, review_body) in [
        ("NCX-WATER", "南水发", Some("NCX-WATER")),
        ("NCX-URBAN", "南城管发", None),
    ] {
        app.ok(
            Role::LegalOffice,
            LIST_BODY,
            json!({"input": {"code": code, "name": format!("{code} 局"), "kind": "COUNTY_DEPARTMENT",
                   "agencyCodes": [agency], "listedFrom": "2019-01-01",
                   "reviewBody": review_body, "filingAuthorities": ["南昌县人民政府"]}}),
        )
        .await;
    }
    let token = |role, bodies: &[&str]| {
        let bodies: Vec<String> = bodies.iter().map(|b| b.to_string()).collect();
        let pool = app.pool.clone();
        async move {
            tokens::create(&pool, "scoped", role, &bodies, None)
                .await
                .unwrap()
                .1
        }
    };
    let water_drafter = token(Role::Drafter, &["NCX-WATER", "NCX-URBAN"]).await;
    let water_legal = token(Role::LegalOffice, &["NCX-WATER"]).await;
    let mutation = |name: &str, input: &str| {
        format!(
            "mutation($id: ID!) {{ {name}(id: $id, input: {{{input}}}) {{ document {{ status }} }} }}"
        )
    };
    let submitted = |body: &'static str| {
        let (app, drafter) = (&app, water_drafter.clone());
        async move {
            let r = app
                .gql_as(
                    Some(&drafter),
                    DRAFT,
                    json!({"input": {"bodyCode": body, "title": "水利工程管理办法", "class": "DEPARTMENT",
                           "isMajorDecision": false, "draftedOn": "2019-06-01"}}),
                )
                .await;
            let id = r["data"]["draftDocument"]["document"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{r:#}"))
                .to_owned();
            let r = app
                .gql_as(
                    Some(&drafter),
                    &mutation(
                        "submitForReview",
                        "materials: [\"送审稿\"], submittedOn: \"2019-07-01\"",
                    ),
                    json!({"id": id}),
                )
                .await;
            assert!(r.get("errors").is_none(), "{r:#}");
            id
        }
    };
    let start = mutation(
        "startReview",
        "startedOn: \"2019-07-02\", dueOn: \"2019-07-20\"",
    );

    // The department's documents: its own legal unit reviews them, the county's may not.
    let water_doc = submitted("NCX-WATER").await;
    let before = app.event_count().await;
    let r = app
        .gql(Role::LegalOffice, &start, json!({"id": water_doc}))
        .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN");
    let message = r["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("reviewed by NCX-WATER"), "{message}");
    assert_eq!(
        app.event_count().await,
        before,
        "a refused review wrote nothing"
    );
    let r = app
        .gql_as(Some(&water_legal), &start, json!({"id": water_doc}))
        .await;
    assert_eq!(
        r["data"]["startReview"]["document"]["status"], "UNDER_REVIEW",
        "{r:#}"
    );
    let conclude = mutation(
        "concludeReview",
        "outcome: LAWFUL, opinion: \"合法\", concludedOn: \"2019-07-10\"",
    );
    let r = app
        .gql(Role::LegalOffice, &conclude, json!({"id": water_doc}))
        .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN");
    let r = app
        .gql_as(Some(&water_legal), &conclude, json!({"id": water_doc}))
        .await;
    assert!(r.get("errors").is_none(), "{r:#}");

    // Its deliberation is its own office meeting, recorded by the department itself: not by
    // the government's office, and not as a government meeting.
    let deliberate = |meeting_type: &str| {
        mutation(
            "recordDeliberation",
            &format!(
                "outcome: APPROVED, meetingType: {meeting_type}, meeting: \"局务会议\", heldOn: \"2019-08-20\""
            ),
        )
    };
    let before = app.event_count().await;
    let r = app
        .gql(
            Role::GovernmentOffice,
            &deliberate("DEPARTMENT_MEETING"),
            json!({"id": water_doc}),
        )
        .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN", "{r:#}");
    let r = app
        .gql_as(
            Some(&water_drafter),
            &deliberate("EXECUTIVE_MEETING"),
            json!({"id": water_doc}),
        )
        .await;
    assert_eq!(
        error_code(&r),
        ("BUSINESS_RULE".into(), Some("WRONG_MEETING".into())),
        "{r:#}"
    );
    assert_eq!(app.event_count().await, before);
    let r = app
        .gql_as(
            Some(&water_drafter),
            &deliberate("DEPARTMENT_MEETING"),
            json!({"id": water_doc}),
        )
        .await;
    assert_eq!(
        r["data"]["recordDeliberation"]["document"]["status"], "APPROVED",
        "{r:#}"
    );

    // The county's documents: the department's legal unit may not review them.
    let county_doc = draft(&app, "县政府文件", false).await;
    step(
        &app,
        Role::Drafter,
        "submitForReview",
        &county_doc,
        json!({"materials": ["送审稿"], "submittedOn": "2019-07-01"}),
    )
    .await;
    let before = app.event_count().await;
    for (name, input) in [
        (
            "startReview",
            "startedOn: \"2019-07-02\", dueOn: \"2019-07-20\"",
        ),
        (
            "returnMaterials",
            "reason: \"材料不全\", returnedOn: \"2019-07-02\"",
        ),
    ] {
        let r = app
            .gql_as(
                Some(&water_legal),
                &mutation(name, input),
                json!({"id": county_doc}),
            )
            .await;
        assert_eq!(error_code(&r).0, "FORBIDDEN", "{name}: {r:#}");
    }
    assert_eq!(app.event_count().await, before);

    // A body listed without a review body: nobody reviews its documents until one is named.
    let urban_doc = submitted("NCX-URBAN").await;
    let r = app
        .gql(Role::LegalOffice, &start, json!({"id": urban_doc}))
        .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN");
    let message = r["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("no designated review body"), "{message}");
}
