//! Every rule of the brief, end to end through the real binary and a real
//! SQLite file: agent API + simulator channel + (for rule 3) the test clock.

mod common;
use common::*;
use serde_json::json;

const EXPIRED_24H: &str = "The contact hasn't responded to the opt-in request for more than 24 hours. You can try sending the request again.";
const LOB_CONFLICT: &str = "Looks like this contact is already messaging with another user in your line of business. Contact your administrator.";
const CHANNEL_OFF_TAIL: &str = "We're not currently using this number to accept WhatsApp messages.";

#[tokio::test]
async fn rule_1_2_4_request_then_yes_then_message_allowed() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let contact = "+12025550111";
    let conv = ana.start_conv(contact, "sms").await;

    // Rule 1: no consent → refused with the engine's code and text.
    let r = ana.send(conv, "Hello").await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "consent_required");

    // Rule 2: request → pending, the contact receives the request.
    let r = ana.request_opt_in(conv).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["conversation"]["consent"]["state"], "pending");
    let got = ana.phone_received(contact).await;
    assert_eq!(got.len(), 1);
    assert!(
        got[0].contains("YES") && got[0].contains("NO"),
        "{}",
        got[0]
    );

    let r = ana.send(conv, "Hello").await;
    assert_eq!(r.body["error"]["code"], "consent_pending");

    // Rule 4: "  yes! " accepts; confirmation sent.
    ana.inbound(contact, ANA_NUMBER, "sms", "  yes! ").await;
    assert_eq!(ana.consent_state(conv).await, "accepted");
    let got = ana.phone_received(contact).await;
    assert!(got.last().unwrap().contains("opted in"), "{got:?}");

    let r = ana.send(conv, "Your appointment is confirmed.").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["messages"][0]["kind"], "agent");
    let got = ana.phone_received(contact).await;
    assert_eq!(got.last().unwrap(), "Your appointment is confirmed.");
}

#[tokio::test]
async fn rule_5_reject_blocks_requests_but_contact_can_opt_in() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let contact = "+12025550112";
    let conv = ana.start_conv(contact, "sms").await;
    assert_eq!(ana.request_opt_in(conv).await.status, 200);
    ana.inbound(contact, ANA_NUMBER, "sms", "NO").await;
    assert_eq!(ana.consent_state(conv).await, "rejected");
    let r = ana.request_opt_in(conv).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["error"]["code"], "rejected");
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("rejected"));
    // The contact changes their mind.
    ana.inbound(contact, ANA_NUMBER, "sms", "YES").await;
    assert_eq!(ana.consent_state(conv).await, "accepted");
}

#[tokio::test]
async fn rule_6_other_reply_reprompts() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let contact = "+12025550113";
    let conv = ana.start_conv(contact, "sms").await;
    assert_eq!(ana.request_opt_in(conv).await.status, 200);
    ana.inbound(contact, ANA_NUMBER, "sms", "who is this?")
        .await;
    let got = ana.phone_received(contact).await;
    assert_eq!(got.len(), 2, "a second request was sent: {got:?}");
    assert_eq!(got[0], got[1]);
    assert_eq!(ana.consent_state(conv).await, "pending");
    // Loop protection: a bot answering every message does not get endless requests.
    for _ in 0..10 {
        ana.inbound(contact, ANA_NUMBER, "sms", "auto-reply: I am away")
            .await;
    }
    let got = ana.phone_received(contact).await;
    assert!(got.len() < 8, "bounded re-prompts, got {}", got.len());
}

#[tokio::test]
async fn rule_3_resend_after_24h_with_test_clock() {
    let s = Server::start(&["--demo", "--test-clock"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let contact = "+12025550114";
    let conv = ana.start_conv(contact, "sms").await;
    assert_eq!(ana.request_opt_in(conv).await.status, 200);
    let r = ana.request_opt_in(conv).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["error"]["code"], "resend_too_soon");

    // Not yet: 23 h later.
    let r = ana
        .post("/api/v1/test/clock", json!({"advance_seconds": 23 * 3600}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        ana.request_opt_in(conv).await.body["error"]["code"],
        "resend_too_soon"
    );
    // 24 h + 1 min after the request: the exact text, and a working resend.
    ana.post("/api/v1/test/clock", json!({"advance_seconds": 3600 + 60}))
        .await;
    assert_eq!(ana.consent_state(conv).await, "expired");
    let r = ana.send(conv, "hi").await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["error"]["message"], EXPIRED_24H);
    let r = ana.request_opt_in(conv).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["conversation"]["consent"]["attempts"], 2);
    assert_eq!(ana.phone_received(contact).await.len(), 2);
}

