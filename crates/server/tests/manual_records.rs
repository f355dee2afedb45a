//! Rule 13 through the real binary: an agent records an opt-out the
//! contact gave another way (note required; the flow's confirmation goes
//! out), agents may not record opt-ins (403), an admin records one with its
//! evidence, and every record is audited as manual with actor and evidence.

mod common;
use common::*;
use serde_json::{json, Value};

async fn audit_of(admin: &Client, contact: &str) -> Vec<Value> {
    let r = admin
        .get(&format!(
            "/api/v1/admin/audit?contact={}",
            contact.replace('+', "%2B")
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

fn opt_out_path(conv: i64) -> String {
    format!("/api/v1/conversations/{conv}/manual-opt-out")
}

fn opt_in_path(conv: i64) -> String {
    format!("/api/v1/conversations/{conv}/manual-opt-in")
}

#[tokio::test]
async fn an_agent_records_an_opt_out_and_the_contact_gets_the_confirmation() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let contact = "+12025550171";
    let conv = ana.start_conv(contact, "sms").await;
    assert_eq!(ana.request_opt_in(conv).await.status, 200);
    ana.inbound(contact, ANA_NUMBER, "sms", "YES").await;
    assert_eq!(ana.consent_state(conv).await, "accepted");

    // A blank note: 422 naming `note`, nothing changes.
    let r = ana.post(&opt_out_path(conv), json!({"note": "   "})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "note");
    assert_eq!(r.body["error"]["code"], "note_required");
    assert_eq!(ana.consent_state(conv).await, "accepted");
    // A missing note is a 422 naming it too, never a 500.
    let r = ana.post(&opt_out_path(conv), json!({})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("note"), "{}", r.text);

    let note = "Phone call on 5 Jan: please stop texting me";
    let r = ana.post(&opt_out_path(conv), json!({"note": note})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["conversation"]["consent"]["state"], "opted_out");
    assert_eq!(
        r.body["messages"].as_array().unwrap().len(),
        1,
        "{}",
        r.text
    );
    assert_eq!(ana.consent_state(conv).await, "opted_out");

    // The contact got the flow's opt-out confirmation (default on).
    let got = ana.phone_received(contact).await;
    assert!(
        got.last().unwrap().contains("unsubscribed") && got.last().unwrap().contains("START"),
        "{got:?}"
    );

    // Audited as manual, with the agent as actor and the note as evidence.
    let ana_id = ana.me_id().await;
    let items = audit_of(&admin, contact).await;
    let last = items.last().unwrap();
    assert_eq!(last["action"], "opted_out:manual", "{last}");
    assert_eq!(last["actor"], format!("user:{ana_id}"));
    assert_eq!(last["evidence"], note);
    assert_eq!(last["source"], "manual");
    assert_eq!(last["from_state"], "accepted");
    assert_eq!(last["to_state"], "opted_out");

    // The agent can no longer message, and a second record is refused.
    assert_eq!(
        ana.send(conv, "Hi").await.body["error"]["code"],
        "opted_out"
    );
    let r = ana
        .post(&opt_out_path(conv), json!({"note": "again"}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "already_opted_out");
}

#[tokio::test]
async fn agents_may_not_record_opt_ins_and_admins_record_them_with_evidence() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let contact = "+12025550172";
    let conv = ana.start_conv(contact, "sms").await;
    let evidence = json!({
        "reference": "FORM-2211",
        "agreed_text": "I agree to receive text messages from Acme Dental. Reply STOP to opt out."
    });

    // An agent: 403 with the engine's words, and nothing recorded.
    let r = ana.post(&opt_in_path(conv), evidence.clone()).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "not_allowed_for_role");
    assert_eq!(
        r.body["error"]["message"],
        "Only an admin can record an opt-in collected elsewhere."
    );
    assert_eq!(ana.consent_state(conv).await, "not_requested");
    assert!(audit_of(&admin, contact).await.is_empty());

    // An admin without the agreed text or the reference: 422 naming it.
    let r = admin
        .post(
            &opt_in_path(conv),
            json!({"reference": "FORM-2211", "agreed_text": ""}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "agreed_text");
    let r = admin
        .post(
            &opt_in_path(conv),
            json!({"reference": " ", "agreed_text": "I agree"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "reference");

    // With the evidence: Accepted, nothing sent to the contact.
    let r = admin.post(&opt_in_path(conv), evidence.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["conversation"]["consent"]["state"], "accepted");
    assert!(r.body["messages"].as_array().unwrap().is_empty());
    assert_eq!(ana.consent_state(conv).await, "accepted");
    assert!(ana.phone_received(contact).await.is_empty());

    let admin_id = admin.me_id().await;
    let items = audit_of(&admin, contact).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let a = &items[0];
    assert_eq!(a["action"], "accepted:manual");
    assert_eq!(a["actor"], format!("admin:{admin_id}"));
    assert_eq!(a["evidence"], evidence["agreed_text"]);
    assert_eq!(a["provider_message_id"], "FORM-2211");
    assert_eq!(a["source"], "manual");

    // The agent may message now.
    assert_eq!(ana.send(conv, "Welcome!").await.status, 200);
}

#[tokio::test]
async fn the_flow_can_turn_the_manual_opt_out_confirmation_off() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
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
    let mut flow = admin.get(&path).await.body["flow"].clone();
    flow["confirm_manual_opt_out"] = json!(false);
    let r = admin.req("PUT", &path, Some(json!({"flow": flow}))).await;
    assert_eq!(r.status, 200, "{}", r.text);

    let contact = "+12025550173";
    let conv = ana.start_conv(contact, "sms").await;
    let r = ana
        .post(&opt_out_path(conv), json!({"note": "Told us in the shop"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["conversation"]["consent"]["state"], "opted_out");
    assert!(r.body["messages"].as_array().unwrap().is_empty());
    assert!(ana.phone_received(contact).await.is_empty());
}

#[tokio::test]
async fn an_agent_cannot_record_in_another_agents_conversation() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let ben = Client::login(&s, BEN.0, BEN.1).await;
    let conv = ana.start_conv("+12025550174", "sms").await;
    let r = ben
        .post(&opt_out_path(conv), json!({"note": "not mine"}))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(ana.consent_state(conv).await, "not_requested");
}
