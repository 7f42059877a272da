//! Cleanup campaigns end to end: inventory from the read model, one final decision per
//! entry, publication applied to documents and items by a process manager that can be cut
//! off and re-run, revision deadlines.

use normledger::app::App;
use normledger::commands::{Command, RequestContext};
use normledger::domain::cleanup_campaign::{
    CampaignKind, CleanupCampaignCommand, CleanupScope, Decision, DecisionReview, Launch, Proposal,
    Publication, ResultApproval,
};
use normledger::domain::issuing_body::MeetingType;
use normledger::domain::{Actor, DocumentNumber, Role};
use normledger::process;
use serde_json::{Value, json};

use crate::support::*;

const CAMPAIGN: &str = "id status undecided resultNumber appliedOn
  entries { kind id label bodyCode finalDecision proposal { decision } review { accepted } }";

async fn register_item(app: &TestApp, name: &str, level: &str) -> String {
    let r = app
        .ok(
            Role::LegalOffice,
            "mutation($input: RegisterCertificationItemInput!) {
               registerCertificationItem(input: $input) { certificationItem { id } } }",
            json!({"input": {"name": name, "matter": "某许可", "basisLevel": level,
                   "basisCitation": "某依据第一条", "requestingUnit": "县某局",
                   "issuingUnit": "某单位", "registeredOn": "2019-07-01"}}),
        )
        .await;
    r["registerCertificationItem"]["certificationItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn campaign_mutation(app: &TestApp, role: Role, mutation: &str, vars: Value) -> Value {
    app.gql(role, mutation, vars).await
}

fn propose(role_vars: (&str, &str, &str), extra: Value) -> Value {
    let (campaign, entry, decision) = role_vars;
    let mut input = json!({"entryId": entry, "decision": decision, "grounds": "依据已变化",
                           "proposedOn": "2019-11-10"});
    if let (Some(i), Some(e)) = (input.as_object_mut(), extra.as_object()) {
        i.extend(e.clone());
    }
    json!({"id": campaign, "input": input})
}

const PROPOSE: &str = "mutation($id: ID!, $input: ProposeCleanupDecisionInput!) {
  proposeCleanupDecision(id: $id, input: $input) { campaign { undecided } } }";
