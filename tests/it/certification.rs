//! Certification items (证明事项) through GraphQL: registered with their basis, retained only
//! on a law, regulation or State Council decision, cancelled with a replacement, written
//! commitments refused for high-risk items; every refusal coded and nothing written.

use normledger::domain::Role;
use serde_json::{Value, json};

use crate::support::*;

const REGISTER: &str = "mutation($input: RegisterCertificationItemInput!) {
  registerCertificationItem(input: $input) { certificationItem { id status name basisLevel } position projected } }";

const ITEM: &str = "query($id: String!) { certificationItem(id: $id) {
  status name matter basisLevel basisCitation requestingUnit issuingUnit riskArea
  commitmentAllowed commitmentRefusalReason commitmentEnabled replacementMethod decidedOn } }";

async fn register(app: &TestApp, input: Value) -> String {
    let r = app
        .ok(Role::LegalOffice, REGISTER, json!({"input": input}))
        .await;
    assert_eq!(r["registerCertificationItem"]["projected"], true);
    r["registerCertificationItem"]["certificationItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn fireworks() -> Value {
    // 赤壁市 2023 retained list (other-places.json).
    json!({"name": "能够证明符合《烟花爆竹安全管理条例》第十八条规定条件的有关材料",
           "matter": "烟花爆竹经营(零售)许可", "basisLevel": "REGULATION",
           "basisCitation": "《烟花爆竹安全管理条例》第十九条", "requestingUnit": "应急管理部门",
           "issuingUnit": "经营者", "riskArea": "SAFETY", "registeredOn": "2019-07-20"})
}

fn income() -> Value {
    // 安徽省民政厅: set by a normative document, cancelled and replaced by a declaration.
    json!({"name": "收入证明", "matter": "社会救助", "basisLevel": "NORMATIVE_DOCUMENT",
           "basisCitation": "皖民社救字〔2016〕185号 第二十条", "requestingUnit": "民政部门",
           "issuingUnit": "工作单位", "registeredOn": "2019-07-20"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_are_retained_or_cancelled_by_the_rules() {
    let app = TestApp::spawn().await;
    let fire = register(&app, fireworks()).await;
    let inc = register(&app, income()).await;
    let before = app.event_count().await;

    let m = |q: &str| q.to_owned();
    let refusals: Vec<(&str, String, Value)> = vec![
        (
            "BASIS_INSUFFICIENT",
            m(
                "mutation($id: ID!) { retainCertificationItem(id: $id, commitmentAllowed: true) { position } }",
            ),
            json!({"id": inc}),
        ),
        (
            "REPLACEMENT_REQUIRED",
            m(
                "mutation($id: ID!) { cancelCertificationItem(id: $id, replacementMethod: \" \") { position } }",
            ),
            json!({"id": inc}),
        ),
        (
            "COMMITMENT_EXCLUDED",
            m(
                "mutation($id: ID!) { retainCertificationItem(id: $id, commitmentAllowed: true) { position } }",
            ),
            json!({"id": fire}),
        ),
        (
            "INVALID_TRANSITION",
            m("mutation($id: ID!) { enableCommitment(id: $id) { position } }"),
            json!({"id": inc}),
        ),
    ];
    for (rule, query, vars) in refusals {
        let r = app.gql(Role::LegalOffice, &query, vars).await;
        assert_eq!(
            error_code(&r),
            ("BUSINESS_RULE".into(), Some(rule.into())),
            "{r:#}"
        );
    }
    let r = app.gql(Role::LegalOffice, "mutation($id: ID!) { retainCertificationItem(id: $id, commitmentAllowed: false) { position } }", json!({"id": fire})).await;
    assert_eq!(
        error_code(&r).0,
        "BAD_USER_INPUT",
        "a refused commitment needs its reason"
    );
    let r = app
        .gql(Role::Drafter, REGISTER, json!({"input": income()}))
        .await;
    assert_eq!(error_code(&r).0, "FORBIDDEN");
    assert_eq!(app.event_count().await, before, "refusals wrote nothing");

    app.ok(Role::LegalOffice, "mutation($id: ID!) { retainCertificationItem(id: $id, commitmentAllowed: false, reason: \"不能保证符合安全生产条件\") { position } }", json!({"id": fire})).await;
    app.ok(Role::LegalOffice, "mutation($id: ID!) { cancelCertificationItem(id: $id, replacementMethod: \"收入情况声明\") { position } }", json!({"id": inc})).await;
    let f = app.ok(Role::Auditor, ITEM, json!({"id": fire})).await["certificationItem"].clone();
    assert_eq!(f["status"], "RETAINED");
    assert_eq!(f["commitmentAllowed"], false);
    assert_eq!(f["commitmentRefusalReason"], "不能保证符合安全生产条件");
    let i = app.ok(Role::Auditor, ITEM, json!({"id": inc})).await["certificationItem"].clone();
    assert_eq!(i["status"], "CANCELLED");
    assert_eq!(i["replacementMethod"], "收入情况声明");
    // A cancelled item is not demanded again unless registered anew.
    let r = app.gql(Role::LegalOffice, "mutation($id: ID!) { retainCertificationItem(id: $id, commitmentAllowed: true) { position } }", json!({"id": inc})).await;
    assert_eq!(error_code(&r).1.as_deref(), Some("INVALID_TRANSITION"));

    let list = |filter: Value| {
        let app = &app;
        async move {
            app.ok(Role::Auditor, "query($f: CertificationItemsFilter) { certificationItems(filter: $f) { edges { node { name } } } }", json!({"f": filter}))
                .await["certificationItems"]["edges"].as_array().unwrap().len()
        }
    };
    assert_eq!(list(json!({})).await, 2);
    assert_eq!(list(json!({"status": "CANCELLED"})).await, 1);
    assert_eq!(list(json!({"basisLevel": "REGULATION"})).await, 1);
    assert_eq!(list(json!({"nameContains": "收入"})).await, 1);
    let then = app
        .ok(Role::Auditor, "query($id: String!) { certificationItem(id: $id, asOf: \"2000-01-01T00:00:00Z\") { status } }", json!({"id": inc}))
        .await;
    assert_eq!(then["certificationItem"], Value::Null);
    let trail = app
        .ok(Role::Auditor, "query($id: String!) { auditTrail(filter: {aggregateId: $id}) { edges { node { summary } } } }", json!({"id": inc}))
        .await;
    assert_eq!(
        trail["auditTrail"]["edges"][1]["node"]["summary"],
        "Cancelled (取消), replaced by 收入情况声明"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_written_commitment_is_enabled_and_disabled_on_a_retained_item() {
    let app = TestApp::spawn().await;
    let mut passport = json!({"name": "单位出具的同意办理出入境证件的函", "matter": "出入境证件办理",
        "basisLevel": "LAW", "basisCitation": "《护照法》第六条", "requestingUnit": "公安出入境",
        "issuingUnit": "组织人事部门"});
    passport["registeredOn"] = json!("2019-07-20");
    let id = register(&app, passport).await;
    app.ok(Role::LegalOffice, "mutation($id: ID!) { retainCertificationItem(id: $id, commitmentAllowed: true) { position } }", json!({"id": id})).await;
    let r = app.ok(Role::LegalOffice, "mutation($id: ID!) { enableCommitment(id: $id, templateRef: \"承诺书\") { certificationItem { commitmentEnabled } } }", json!({"id": id})).await;
    assert_eq!(
        r["enableCommitment"]["certificationItem"]["commitmentEnabled"],
        true
    );
    let r = app.ok(Role::LegalOffice, "mutation($id: ID!) { disableCommitment(id: $id, reason: \"出现虚假承诺\") { certificationItem { commitmentEnabled } } }", json!({"id": id})).await;
    assert_eq!(
        r["disableCommitment"]["certificationItem"]["commitmentEnabled"],
        false
    );
    normledger::projection::replay(&app.pool, |_| {})
        .await
        .unwrap();
    let after = app.ok(Role::Auditor, ITEM, json!({"id": id})).await;
    assert_eq!(after["certificationItem"]["status"], "RETAINED");
    assert!(
        normledger::store::integrity::verify(
            &app.pool,
            None,
            None,
            None,
            normledger::store::integrity::Trust::StoredKeys
        )
        .await
        .unwrap()
        .is_intact()
    );
}
