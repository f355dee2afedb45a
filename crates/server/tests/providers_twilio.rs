//! Twilio SMS adapter against a local stand-in: X-Twilio-Signature over the
//! configured public URL, recorded payloads (inbound text, STOP, status
//! callbacks delivered / undelivered), sending with retries.

mod common;
use common::standin::{answer, Answer, StandIn};
use common::*;
use optline_server::providers::twilio::sign;
use serde_json::{json, Value};

const SID: &str = "AC00000000000000000000000000000001";
const AUTH_TOKEN: &str = "twilio-auth-token-c0ffee";
const PUBLIC: &str = "https://optline.example.com";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/twilio/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

struct Setup {
    server: Server,
    admin: Client,
    ben: Client,
    standin: StandIn,
    hook: Client,
    number: i64,
}

async fn setup() -> Setup {
    let standin = StandIn::start().await;
    let server = Server::start(&[
        "--demo",
        "--public-url",
        PUBLIC,
        "--twilio-base-url",
        &standin.base,
        "--send-retry-base-ms",
        "20",
    ]);
    let admin = Client::login(&server, ADMIN.0, ADMIN.1)
        .await
        .with_origin(PUBLIC);
    let number = admin.number_id(BEN_NUMBER).await;
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/numbers/{number}"),
            Some(json!({"provider": {"kind": "twilio", "account_sid": SID,
                "auth_token": AUTH_TOKEN, "from": BEN_NUMBER}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains(AUTH_TOKEN));
    assert_eq!(
        r.body["provider_settings"]["webhook_path"],
        format!("/api/v1/webhooks/twilio/{number}")
    );
    let ben = Client::login(&server, BEN.0, BEN.1)
        .await
        .with_origin(PUBLIC);
    let hook = Client::new(&server);
    Setup {
        server,
        admin,
        ben,
        standin,
        hook,
        number,
    }
}

async fn post_form(s: &Setup, body: &str, sig: Option<String>) -> Resp {
    let mut rb = s
        .hook
        .http
        .post(format!(
            "{}/api/v1/webhooks/twilio/{}",
            s.hook.base, s.number
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string());
    if let Some(sig) = sig {
        rb = rb.header("x-twilio-signature", sig);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    Resp {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

fn signature(s: &Setup, body: &str, token: &str, origin: &str) -> String {
    signature_for(s.number, "", body, token, origin)
}

/// The signature of a POST to number `number`'s webhook with `query`.
fn signature_for(number: i64, query: &str, body: &str, token: &str, origin: &str) -> String {
    let params: Vec<(String, String)> = serde_urlencoded::from_str(body).unwrap();
    sign(
        token,
        &format!("{origin}/api/v1/webhooks/twilio/{number}{query}"),
        &params,
    )
}

/// POSTs `body` to `/webhooks/twilio/{number}{query}` with `sig`.
async fn post_to(s: &Setup, number: i64, query: &str, body: &str, sig: Option<String>) -> Resp {
    let mut rb = s
        .hook
        .http
        .post(format!(
            "{}/api/v1/webhooks/twilio/{number}{query}",
            s.hook.base
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string());
    if let Some(sig) = sig {
        rb = rb.header("x-twilio-signature", sig);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    Resp {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

async fn post_signed(s: &Setup, body: &str) -> Resp {
    let sig = signature(s, body, AUTH_TOKEN, PUBLIC);
    post_form(s, body, Some(sig)).await
}

fn count(s: &Server, sql: &str) -> i64 {
    s.sql(|c| c.query_row(sql, NO_PARAMS, |r| r.get(0)))
}

async fn sms_conv(c: &Client, phone: &str) -> Value {
    let r = c.get("/api/v1/conversations?channel=sms").await;
    let id = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["contact"]["phone"] == phone)
        .unwrap_or_else(|| panic!("no conversation with {phone}: {}", r.text))["id"]
        .as_i64()
        .unwrap();
    c.get(&format!("/api/v1/conversations/{id}")).await.body
}

#[tokio::test]
async fn inbound_is_verified_against_the_public_url_and_stored_once() {
    let s = setup().await;
    let body = fixture("inbound_text.txt");
    assert_eq!(post_form(&s, &body, None).await.status, 401);
    let wrong_token = signature(&s, &body, "not-the-token", PUBLIC);
    assert_eq!(post_form(&s, &body, Some(wrong_token)).await.status, 401);
    // Signed for another URL (what a server ignoring the proxy would compute).
    let wrong_url = signature(&s, &body, AUTH_TOKEN, "http://127.0.0.1:8080");
    assert_eq!(post_form(&s, &body, Some(wrong_url)).await.status, 401);
    assert_eq!(
        count(
            &s.server,
            "SELECT COUNT(*) FROM messages WHERE provider='twilio'"
        ),
        0
    );
    for _ in 0..3 {
        let r = post_signed(&s, &body).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.text.contains("<Response>"), "{}", r.text);
        assert_eq!(r.headers["content-type"], "text/xml");
    }
    let d = sms_conv(&s.ben, "+12025550171").await;
    let inbound: Vec<_> = d["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .cloned()
        .collect();
    assert_eq!(inbound.len(), 1);
    assert_eq!(inbound[0]["body"], "Hi, do you deliver?");
    assert_eq!(
        inbound[0]["provider_message_id"],
        "SM1f0e8ae6ade43cb3c0ce4525424e404f"
    );
    let numbers = s.admin.get("/api/v1/admin/numbers").await;
    assert!(!numbers.text.contains(AUTH_TOKEN));
}

#[tokio::test]
async fn a_carrier_stop_is_the_carriers_opt_out_with_no_second_confirmation() {
    let s = setup().await;
    // A flow may not drop the standard stop words (the engine refuses it),
    // so the carrier and the flow agree on them.
    let nums = s.admin.get("/api/v1/admin/numbers").await;
    let lob = nums.body["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["phone"] == BEN_NUMBER)
        .unwrap()["line_of_business_id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/admin/flows/{lob}/sms");
    let mut flow = s.admin.get(&path).await.body["flow"].clone();
    flow["keywords"]["stop"] = json!(["UNSUBSCRIBE"]);
    let r = s
        .admin
        .req("PUT", &path, Some(json!({ "flow": flow })))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "flow.keywords.stop");
    // "End" is one of Twilio's opt-out words: Twilio has already opted the
    // contact out and confirmed it.
    let end = fixture("inbound_stop.txt").replace("Body=STOP&", "Body=End&");
    let r = post_signed(&s, &end).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = sms_conv(&s.ben, "+12025550171").await;
    assert_eq!(d["conversation"]["consent"]["state"], "opted_out", "{d}");
    let audit = s
        .admin
        .get("/api/v1/admin/audit?contact=%2B12025550171")
        .await;
    // The engine's record: the carrier's opt-out, with the inbound text and
    // the provider's message id as evidence.
    let items = audit.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", audit.text);
    assert_eq!(
        items[0]["action"], "opted_out:carrier_stop",
        "{}",
        audit.text
    );
    assert_eq!(items[0]["actor"], "contact");
    assert_eq!(items[0]["evidence"], "End");
    assert!(items[0]["provider_message_id"]
        .as_str()
        .is_some_and(|p| p.starts_with("SM")));
    // Nothing is sent back (the carrier confirmed it) and agents are refused.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(s.standin.requests().is_empty());
    let conv = d["conversation"]["id"].as_i64().unwrap();
    assert_eq!(s.ben.request_opt_in(conv).await.status, 409);
    // Delivered again: still one opt-out.
    post_signed(&s, &end).await;
    assert_eq!(
        count(
            &s.server,
            "SELECT COUNT(*) FROM audit WHERE to_state = 'opted_out' AND contact = '+12025550171'"
        ),
        1
    );
}

#[tokio::test]
async fn sends_through_messages_json_once_and_status_callbacks_settle_unknown_ones() {
    let s = setup().await;
    let conv = s.ben.start_conv("+12025550171", "sms").await;
    // A rate limit (retried after its Retry-After), then a 500 after the
    // request went out: Twilio may have taken it, so it is never resent.
    s.standin.script(vec![
        Answer {
            status: 429,
            body: json!({"code": 20429, "message": "Too Many Requests"}),
            retry_after: Some(1),
            ..Default::default()
        },
        answer(
            500,
            json!({"code": 20500, "message": "Internal Server Error"}),
        ),
    ]);
    let r = s.ben.request_opt_in(conv).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let msg = r.body["messages"][0]["id"].as_i64().unwrap();
    let m = s.ben.wait_status(conv, msg, "unknown").await;
    assert!(m["error"].as_str().unwrap().contains("20500"), "{m}");
    let reqs = s.standin.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].at - reqs[0].at >= std::time::Duration::from_millis(900));
    use base64::Engine as _;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{AUTH_TOKEN}"))
    );
    for q in &reqs {
        assert_eq!(q.path, format!("/2010-04-01/Accounts/{SID}/Messages.json"));
        assert_eq!(q.authorization, basic);
        assert_eq!(q.content_type, "application/x-www-form-urlencoded");
        let form: Vec<(String, String)> = serde_urlencoded::from_str(&q.body).unwrap();
        let get = |k: &str| form.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get("To"), "+12025550171");
        assert_eq!(get("From"), BEN_NUMBER);
        assert_eq!(
            get("StatusCallback"),
            format!("{PUBLIC}/api/v1/webhooks/twilio/{}?message={msg}", s.number)
        );
        assert!(!get("Body").is_empty());
    }
    // Twilio had taken it: its status callback (to the URL the send gave)
    // settles the message and gives it its sid.
    let sid = "SM0000000000000000000000000000feed";
    let q = format!("?message={msg}");
    let cb = fixture("status_delivered.txt").replace("SID_PLACEHOLDER", sid);
    let sig = signature_for(s.number, &q, &cb, AUTH_TOKEN, PUBLIC);
    assert_eq!(post_to(&s, s.number, &q, &cb, Some(sig)).await.status, 200);
    let m = s.ben.wait_status(conv, msg, "delivered").await;
    assert_eq!(m["provider_message_id"], sid);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(s.standin.requests().len(), 2, "never sent twice");

    // Another message: accepted, then undelivered with an ErrorCode.
    let conv2 = s.ben.start_conv("+12025550172", "sms").await;
    let r = s.ben.request_opt_in(conv2).await;
    let msg2 = r.body["messages"][0]["id"].as_i64().unwrap();
    let m = s.ben.wait_status(conv2, msg2, "sent").await;
    let sid2 = m["provider_message_id"].as_str().unwrap().to_string();
    let cb = fixture("status_undelivered.txt").replace("SID_PLACEHOLDER", &sid2);
    assert_eq!(post_signed(&s, &cb).await.status, 200);
    let m = s.ben.wait_status(conv2, msg2, "failed").await;
    assert!(
        m["error"].as_str().unwrap().contains("Twilio error 30006"),
        "{m}"
    );

    // A permanent refusal (invalid number) is shown at once, not retried.
    let conv3 = s.ben.start_conv("+12025550173", "sms").await;
    let before = s.standin.requests().len();
    s.standin.script(vec![answer(
        400,
        json!({"code": 21211, "message": "The 'To' number is not a valid phone number."}),
    )]);
    let r = s.ben.request_opt_in(conv3).await;
    let msg3 = r.body["messages"][0]["id"].as_i64().unwrap();
    let m = s.ben.wait_status(conv3, msg3, "failed").await;
    assert!(m["error"].as_str().unwrap().contains("21211"), "{m}");
    assert_eq!(s.standin.requests().len(), before + 1);
}

#[tokio::test]
async fn a_send_refused_for_an_unsubscribed_recipient_is_recorded_as_an_opt_out() {
    let s = setup().await;
    let conv = s.ben.start_conv("+12025550174", "sms").await;
    // Twilio refuses: the contact replied STOP to this number at the carrier.
    s.standin.script(vec![answer(
        400,
        json!({"code": 21610, "message": "Attempt to send to unsubscribed recipient"}),
    )]);
    let r = s.ben.request_opt_in(conv).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let msg = r.body["messages"][0]["id"].as_i64().unwrap();
    let m = s.ben.wait_status(conv, msg, "failed").await;
    assert!(m["error"].as_str().unwrap().contains("21610"), "{m}");
    for _ in 0..100 {
        if s.ben.consent_state(conv).await == "opted_out" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(s.ben.consent_state(conv).await, "opted_out");
    let audit = s
        .admin
        .get("/api/v1/admin/audit?contact=%2B12025550174&action=opted_out:provider_opt_out")
        .await;
    let items = audit.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", audit.text);
    assert_eq!(items[0]["actor"], "system");
    assert!(items[0]["evidence"].as_str().unwrap().contains("21610"));
    // Not retried, and nothing else is sent: agents are refused now.
    assert_eq!(s.standin.requests().len(), 1);
    assert_eq!(s.ben.request_opt_in(conv).await.status, 409);
}

#[tokio::test]
async fn unverifiable_webhooks_all_get_the_same_401() {
    let s = setup().await;
    let body = fixture("inbound_text.txt");
    let simulator_number = s.admin.number_id(ANA_NUMBER).await;
    let good = signature(&s, &body, AUTH_TOKEN, PUBLIC);
    let cases = [
        (
            "unknown number id",
            987_654,
            body.clone(),
            Some(good.clone()),
        ),
        (
            "a simulator number",
            simulator_number,
            body.clone(),
            Some(signature_for(
                simulator_number,
                "",
                &body,
                AUTH_TOKEN,
                PUBLIC,
            )),
        ),
        (
            "a wrong signature",
            s.number,
            body.clone(),
            Some(signature(&s, &body, "not-the-token", PUBLIC)),
        ),
        ("no signature", s.number, body.clone(), None),
        (
            "a body that is not a form",
            s.number,
            "%%%=&&==%zz".to_string(),
            Some(good.clone()),
        ),
    ];
    let mut answers = Vec::new();
    for (what, number, b, sig) in cases {
        let r = post_to(&s, number, "", &b, sig).await;
        assert_eq!(r.status, 401, "{what}: {}", r.text);
        answers.push((what, r.text));
    }
    for (what, text) in &answers {
        assert_eq!(text, &answers[0].1, "{what} answers differently");
    }
    assert!(answers[0].1.contains("\"code\":\"bad_signature\""));
    assert_eq!(
        count(
            &s.server,
            "SELECT COUNT(*) FROM messages WHERE provider='twilio'"
        ),
        0
    );
}

#[tokio::test]
async fn a_signed_sms_from_an_address_the_phone_library_rejects_is_kept_and_its_stop_counts() {
    let s = setup().await;
    let body = fixture("inbound_text.txt")
        .replace("From=%2B12025550171", "From=%2B999123")
        .replace("Body=Hi%2C+do+you+deliver%3F", "Body=STOP")
        .replace(
            "SM1f0e8ae6ade43cb3c0ce4525424e404f",
            "SMbad0000000000000000000000000001",
        );
    let r = post_signed(&s, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let d = sms_conv(&s.ben, "+999123").await;
    let inbound = &d["messages"][0];
    assert_eq!(inbound["body"], "STOP");
    assert_eq!(inbound["sender_unverified"], true, "{inbound}");
    assert_eq!(d["conversation"]["consent"]["state"], "opted_out", "{d}");
    let audit = s
        .admin
        .get("/api/v1/admin/audit?action=opted_out:carrier_stop")
        .await;
    let items = audit.body["items"].as_array().unwrap();
    let row = items
        .iter()
        .find(|a| a["contact_phone"] == "+999123")
        .unwrap_or_else(|| panic!("{}", audit.text));
    assert_eq!(row["source"], "twilio");
    assert_eq!(row["signature_verified"], true);
    assert_eq!(
        row["provider_message_id"],
        "SMbad0000000000000000000000000001"
    );
}

#[tokio::test]
async fn a_status_signed_by_another_number_moves_nothing() {
    let s = setup().await;
    // Another Twilio number of the demo (its own auth token).
    let other = s.admin.number_id(CLEO_NUMBER).await;
    let r = s
        .admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/numbers/{other}"),
            Some(json!({"provider": {"kind": "twilio", "account_sid": SID,
                "auth_token": "other-token", "from": CLEO_NUMBER}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let conv = s.ben.start_conv("+12025550175", "sms").await;
    let r = s.ben.request_opt_in(conv).await;
    let msg = r.body["messages"][0]["id"].as_i64().unwrap();
    let m = s.ben.wait_status(conv, msg, "sent").await;
    let sid = m["provider_message_id"].as_str().unwrap().to_string();
    // Signed by the other number (and naming Ben's message in the query):
    // accepted as that number's report, applied to none of Ben's messages.
    let cb = fixture("status_undelivered.txt").replace("SID_PLACEHOLDER", &sid);
    let q = format!("?message={msg}");
    let sig = signature_for(other, &q, &cb, "other-token", PUBLIC);
    assert_eq!(post_to(&s, other, &q, &cb, Some(sig)).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    s.ben.wait_status(conv, msg, "sent").await;
    assert_eq!(count(&s.server, "SELECT COUNT(*) FROM pending_statuses"), 0);
    // Ben's own number's report does move it.
    let cb = fixture("status_delivered.txt").replace("SID_PLACEHOLDER", &sid);
    assert_eq!(post_signed(&s, &cb).await.status, 200);
    s.ben.wait_status(conv, msg, "delivered").await;
}