#[tokio::test]
async fn test_clock_is_off_by_default() {
    let s = Server::start(&[]);
    let c = Client::new(&s);
    let r = c
        .post("/api/v1/test/clock", json!({"advance_seconds": 60}))
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn rule_7_opt_out_and_plain_language_revocation() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    for (contact, stop) in [
        ("+12025550115", "STOP"),
        ("+12025550116", "please stop texting me"),
    ] {
        let conv = ana.start_conv(contact, "sms").await;
        assert_eq!(ana.request_opt_in(conv).await.status, 200);
        ana.inbound(contact, ANA_NUMBER, "sms", "yes").await;
        let before = ana.phone_received(contact).await.len();
        ana.inbound(contact, ANA_NUMBER, "sms", stop).await;
        assert_eq!(ana.consent_state(conv).await, "opted_out", "{stop}");
        let got = ana.phone_received(contact).await;
        assert_eq!(got.len(), before + 1, "exactly one confirmation");
        assert!(got.last().unwrap().contains("START"), "{got:?}");
        let r = ana.send(conv, "are you sure?").await;
        assert_eq!(r.body["error"]["code"], "opted_out");
        assert_eq!(
            ana.request_opt_in(conv).await.body["error"]["code"],
            "opted_out"
        );
        // Nothing more after another message.
        ana.inbound(contact, ANA_NUMBER, "sms", "why do you keep")
            .await;
        assert_eq!(ana.phone_received(contact).await.len(), before + 1);
        // HELP answers and changes nothing.
        ana.inbound(contact, ANA_NUMBER, "sms", "HELP").await;
        assert_eq!(ana.consent_state(conv).await, "opted_out");
        // START opts in again.
        ana.inbound(contact, ANA_NUMBER, "sms", "START").await;
        assert_eq!(ana.consent_state(conv).await, "accepted");
    }
}

#[tokio::test]
async fn rule_8_one_agent_per_line_of_business_on_whatsapp() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let ben = Client::login(&s, BEN.0, BEN.1).await;
    let cleo = Client::login(&s, CLEO.0, CLEO.1).await;
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let contact = "+12025550117";
    let a = ana.start_conv(contact, "whatsapp").await;
    assert_eq!(ana.request_opt_in(a).await.status, 200);

    let b = ben.start_conv(contact, "whatsapp").await;
    let r = ben.request_opt_in(b).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["error"]["code"], "owned_by_other_user");
    assert_eq!(r.body["error"]["message"], LOB_CONFLICT);
    let r = ben.send(b, "hello").await;
    assert_eq!(r.body["error"]["message"], LOB_CONFLICT);

    // Another line of business is not affected.
    let c = cleo.start_conv(contact, "whatsapp").await;
    assert_eq!(cleo.request_opt_in(c).await.status, 200);
    // SMS is not affected.
    let bs = ben.start_conv(contact, "sms").await;
    assert_eq!(ben.request_opt_in(bs).await.status, 200);

    let own = admin.get("/api/v1/admin/ownership").await;
    assert_eq!(own.status, 200);
    assert!(own.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["contact_phone"] == contact && o["line_of_business_id"] == 1));

    // Admin releases → Ben may ask.
    let r = admin
        .post(
            "/api/v1/admin/ownership/release",
            json!({"line_of_business_id": 1, "contact_phone": contact}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(ben.request_opt_in(b).await.status, 200);
    // ...and now Ana is refused.
    assert_eq!(
        ana.send(a, "hi").await.body["error"]["code"],
        "owned_by_other_user"
    );
    // Admin reassigns to Ana.
    let me = ana.get("/api/v1/me").await;
    let ana_id = me.body["user"]["id"].as_i64().unwrap();
    let r = admin
        .post(
            "/api/v1/admin/ownership/reassign",
            json!({"line_of_business_id": 1, "contact_phone": contact, "user_id": ana_id}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        ben.request_opt_in(b).await.body["error"]["code"],
        "owned_by_other_user"
    );
}

#[tokio::test]
async fn rule_9_channel_deactivated_and_auto_reply() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let contact = "+12025550118";
    let conv = ana.start_conv(contact, "whatsapp").await;
    let r = admin
        .update_number(ANA_NUMBER, json!({"whatsapp_enabled": false}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["whatsapp_enabled"], false);

    let r = ana.request_opt_in(conv).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["error"]["code"], "channel_disabled");
    let d = ana.get(&format!("/api/v1/conversations/{conv}")).await;
    assert_eq!(d.body["channel_enabled"], false);

    ana.inbound(contact, ANA_NUMBER, "whatsapp", "Hello?").await;
    let got = ana.phone_received(contact).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].ends_with(CHANNEL_OFF_TAIL), "{}", got[0]);
    assert!(got[0].contains("Acme Home Services"), "names the business");
    // Logged.
    let audit = admin.get("/api/v1/admin/audit?limit=1000").await;
    let items = audit.body["items"].as_array().unwrap();
    // The switch is the engine's record on the contact's thread.
    let toggle = items
        .iter()
        .find(|a| a["action"] == "channel_toggled" && a["contact_phone"] == contact)
        .expect("a channel_toggled record on the contact's thread");
    assert_eq!(toggle["contact_phone"], contact, "{toggle}");
    assert_eq!(toggle["channel"], "whatsapp");
    assert_eq!(toggle["actor"], format!("admin:{}", admin.me_id().await));
    assert_eq!(toggle["from_state"], "not_requested");
    assert_eq!(toggle["to_state"], "not_requested");
    assert_eq!(toggle["evidence"], "WhatsApp turned off for this number");
    assert!(items.iter().any(
        |a| a["contact_phone"] == contact && a["evidence"].as_str().unwrap().contains("Hello?")
    ));
    // SMS on the same number still works.
    let sms = ana.start_conv(contact, "sms").await;
    assert_eq!(ana.request_opt_in(sms).await.status, 200);
}

