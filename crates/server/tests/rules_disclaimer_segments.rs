//! Disclaimer mode (DESIGN rule 15) and SMS segment limits (rule 17) end to
//! end through the real binary: an admin saves the flow, an agent messages,
//! the simulated phone receives, the audit proves it.

mod common;
use common::*;
use serde_json::{json, Value};

/// The SMS flow path of Ana's line of business, and its current flow.
async fn ana_sms_flow(admin: &Client) -> (String, Value) {
    let nums = admin.get("/api/v1/admin/numbers").await;
    let lob = nums.body["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["phone"] == ANA_NUMBER)
        .unwrap()["line_of_business_id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/admin/flows/{lob}/sms");
    let flow = admin.get(&path).await.body["flow"].clone();
    (path, flow)
}

#[tokio::test]
async fn rule_15_disclaimer_first_message_carries_the_notice_then_stop_opts_out() {
    let s = Server::start(&["--demo"]);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let (path, mut flow) = ana_sms_flow(&admin).await;
    assert_eq!(flow["mode"], "consent", "off by default");
    flow["mode"] = json!("disclaimer");
    flow["disclaimer_notice"] =
        json!("{company} texts you about appointments here. Reply STOP to opt out.");
    let r = admin.req("PUT", &path, Some(json!({ "flow": flow }))).await;
    assert_eq!(r.status, 200, "{}", r.text);

    let contact = "+12025550191";
    let conv = ana.start_conv(contact, "sms").await;
    // No opt-in request is needed, nor possible.
    let r = ana.request_opt_in(conv).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "request_not_needed");

    let r = ana.send(conv, "Your crown is ready.").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["conversation"]["consent"]["state"], "notified");
    let got = ana.phone_received(contact).await;
    let notice = "Acme Home Services texts you about appointments here. Reply STOP to opt out.";
    assert_eq!(
        got,
        vec![notice.to_string(), "Your crown is ready.".to_string()]
    );
    assert_eq!(ana.consent_state(conv).await, "notified");

    // The second message goes out alone.
    assert_eq!(ana.send(conv, "See you soon.").await.status, 200);
    assert_eq!(ana.phone_received(contact).await.len(), 3);

    // HELP answers and changes nothing.
    ana.inbound(contact, ANA_NUMBER, "sms", "HELP").await;
    assert_eq!(ana.consent_state(conv).await, "notified");

    // STOP opts out with the usual confirmation; messaging is refused.
    ana.inbound(contact, ANA_NUMBER, "sms", "STOP").await;
    assert_eq!(ana.consent_state(conv).await, "opted_out");
    let got = ana.phone_received(contact).await;
    assert!(got.last().unwrap().contains("unsubscribed"), "{got:?}");
    let r = ana.send(conv, "Sure?").await;
    assert_eq!(r.body["error"]["code"], "opted_out");

    // The audit holds the exact notice, as evidence and as the text the
    // contact saw before the opt-out.
    let a = admin
        .get("/api/v1/admin/audit?contact=%2B12025550191")
        .await;
    let items = a.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0]["from_state"], "not_requested");
    assert_eq!(items[0]["to_state"], "notified");
    assert_eq!(items[0]["action"], "notified:disclaimer");
    assert_eq!(items[0]["evidence"], notice);
    assert_eq!(items[0]["request_text"], notice);
    assert_eq!(items[1]["from_state"], "notified");
    assert_eq!(items[1]["to_state"], "opted_out");
    assert_eq!(items[1]["request_text"], notice);
    let csv = admin
        .get("/api/v1/admin/audit.csv?contact=%2B12025550191")
        .await;
    assert!(csv.text.contains("notified:disclaimer"), "{}", csv.text);

    // The inbox filters by the new state.
    let r = ana.get("/api/v1/conversations?state=notified").await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn rule_15_a_notice_without_an_opt_out_is_refused_naming_the_field() {
    let s = Server::start(&["--demo"]);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let (path, mut flow) = ana_sms_flow(&admin).await;
    flow["mode"] = json!("disclaimer");
    flow["disclaimer_notice"] = json!("{company} will text you here.");
    let r = admin.req("PUT", &path, Some(json!({ "flow": flow }))).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "flow.disclaimer_notice");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("The notice must say how to opt out"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn rule_17_sms_texts_are_limited_in_segments() {
    let s = Server::start(&["--demo"]);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let (path, mut flow) = ana_sms_flow(&admin).await;
    // {company} counts as 30 characters; the emoji makes the text UCS-2
    // (67 units a segment): 30 + 4 + 110 = 144 units = 3 segments.
    flow["messages"]["help"] = json!(format!("{{company}} 😀 {}", "a".repeat(110)));
    let r = admin
        .req("PUT", &path, Some(json!({ "flow": flow.clone() })))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "flow.messages.help");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("3 SMS segments (Unicode)"),
        "{}",
        r.text
    );
    // …allowed once the flow allows 3 segments.
    flow["max_sms_segments"] = json!(3);
    let r = admin.req("PUT", &path, Some(json!({ "flow": flow }))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["flow"]["max_sms_segments"], 3);
}
