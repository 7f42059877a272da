//! The console in a real browser (headless chromium): one document's whole lifecycle done
//! only through the pages by four roles, the public catalogue showing it, an auditor's asOf
//! view, sign-in and sign-out, a forged form refused, a hostile title rendered inert. A
//! screenshot of each main page is saved under `target/console-shots/` on every run.

use normledger::domain::Role;

use crate::browser::Browser;
use crate::support::*;

async fn sign_in(b: &Browser, app: &TestApp, name: &str) {
    b.open(&app.url("/console/sign-in")).await;
    b.fill("#name", name).await;
    b.fill("#password", PASSWORD).await;
    b.click("form.card button[type=submit]").await;
    let url = b.wait_url(|u| u.ends_with("/console/work")).await;
    assert!(url.ends_with("/console/work"), "{name} signed in: {url}");
}

async fn sign_out(b: &Browser) {
    b.click("nav form.inline button").await;
    let url = b.wait_url(|u| u.contains("/console/sign-in")).await;
    assert!(url.contains("/console/sign-in"), "signed out: {url}");
}

/// Submits the form whose action ends with `/act/{action}` and checks it was recorded.
async fn act(b: &Browser, action: &str) {
    b.click(&format!(
        "form[action$='/act/{action}'] button[type=submit]"
    ))
    .await;
    // Recorded: back on the page with `done=`; refused: the answer at the form's address.
    let done = format!("done={action}");
    let refused = format!("/act/{action}");
    b.wait_url(|u| u.contains(&done) || u.contains(&refused))
        .await;
    let source = b.source().await;
    assert!(
        !source.contains("class=\"error\""),
        "{action} was refused: {source}"
    );
}