#[tokio::test]
async fn rule_10_whatsapp_window() {
    let s = Server::start(&["--demo", "--test-clock"]);
    let cleo = Client::login(&s, CLEO.0, CLEO.1).await;
    let contact = "+12025550119";
    let conv = cleo.start_conv(contact, "whatsapp").await;
    assert_eq!(cleo.request_opt_in(conv).await.status, 200);
    cleo.inbound(contact, CLEO_NUMBER, "whatsapp", "YES").await;
    assert_eq!(cleo.send(conv, "hi").await.status, 200);
    cleo.post(
        "/api/v1/test/clock",
        json!({"advance_seconds": 24 * 3600 + 60}),
    )
    .await;
    let r = cleo.send(conv, "still there?").await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["error"]["code"], "whatsapp_window_closed");
    cleo.inbound(contact, CLEO_NUMBER, "whatsapp", "yes I'm here")
        .await;
    assert_eq!(cleo.send(conv, "great").await.status, 200);
}

#[tokio::test]
async fn rule_11_quiet_hours_name_the_next_time() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    // A zone where it is now about 23:00.
    use chrono::Timelike;
    let h = chrono::Utc::now().hour() as i32;
    let mut off = 23 - h;
    if off > 14 {
        off -= 24;
    }
    if off < -11 {
        off += 24;
    }
    let tz = if off == 0 {
        "Etc/GMT".to_string()
    } else if off > 0 {
        format!("Etc/GMT-{off}")
    } else {
        format!("Etc/GMT+{}", -off)
    };
    let r = ana
        .post(
            "/api/v1/conversations",
            json!({"phone": "+12025550120", "channel": "sms", "time_zone": tz}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let conv = r.body["id"].as_i64().unwrap();
    let r = ana.request_opt_in(conv).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "quiet_hours");
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("08:00"));
}

#[tokio::test]
async fn rule_12_audit_and_csv_export() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let contact = "+12025550121";
    let conv = ana.start_conv(contact, "sms").await;
    let req_text = ana.request_opt_in(conv).await.body["messages"][0]["body"]
        .as_str()
        .unwrap()
        .to_string();
    let r = ana
        .post(
            "/api/v1/sim/inbound",
            json!({"from": contact, "to": ANA_NUMBER, "channel": "sms", "body": "Yes!"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let pmid = r.body["provider_message_id"].as_str().unwrap().to_string();
    assert!(pmid.starts_with("sim-"), "the simulator chose it: {pmid}");
    let a = admin
        .get(&format!("/api/v1/admin/audit?contact={}", "%2B12025550121"))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let items = a.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0]["to_state"], "pending");
    assert_eq!(items[0]["evidence"], req_text);
    assert_eq!(items[1]["from_state"], "pending");
    assert_eq!(items[1]["to_state"], "accepted");
    assert_eq!(items[1]["actor"], "contact");
    assert_eq!(items[1]["provider_message_id"], pmid.as_str());
    assert_eq!(items[1]["request_text"], req_text);
    assert!(items[1]["evidence"].as_str().unwrap().contains("Yes!"));

    let csv = admin.get("/api/v1/admin/audit.csv").await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert!(lines[0].starts_with("id,at,business_number"));
    assert!(lines.iter().any(|l| l.contains(&pmid)));
    // Agents cannot read the audit.
    assert_eq!(ana.get("/api/v1/admin/audit").await.status, 403);
}