const REVIEW: &str = "mutation($id: ID!, $input: ReviewCleanupDecisionInput!) {
  reviewCleanupDecision(id: $id, input: $input) { campaign { undecided } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_goes_from_launch_to_close_and_applies_each_decision_once() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    let repeal = issued(&app, "甲办法", "南政办发〔2019〕60号").await;
    let invalid = issued(&app, "乙办法", "南政办发〔2019〕61号").await;
    let amend = issued(&app, "丙办法", "南政办发〔2019〕62号").await;
    let keep = issued(&app, "丁办法", "南政办发〔2019〕64号").await;
    let income = register_item(&app, "收入证明", "NORMATIVE_DOCUMENT").await;
    let passport = register_item(&app, "同意办理出入境证件的函", "LAW").await;
    // A withdrawn draft is not in force: never in the inventory.
    let withdrawn = draft(&app, "撤回的草案", false).await;
    step(
        &app,
        Role::Drafter,
        "withdrawDocument",
        &withdrawn,
        json!({"reason": "不再制定"}),
    )
    .await;

    let launched = app
        .ok(
            Role::LegalOffice,
            &format!("mutation($input: LaunchCleanupInput!) {{ launchCleanup(input: $input) {{ campaign {{ {CAMPAIGN} }} projected }} }}"),
            json!({"input": {"noticeNumber": "南司发〔2019〕31号", "title": "2019年度规范性文件清理",
                   "kind": "PERIODIC", "organiser": "南昌县司法局", "deadline": "2019-11-30",
                   "launchedOn": "2019-11-01",
                   "scope": {"cutOff": "2019-10-31", "documents": true, "certificationItems": true}}}),
        )
        .await;
    let c = &launched["launchCleanup"]["campaign"];
    let id = c["id"].as_str().unwrap().to_owned();
    let mut inventory: Vec<&str> = c["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    inventory.sort();
    let mut expected = vec![
        repeal.as_str(),
        invalid.as_str(),
        amend.as_str(),
        keep.as_str(),
        income.as_str(),
        passport.as_str(),
    ];
    expected.sort();
    assert_eq!(
        inventory, expected,
        "in force at the cut-off, and listed items"
    );
    assert_eq!(c["undecided"], 6);

    // Publishing is refused while any entry lacks a final decision, and writes nothing.
    let before = app.event_count().await;
    let publish = "mutation($id: ID!) { publishCleanupResult(id: $id, resultNumber: \"南府发〔2019〕40号\", publishedOn: \"2019-12-20\") { campaign { status appliedOn } projected } }";
    let r = campaign_mutation(&app, Role::GovernmentOffice, publish, json!({"id": id})).await;
    assert_eq!(
        error_code(&r),
        ("BUSINESS_RULE".into(), Some("DECISIONS_INCOMPLETE".into())),
        "{r:#}"
    );
    assert_eq!(app.event_count().await, before);

    // Drafters propose for their own body's documents; items are the legal office's.
    for (entry, decision, extra) in [
        (&repeal, "REPEAL", json!({})),
        (&invalid, "DECLARE_INVALID", json!({})),
        (&amend, "AMEND", json!({"revisionDeadline": "2020-03-31"})),
        (&keep, "CONTINUE", json!({})),
    ] {
        let r = app
            .gql(
                Role::Drafter,
                PROPOSE,
                propose((&id, entry, decision), extra),
            )
            .await;
        assert!(r.get("errors").is_none(), "{r:#}");
    }
    let r = app
        .gql(
            Role::Drafter,
            PROPOSE,
            propose(
                (&id, &income, "CANCEL"),
                json!({"replacementMethod": "告知承诺"}),
            ),
        )
        .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN", "items have no body: {r:#}");
    // The legal office reviews documents' decisions, so it may not propose one as well.
    let before = app.event_count().await;
    let r = app
        .gql(
            Role::LegalOffice,
            PROPOSE,
            propose((&id, &keep, "REPEAL"), json!({})),
        )
        .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN", "{r:#}");
    assert_eq!(
        app.event_count().await,
        before,
        "a refused proposal writes nothing"
    );
    let r = app
        .gql(
            Role::LegalOffice,
            PROPOSE,
            propose((&id, &income, "RETAIN"), json!({})),
        )
        .await;
    assert_eq!(
        error_code(&r).1.as_deref(),
        Some("BASIS_INSUFFICIENT"),
        "{r:#}"
    );
    app.ok(
        Role::LegalOffice,
        PROPOSE,
        propose(
            (&id, &income, "CANCEL"),
            json!({"replacementMethod": "收入情况声明"}),
        ),
    )
    .await;
    app.ok(
        Role::LegalOffice,
        PROPOSE,
        propose(
            (&id, &passport, "RETAIN"),
            json!({"commitmentAllowed": false, "commitmentReason": "法律明确规定"}),
        ),
    )
    .await;
    // Drafters never decide: the legal office reviews, once per entry.
    let review = |entry: &str| json!({"id": id, "input": {"entryId": entry, "accepted": true, "reviewedOn": "2019-11-20"}});
    let r = app.gql(Role::Drafter, REVIEW, review(&repeal)).await;
    assert_eq!(error_code(&r).0, "FORBIDDEN");
    for entry in [&repeal, &invalid, &amend, &keep, &income, &passport] {
        app.ok(Role::LegalOffice, REVIEW, review(entry)).await;
    }
    let r = app.gql(Role::LegalOffice, REVIEW, review(&keep)).await;
    assert_eq!(error_code(&r).1.as_deref(), Some("DECISION_ALREADY_FINAL"));

    // The result repeals, amends and declares invalid the government's documents: the legal
    // office alone cannot end them; the government approves the result at its own meeting.
    let before = app.event_count().await;
    let r = campaign_mutation(&app, Role::LegalOffice, publish, json!({"id": id})).await;
    assert_eq!(
        error_code(&r),
        (
            "BUSINESS_RULE".into(),
            Some("GOVERNMENT_APPROVAL_REQUIRED".into())
        ),
        "{r:#}"
    );
    const APPROVE: &str = "mutation($id: ID!, $t: MeetingType!) { approveCleanupResult(id: $id,
        input: {meetingType: $t, meeting: \"县政府第15次常务会议\", approvedOn: \"2019-12-15\"}) {
        campaign { approval { approvedOn meetingType meeting } } } }";
    let r = campaign_mutation(
        &app,
        Role::LegalOffice,
        APPROVE,
        json!({"id": id, "t": "EXECUTIVE_MEETING"}),
    )
    .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN", "{r:#}");
    let r = campaign_mutation(
        &app,
        Role::GovernmentOffice,
        APPROVE,
        json!({"id": id, "t": "DEPARTMENT_MEETING"}),
    )
    .await;
    assert_eq!(error_code(&r).1.as_deref(), Some("WRONG_MEETING"), "{r:#}");
    assert_eq!(app.event_count().await, before, "refusals write nothing");
    let r = app
        .ok(
            Role::GovernmentOffice,
            APPROVE,
            json!({"id": id, "t": "EXECUTIVE_MEETING"}),
        )
        .await;
    assert_eq!(
        r["approveCleanupResult"]["campaign"]["approval"]["meetingType"],
        "EXECUTIVE_MEETING"
    );

    // A result is published under a 文号 of its own: one a document holds is refused.
    let before = app.event_count().await;
    let r = campaign_mutation(
        &app,
        Role::GovernmentOffice,
        "mutation($id: ID!) { publishCleanupResult(id: $id, resultNumber: \"南政办发〔2019〕60号\", publishedOn: \"2019-12-20\") { campaign { status } } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(
        error_code(&r),
        ("BUSINESS_RULE".into(), Some("DOCUMENT_NUMBER_TAKEN".into())),
        "{r:#}"
    );
    assert_eq!(app.event_count().await, before);

    // Publishing applies every decision before it answers.
    let r = app
        .ok(Role::GovernmentOffice, publish, json!({"id": id}))
        .await;
    // Its 文号 is claimed like a document's.
    let holder: String = sqlx::query_scalar(
        "SELECT document_id FROM document_number_claims
         WHERE agency_code = '南府发' AND year = 2019 AND serial = 40",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(holder, id, "the campaign holds its result's 文号");
    assert_eq!(r["publishCleanupResult"]["campaign"]["status"], "APPLIED");
    assert_eq!(r["publishCleanupResult"]["projected"], true);
    let doc = |id: String| {
        let app = &app;
        async move {
            app.ok(
                Role::Auditor,
                "query($id: String!) { document(id: $id) { status ending { on decisionDocument }
                   cleanupDecisions { decision resultNumber revisionDeadline } } }",
                json!({"id": id}),
            )
            .await["document"]
                .clone()
        }
    };
    let d = doc(repeal.clone()).await;
    assert_eq!(d["status"], "REPEALED");
    assert_eq!(
        d["ending"]["on"], "2019-12-20",
        "out of force from publication"
    );
    assert_eq!(d["ending"]["decisionDocument"], "南府发〔2019〕40号");
    assert_eq!(doc(invalid.clone()).await["status"], "DECLARED_INVALID");
    let d = doc(amend.clone()).await;
    assert_eq!(d["status"], "ISSUED");
    assert_eq!(d["cleanupDecisions"][0]["decision"], "AMEND");
    assert_eq!(d["cleanupDecisions"][0]["revisionDeadline"], "2020-03-31");
    assert_eq!(doc(keep.clone()).await["status"], "ISSUED");
    let item = app
        .ok(
            Role::Auditor,
            "query($id: String!) { certificationItem(id: $id) { status replacementMethod campaigns } }",
            json!({"id": income}),
        )
        .await;
    assert_eq!(item["certificationItem"]["status"], "CANCELLED");
    assert_eq!(item["certificationItem"]["campaigns"][0], id.as_str());

    // The AMEND document is overdue for revision after its deadline, until superseded.
    let overdue = "query($t: NaiveDate!) { overdueRevisions(today: $t) { edges { node { id } } } }";
    let before_deadline = app
        .ok(Role::Auditor, overdue, json!({"t": "2020-03-31"}))
        .await;
    assert_eq!(before_deadline["overdueRevisions"]["edges"], json!([]));
    let after = app
        .ok(Role::Auditor, overdue, json!({"t": "2020-04-01"}))
        .await;
    assert_eq!(
        after["overdueRevisions"]["edges"],
        json!([{"node": {"id": amend}}])
    );
    app.ok(
        Role::GovernmentOffice,
        "mutation($id: ID!) { supersedeDocument(id: $id, supersededBy: \"南政办发〔2020〕5号\", on: \"2020-04-10\") { document { status supersededBy } } }",
        json!({"id": amend}),
    )
    .await;
    let after = app
        .ok(Role::Auditor, overdue, json!({"t": "2020-04-11"}))
        .await;
    assert_eq!(after["overdueRevisions"]["edges"], json!([]));

    // Report to the city and close.
    app.ok(
        Role::LegalOffice,
        "mutation($id: ID!) { reportCleanupToSuperior(id: $id, to: \"南昌市人民政府\", reportedOn: \"2019-12-25\") { campaign { id } } }",
        json!({"id": id}),
    )
    .await;
    let closed = app
        .ok(
            Role::LegalOffice,
            "mutation($id: ID!) { closeCleanup(id: $id, closedOn: \"2019-12-31\") { campaign { status reports { to } } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(closed["closeCleanup"]["campaign"]["status"], "CLOSED");
    // Every effect was written once, by the SYSTEM actor, caused by the publication.
    let effects: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT event_type, metadata ->> 'role', metadata ->> 'causation_id' FROM events
         WHERE event_type IN ('CleanupDecided', 'Repealed', 'DeclaredInvalid',
                              'CertificationItemCancelled', 'CertificationItemRetained')
         ORDER BY position",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(effects.len(), 4 + 2 + 2, "{effects:?}");
    assert!(
        effects
            .iter()
            .all(|(_, role, cause)| role == "SYSTEM" && cause == &format!("{id}:ResultPublished"))
    );
}

fn system_free(role: Role) -> RequestContext {
    RequestContext::new(
        Actor {
            id: format!("test-{role}"),
            name: "test".into(),
            role,
            bodies: vec!["NCX-GOV-OFFICE".into()],
        },
        None,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_process_manager_cut_off_halfway_and_run_again_gives_each_document_one_effect() {
    let url = fresh_database().await;
    let http = TestApp::spawn_on(&url).await;
    list_bodies(&http).await;
    let mut docs = vec![];
    for n in 0..6 {
        docs.push(
            issued(
                &http,
                &format!("清理对象{n}"),
                &format!("南政办发〔2019〕{}号", 70 + n),
            )
            .await,
        );
    }
    // Drive the campaign through the library so publication and application can be split.
    let app = App::start(http.pool.clone(), quiet_settings())
        .await
        .unwrap();
    let ledger = app.ledger.clone();
    let campaign = uuid::Uuid::now_v7();
    let legal = system_free(Role::LegalOffice);
    let drafter = system_free(Role::Drafter);
    let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let run = |ctx: &RequestContext, command| {
        let ledger = ledger.clone();
        let ctx = ctx.clone();
        async move {
            ledger
                .execute(
                    &ctx,
                    Command::CleanupCampaign {
                        id: campaign,
                        command,
                    },
                )
                .await
                .unwrap()
        }
    };
    run(
        &legal,
        CleanupCampaignCommand::Launch {
            id: campaign.to_string(),
            launch: Launch {
                notice_number: "南司发〔2019〕31号".into(),
                title: "清理".into(),
                kind: CampaignKind::Special,
                organiser: "南昌县司法局".into(),
                scope: CleanupScope {
                    citing: None,
                    body_codes: vec!["NCX-GOV-OFFICE".into()],
                    cut_off: d("2019-10-31"),
                    classes: vec![],
                    documents: true,
                    certification_items: false,
                },
                deadline: d("2019-11-30"),
                launched_on: d("2019-11-01"),
            },
        },
    )
    .await;
    for (i, doc) in docs.iter().enumerate() {
        let decision = if i % 2 == 0 {
            Decision::Repeal
        } else {
            Decision::Continue
        };
        run(
            &drafter,
            CleanupCampaignCommand::ProposeDecision(Proposal {
                entry_id: doc.clone(),
                decision,
                grounds: "上位法已修改".into(),
                proposed_on: d("2019-11-05"),
                revision_deadline: None,
                replacement_method: None,
                commitment_allowed: None,
                commitment_reason: None,
            }),
        )
        .await;
        run(
            &legal,
            CleanupCampaignCommand::ReviewDecision(DecisionReview {
                entry_id: doc.clone(),
                accepted: true,
                comments: None,
                reviewed_on: d("2019-11-10"),
            }),
        )
        .await;
    }
    run(&system_free(Role::GovernmentOffice), approval()).await;
    run(
        &legal,
        CleanupCampaignCommand::PublishResult(Publication {
            result_number: DocumentNumber::parse("南府发〔2019〕40号").unwrap(),
            published_on: d("2019-12-20"),
        }),
    )
    .await;

    // Cut off after two entries (a crash), then two runs at once (two servers), then again.
    let first = process::apply_cleanup(&ledger, campaign, Some(2))
        .await
        .unwrap();
    assert_eq!((first.entries_sent, first.complete), (2, false));
    let (a, b) = tokio::join!(
        process::apply_cleanup(&ledger, campaign, None),
        process::apply_cleanup(&ledger, campaign, None)
    );
    assert!(a.unwrap().complete && b.unwrap().complete);
    assert!(
        process::apply_cleanup(&ledger, campaign, None)
            .await
            .unwrap()
            .complete
    );

    for (i, doc) in docs.iter().enumerate() {
        let types: Vec<String> = sqlx::query_scalar(
            "SELECT event_type FROM events WHERE aggregate_id = $1
               AND event_type IN ('CleanupDecided', 'Repealed') ORDER BY sequence",
        )
        .bind(doc)
        .fetch_all(&http.pool)
        .await
        .unwrap();
        let expected: &[&str] = if i % 2 == 0 {
            &["CleanupDecided", "Repealed"]
        } else {
            &["CleanupDecided"]
        };
        assert_eq!(types, expected, "document {i}");
    }
    let applied: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_id = $1 AND event_type = 'DecisionsApplied'",
    )
    .bind(campaign.to_string())
    .fetch_one(&http.pool)
    .await
    .unwrap();
    assert_eq!(applied, 1, "the campaign records completion once");
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_result_left_unapplied_is_finished_by_the_servers_scheduler() {
    let url = fresh_database().await;
    let http = TestApp::spawn_on(&url).await;
    list_bodies(&http).await;
    let doc = issued(&http, "待废止", "南政办发〔2019〕80号").await;
    let app = App::start(http.pool.clone(), quiet_settings())
        .await
        .unwrap();
    let ledger = app.ledger.clone();
    let campaign = uuid::Uuid::now_v7();
    let legal = system_free(Role::LegalOffice);
    let drafter = system_free(Role::Drafter);
    let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    for command in [
        CleanupCampaignCommand::Launch {
            id: campaign.to_string(),
            launch: Launch {
                notice_number: "通知".into(),
                title: "清理".into(),
                kind: CampaignKind::Full,
                organiser: "南昌县司法局".into(),
                scope: CleanupScope {
                    citing: None,
                    body_codes: vec![],
                    cut_off: d("2019-10-31"),
                    classes: vec![],
                    documents: true,
                    certification_items: false,
                },
                deadline: d("2019-11-30"),
                launched_on: d("2019-11-01"),
            },
        },
        CleanupCampaignCommand::ProposeDecision(Proposal {
            entry_id: doc.clone(),
            decision: Decision::Repeal,
            grounds: "对象已消失".into(),
            proposed_on: d("2019-11-05"),
            revision_deadline: None,
            replacement_method: None,
            commitment_allowed: None,
            commitment_reason: None,
        }),
        CleanupCampaignCommand::ReviewDecision(DecisionReview {
            entry_id: doc.clone(),
            accepted: true,
            comments: None,
            reviewed_on: d("2019-11-10"),
        }),
        approval(),
        CleanupCampaignCommand::PublishResult(Publication {
            result_number: DocumentNumber::parse("南府发〔2019〕41号").unwrap(),
            published_on: d("2019-12-20"),
        }),
    ] {
        // The drafting body proposes (谁制定、谁清理); the government approves the result;
        // the legal office does the rest.
        let office = system_free(Role::GovernmentOffice);
        let actor = match command {
            CleanupCampaignCommand::ProposeDecision(_) => &drafter,
            CleanupCampaignCommand::ApproveResult(_) => &office,
            _ => &legal,
        };
        ledger
            .execute(
                actor,
                Command::CleanupCampaign {
                    id: campaign,
                    command,
                },
            )
            .await
            .unwrap();
    }
    app.stop().await.unwrap();
    // A server with its scheduler on (a fixed clock keeps the 2019 documents in force).
    let mut settings = quiet_settings();
    settings.scheduler_every = Some(std::time::Duration::from_millis(100));
    settings.clock = process::Clock::Fixed(d("2019-12-31"));
    let server = TestApp::spawn_with(&url, settings).await;
    let query = "query($id: String!) { document(id: $id) { status } }";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let r = server.ok(Role::Auditor, query, json!({"id": doc})).await;
        if r["document"]["status"] == "REPEALED" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not applied: {r:#}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Launches and decides a campaign over GraphQL (every entry accepted); returns its id.
async fn decided_campaign(
    app: &TestApp,
    notice: &str,
    scope: Value,
    decisions: &[(Role, &str, Value)],
) -> String {
    let launched = app
        .ok(
            Role::LegalOffice,
            "mutation($input: LaunchCleanupInput!) { launchCleanup(input: $input) { campaign { id } } }",
            json!({"input": {"noticeNumber": notice, "title": "清理", "kind": "SPECIAL",
                   "organiser": "南昌县司法局", "deadline": "2019-11-30", "launchedOn": "2019-11-01",
                   "scope": scope}}),
        )
        .await;
    let id = launched["launchCleanup"]["campaign"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (role, entry, decision) in decisions {
        let mut input =
            json!({"entryId": entry, "grounds": "依据已变化", "proposedOn": "2019-11-10"});
        input
            .as_object_mut()
            .unwrap()
            .extend(decision.as_object().unwrap().clone());
        app.ok(*role, PROPOSE, json!({"id": id, "input": input}))
            .await;
        app.ok(
            Role::LegalOffice,
            REVIEW,
            json!({"id": id, "input": {"entryId": entry, "accepted": true, "reviewedOn": "2019-11-20"}}),
        )
        .await;
    }
    // The government approves a result that touches its documents (harmless otherwise).
    app.ok(
        Role::GovernmentOffice,
        "mutation($id: ID!) { approveCleanupResult(id: $id, input: {meetingType: EXECUTIVE_MEETING,
           meeting: \"县政府常务会议\", approvedOn: \"2019-12-15\"}) { campaign { id } } }",
        json!({"id": id}),
    )
    .await;
    id
}

/// The government's approval of a result, as its office records it.
fn approval() -> CleanupCampaignCommand {
    CleanupCampaignCommand::ApproveResult(ResultApproval {
        approved_on: "2019-12-15".parse().unwrap(),
        meeting_type: MeetingType::ExecutiveMeeting,
        meeting: "县政府常务会议".into(),
    })
}

/// Proves that one entry refused by its item is recorded on the campaign (and the others
/// applied), and that a campaign that cannot be applied now does not hold back the next one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_entry_is_recorded_and_a_stuck_campaign_does_not_block_the_next() {
    let url = fresh_database().await;
    let http = TestApp::spawn_on(&url).await;
    list_bodies(&http).await;
    let doc = issued(&http, "卡住的文件", "南政办发〔2019〕90号").await;
    let income = register_item(&http, "收入证明", "LAW").await;
    let residence = register_item(&http, "居住证明", "LAW").await;
    let stuck = decided_campaign(
        &http,
        "通知一",
        json!({"cutOff": "2019-10-31", "documents": true, "certificationItems": false}),
        &[(Role::Drafter, &doc, json!({"decision": "REPEAL"}))],
    )
    .await;
    let items = decided_campaign(
        &http,
        "通知二",
        json!({"cutOff": "2030-01-01", "documents": false, "certificationItems": true}),
        &[
            (
                Role::LegalOffice,
                &income,
                json!({"decision": "CANCEL", "replacementMethod": "告知承诺"}),
            ),
            (
                Role::LegalOffice,
                &residence,
                json!({"decision": "RETAIN", "commitmentAllowed": true}),
            ),
        ],
    )
    .await;
    // Outside the campaign, the second item is cancelled before the result is applied.
    http.ok(
        Role::LegalOffice,
        "mutation($id: ID!) { cancelCertificationItem(id: $id, replacementMethod: \"告知承诺\") { position } }",
        json!({"id": residence}),
    )
    .await;
    // Publications wait for the read model (the scheduler lists campaigns from it); after the
    // poison below, nothing more is projected and each command answers after this wait.
    let mut settings = quiet_settings();
    settings.write.read_your_writes_timeout = std::time::Duration::from_millis(1000);
    let app = App::start(http.pool.clone(), settings).await.unwrap();
    let legal = system_free(Role::LegalOffice);
    for (campaign, number) in [
        (&stuck, "南府发〔2019〕41号"),
        (&items, "南府发〔2019〕42号"),
    ] {
        app.ledger
            .execute(
                &legal,
                Command::CleanupCampaign {
                    id: campaign.parse().unwrap(),
                    command: CleanupCampaignCommand::PublishResult(Publication {
                        result_number: DocumentNumber::parse(number).unwrap(),
                        published_on: "2019-12-20".parse().unwrap(),
                    }),
                },
            )
            .await
            .unwrap()
            .projected
            .then_some(())
            .expect("the publication is projected");
    }
    // Published (and projected) but not applied yet: the scheduler's work list.
    // The first campaign's document cannot be loaded (an undecodable event, as a bug would
    // leave): its application fails with an internal error, not a refusal.
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata)
         SELECT aggregate_type, aggregate_id, max(sequence) + 1, 'Bogus', '1', '{\"Bogus\": {}}',
                '{}'
         FROM events WHERE aggregate_id = $1 GROUP BY aggregate_type, aggregate_id",
    )
    .bind(&doc)
    .execute(&http.pool)
    .await
    .unwrap();
    let d = "2019-12-31".parse().unwrap();
    let run = process::run_once(&app.ledger, process::Clock::Fixed(d)).await;
    assert!(
        run.is_err(),
        "the stuck campaign's error is reported: {run:?}"
    );
    let fold = |id: String| {
        let pool = http.pool.clone();
        async move {
            normledger::store::event_log::fold::<normledger::domain::CleanupCampaign>(
                &pool, &id, None,
            )
            .await
            .unwrap()
            .unwrap()
            .0
        }
    };
    let stuck_state = fold(stuck.clone()).await;
    assert_eq!(stuck_state.status.as_str(), "PUBLISHED", "retried next run");
    let items_state = fold(items.clone()).await;
    assert_eq!(
        items_state.status.as_str(),
        "APPLIED",
        "the next campaign ran"
    );
    assert_eq!(items_state.failed(), 1);
    let failure = items_state
        .entry(&residence)
        .unwrap()
        .failure
        .clone()
        .expect("the refusal is on record");
    assert_eq!(failure.rule, "INVALID_TRANSITION");
    assert!(items_state.entry(&income).unwrap().failure.is_none());
    // A second run records nothing new for the refused entry.
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM events WHERE aggregate_id = $1")
            .bind(&items)
            .fetch_one(&http.pool)
            .await
            .unwrap()
    };
    let before = count().await;
    let _ = process::run_once(&app.ledger, process::Clock::Fixed(d)).await;
    assert_eq!(count().await, before);
    app.stop().await.ok();
}