#[tokio::test]
async fn four_roles_take_a_document_through_its_lifecycle_in_a_real_browser() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    account(&app, "drafter", Role::Drafter, &["NCX-GOV-OFFICE"]).await;
    account(&app, "legal", Role::LegalOffice, &["NCX-JUSTICE"]).await;
    account(&app, "advisor", Role::Advisor, &[]).await;
    account(&app, "office", Role::GovernmentOffice, &[]).await;
    account(&app, "auditor", Role::Auditor, &[]).await;
    let b = Browser::start().await;

    // Not signed in: the console sends the person to sign in.
    b.open(&app.url("/console/work")).await;
    assert!(b.url().await.contains("/console/sign-in?next="));
    b.screenshot("01-sign-in").await;

    // The drafter drafts from a pasted text and submits it.
    sign_in(&b, &app, "drafter").await;
    b.open(&app.url("/console/documents/new")).await;
    b.fill("#title", "南昌县农村宅基地管理办法").await;
    b.fill(
        "#text",
        "第一条 为加强农村宅基地管理，制定本办法。\n第二条 村民申请宅基地，应当提交户口簿复印件。\n第三条 本办法自印发之日起施行。",
    )
    .await;
    b.click("form.card button[type=submit]").await;
    let document = b.wait_url(|u| u.contains("?done=")).await;
    assert!(
        document.ends_with("?done=draft"),
        "drafted: {}",
        b.source().await
    );
    let document = document.trim_end_matches("?done=draft").to_owned();
    act(&b, "submit").await;
    sign_out(&b).await;

    // The legal office finds it in its queue and starts the review.
    sign_in(&b, &app, "legal").await;
    assert!(b.text("#work").await.contains("南昌县农村宅基地管理办法"));
    b.screenshot("02-my-work-legal-office").await;
    b.open(&document).await;
    act(&b, "start-review").await;
    sign_out(&b).await;

    // The advisor gives an opinion on article 2, beside it.
    sign_in(&b, &app, "advisor").await;
    b.open(&format!("{document}/review")).await;
    b.fill(
        "#opinion-art-2",
        "要求提交户口簿复印件缺乏法律依据，建议删除。",
    )
    .await;
    b.click("#art-2 form button[type=submit]").await;
    assert!(b.text("#art-2 .opinion").await.contains("缺乏法律依据"));
    sign_out(&b).await;

    // The legal office concludes: revise, with an issue anchored to article 2.
    sign_in(&b, &app, "legal").await;
    b.open(&format!("{document}/review")).await;
    b.click("#outcome option[value=MUST_REVISE]").await;
    b.fill("#opinion", "第二条须修改。").await;
    b.click("#issue_clause_1 option[value=art-2]").await;
    b.fill("#issue_text_1", "删除户口簿复印件的要求。").await;
    act(&b, "conclude").await;
    sign_out(&b).await;

    // The drafter answers the issue with a revised text.
    sign_in(&b, &app, "drafter").await;
    b.open(&document).await;
    b.fill(
        "#text",
        "第一条 为加强农村宅基地管理，制定本办法。\n第二条 村民申请宅基地，应当提交申请书。\n第三条 本办法自印发之日起施行。",
    )
    .await;
    act(&b, "revise").await;
    sign_out(&b).await;

    // The legal office reads the diff and the opinion beside its clause, and concludes.
    sign_in(&b, &app, "legal").await;
    b.open(&format!("{document}/review")).await;
    assert!(b.text("section.diff").await.contains("申请书"));
    b.screenshot("03-review-page").await;
    b.click("#outcome option[value=LAWFUL]").await;
    b.fill("#opinion", "合法。").await;
    act(&b, "conclude").await;
    sign_out(&b).await;

    // The government office deliberates and issues it.
    sign_in(&b, &app, "office").await;
    b.open(&document).await;
    b.fill("#meeting", "县政府第 12 次常务会议").await;
    act(&b, "deliberate").await;
    b.fill("#number", "南政办发〔2026〕7号").await;
    b.fill("#signer", "县长").await;
    b.set_value("#effectiveOn", "2026-12-31").await;
    act(&b, "issue").await;
    b.screenshot("04-document-issued").await;
    sign_out(&b).await;

    // The drafter files it for record.
    sign_in(&b, &app, "drafter").await;
    b.open(&document).await;
    act(&b, "file").await;
    sign_out(&b).await;

    // The public finds it by its number, without signing in.
    b.open(&app.url("/console/catalogue")).await;
    b.fill("#number", "南政办发〔2026〕7号").await;
    b.click("form[role=search] button").await;
    b.wait_url(|u| u.contains("/console/catalogue/")).await;
    assert!(
        b.source().await.contains("应当提交申请书"),
        "the issued text"
    );
    b.screenshot("05-public-document").await;
    b.open(&app.url("/console/catalogue")).await;
    b.screenshot("06-public-catalogue").await;

    // The auditor sees every step with its actor, and the state as recorded at an instant
    // before the issue.
    sign_in(&b, &app, "auditor").await;
    b.open(&format!("{document}/timeline")).await;
    let timeline = b.text("table.timeline").await;
    for who in ["drafter 同志", "legal 同志", "advisor 同志", "office 同志"] {
        assert!(timeline.contains(who), "{who} on the timeline");
    }
    b.screenshot("07-auditor-timeline").await;
    b.open(&app.url("/console/report")).await;
    b.screenshot("09-annual-report").await;
    b.click("a[href*='key=output.issued']").await;
    b.wait_url(|u| u.contains("/console/report/figure")).await;
    assert!(
        b.text("table.timeline")
            .await
            .contains("南政办发〔2026〕7号")
            || b.source().await.contains("Issued")
    );
    b.screenshot("10-report-drill-down").await;
    b.open(&app.url("/console/integrity?run=1")).await;
    assert!(b.exists("[data-intact=true]").await, "{}", b.source().await);
    b.screenshot("11-integrity").await;
    b.open(&format!("{document}/timeline")).await;
    b.set_value("#asOf", "2000-01-01T00:00").await;
    b.click("form.filters button").await;
    b.wait_url(|u| u.contains("asOf=")).await;
    let then = b.source().await;
    assert!(
        then.contains("NOT_FOUND") || then.contains("没有这份文件"),
        "nothing was recorded of it in 2000: {then}"
    );

    // A form whose anti-forgery token was tampered with is refused, and nothing is written.
    b.open(&app.url("/console/documents")).await;
    let before = app.event_count().await;
    b.set_value("nav form.inline input[name=csrf]", "forged")
        .await;
    b.click("nav form.inline button").await;
    b.wait_url(|u| u.ends_with("/console/sign-out")).await;
    assert!(b.source().await.contains("CSRF_REFUSED"));
    assert_eq!(app.event_count().await, before);
    b.quit().await;
}

#[tokio::test]
async fn a_hostile_title_is_inert_in_a_real_browser() {
    let app = TestApp::spawn().await;
    list_bodies(&app).await;
    account(&app, "legal", Role::LegalOffice, &["NCX-JUSTICE"]).await;
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let id = draft_with_text(&app, hostile, "第一条 <svg onload=alert(3)>条文。").await;
    let b = Browser::start().await;
    sign_in(&b, &app, "legal").await;
    for path in [
        "/console/documents".to_owned(),
        format!("/console/documents/{id}"),
        format!("/console/documents/{id}/review"),
    ] {
        b.open(&app.url(&path)).await;
        assert!(!b.alert_open().await, "no script ran on {path}");
        assert!(
            !b.exists("main img").await && !b.exists("main svg").await,
            "{path}"
        );
    }
    b.open(&app.url(&format!("/console/documents/{id}"))).await;
    assert_eq!(b.text("h1").await, hostile, "shown as the text it is");
    b.screenshot("08-hostile-title").await;
    b.quit().await;
}