#[tokio::test]
async fn the_simulator_chooses_message_ids_itself() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    // A made-up provider id could pass for a provider's message: refused.
    let forged = json!({"from": "+12025550122", "to": ANA_NUMBER, "channel": "sms", "body": "YES", "provider_message_id": "SM-made-up"});
    let r = ana.post("/api/v1/sim/inbound", forged).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "provider_message_id");
    let body = json!({"from": "+12025550122", "to": ANA_NUMBER, "channel": "sms", "body": "hi"});
    let a = ana.post("/api/v1/sim/inbound", body.clone()).await;
    let b = ana.post("/api/v1/sim/inbound", body).await;
    assert_eq!(a.body["duplicate"], false);
    assert_eq!(b.body["duplicate"], false);
    assert_ne!(a.body["provider_message_id"], b.body["provider_message_id"]);
    let page = ana.get("/api/v1/conversations?q=%2B12025550122").await;
    assert_eq!(page.body["total"], 1);
    assert_eq!(page.body["items"][0]["unread"], 2);
}

#[tokio::test]
async fn admin_flow_validate_and_save() {
    let s = Server::start(&["--demo"]);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let g = admin.get("/api/v1/admin/flows/1/sms").await;
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.body["is_default"], true);
    let mut flow = g.body["flow"].clone();
    flow["resend_interval_minutes"] = json!(30);
    let v = admin
        .post("/api/v1/admin/flows/1/sms/validate", json!({"flow": flow}))
        .await;
    assert_eq!(v.status, 200);
    assert_eq!(v.body["valid"], false);
    assert_eq!(
        v.body["problems"][0]["field"],
        "flow.resend_interval_minutes"
    );
    let p = admin
        .req(
            "PUT",
            "/api/v1/admin/flows/1/sms",
            Some(json!({"flow": flow})),
        )
        .await;
    assert_eq!(p.status, 422);
    assert_eq!(p.body["error"]["field"], "flow.resend_interval_minutes");
    // Wrong type names the field.
    let p = admin
        .req(
            "PUT",
            "/api/v1/admin/flows/1/sms",
            Some(json!({"flow": {"resend_interval_minutes": "soon"}})),
        )
        .await;
    assert_eq!(p.status, 422);
    assert_eq!(p.body["error"]["field"], "flow.resend_interval_minutes");
    // A valid change is saved and used.
    flow["resend_interval_minutes"] = json!(120);
    flow["messages"]["request"] = json!("{company} here. Reply YES to accept or NO to decline.");
    let p = admin
        .req(
            "PUT",
            "/api/v1/admin/flows/1/sms",
            Some(json!({"flow": flow})),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.text);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let conv = ana.start_conv("+12025550123", "sms").await;
    let r = ana.request_opt_in(conv).await;
    assert_eq!(
        r.body["messages"][0]["body"],
        "Acme Home Services here. Reply YES to accept or NO to decline."
    );
}

#[tokio::test]
async fn rule_16_audit_records_say_where_their_evidence_came_from() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let conv = ana.start_conv("+12025550129", "sms").await;
    assert_eq!(ana.request_opt_in(conv).await.status, 200);
    // An admin's own action is manual evidence.
    let id = admin.number_id(ANA_NUMBER).await;
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/numbers/{id}"),
            Some(json!({"sms_enabled": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let a = admin
        .get("/api/v1/admin/audit?contact=%2B12025550129")
        .await;
    let items = a.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", a.text);
    assert_eq!(items[0]["source"], "simulator");
    assert_eq!(items[0]["signature_verified"], false);
    assert!(items[0]["template_name"].is_null());
    assert_eq!(items[1]["source"], "manual", "{}", a.text);
    let csv = admin
        .get("/api/v1/admin/audit.csv?contact=%2B12025550129")
        .await;
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines[0], "id,at,business_number,contact_phone,channel,actor,action,from_state,to_state,evidence,request_text,provider_message_id,source,signature_verified,template_name,template_language");
    assert!(lines[1].ends_with(",simulator,false,,"), "{}", lines[1]);
    assert!(lines[2].ends_with(",manual,false,,"), "{}", lines[2]);
}
