//! A contact's time zone (rule 11's "their time"): set once from the
//! number's prefix, the most restrictive zone when the prefix spans several,
//! never changed by starting a conversation, changed only by an admin and
//! audited — through the real binary and a real SQLite file.

mod common;
use common::*;
use serde_json::json;

fn contact_of(conv: &serde_json::Value) -> &serde_json::Value {
    &conv["contact"]
}

#[tokio::test]
async fn zones_come_from_the_numbers_prefix() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    // San Francisco's area code is Pacific time, not "every +1 is New York".
    let r = ana
        .post(
            "/api/v1/conversations",
            json!({"phone": "+14155550177", "channel": "sms"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(contact_of(&r.body)["time_zone"], "America/Los_Angeles");
    assert_eq!(
        contact_of(&r.body)["time_zones"],
        json!(["America/Los_Angeles"])
    );
    assert_eq!(contact_of(&r.body)["other_utc_offsets_seconds"], json!([]));
    // A prefix of Idaho split between Mountain and Pacific time keeps both.
    let r = ana
        .post(
            "/api/v1/conversations",
            json!({"phone": "+12083001234", "channel": "sms"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let zones = contact_of(&r.body)["time_zones"]
        .as_array()
        .unwrap()
        .clone();
    assert!(zones.contains(&json!("America/Boise")), "{zones:?}");
    assert!(zones.contains(&json!("America/Los_Angeles")), "{zones:?}");
    assert_eq!(
        contact_of(&r.body)["other_utc_offsets_seconds"]
            .as_array()
            .unwrap()
            .len(),
        zones.len() - 1
    );
    // A contact who writes first gets the same treatment.
    let r = ana
        .inbound("+33612345678", ANA_NUMBER, "sms", "Bonjour")
        .await;
    assert!(r.status < 300, "{}", r.text);
    let list = ana.get("/api/v1/conversations?q=%2B33612345678").await;
    assert_eq!(
        list.body["items"][0]["contact"]["time_zone"],
        "Europe/Paris"
    );
}

#[tokio::test]
async fn starting_a_conversation_never_changes_an_existing_contacts_zone() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let ben = Client::login(&s, BEN.0, BEN.1).await;
    let phone = "+12025550161";
    let r = ana
        .post(
            "/api/v1/conversations",
            json!({"phone": phone, "channel": "sms", "time_zone": "America/Chicago"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(contact_of(&r.body)["time_zone"], "America/Chicago");
    // Another agent cannot move the contact's quiet hours.
    let r = ben
        .post(
            "/api/v1/conversations",
            json!({"phone": phone, "channel": "sms", "time_zone": "Pacific/Kiritimati"}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "time_zone_already_set");
    assert_eq!(r.body["error"]["field"], "time_zone");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("America/Chicago"),
        "{}",
        r.text
    );
    // Without a zone (or with the same one) the conversation starts, zone kept.
    let r = ben
        .post(
            "/api/v1/conversations",
            json!({"phone": phone, "channel": "sms"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(contact_of(&r.body)["time_zone"], "America/Chicago");
}

#[tokio::test]
async fn an_admin_changes_a_zone_and_every_thread_audits_it() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let phone = "+12025550162";
    let sms = ana.start_conv(phone, "sms").await;
    let r = ana.get(&format!("/api/v1/conversations/{sms}")).await;
    let contact_id = r.body["conversation"]["contact"]["id"].as_i64().unwrap();
    let old = r.body["conversation"]["contact"]["time_zone"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/admin/contacts/{contact_id}/time-zone");

    // Agents cannot; bad input names the field; unknown contacts are 404.
    let r = ana
        .req("PUT", &path, Some(json!({"time_zone": "Europe/Paris"})))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = admin
        .req("PUT", &path, Some(json!({"time_zone": "Mars/Olympus"})))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "time_zone");
    let r = admin
        .req(
            "PUT",
            "/api/v1/admin/contacts/999999/time-zone",
            Some(json!({"time_zone": "Europe/Paris"})),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);

    let r = admin
        .req(
            "PUT",
            &path,
            Some(json!({"time_zone": "Europe/Paris", "note": "moved to Lyon, said on the phone"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["time_zone"], "Europe/Paris");
    assert_eq!(r.body["time_zones"], json!(["Europe/Paris"]));
    let r = ana.get(&format!("/api/v1/conversations/{sms}")).await;
    assert_eq!(
        r.body["conversation"]["contact"]["time_zone"],
        "Europe/Paris"
    );

    let audit = admin
        .get(&format!("/api/v1/admin/audit?contact=%2B{}", &phone[1..]))
        .await;
    let rows: Vec<_> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "time_zone_changed")
        .cloned()
        .collect();
    assert_eq!(rows.len(), 1, "{}", audit.text);
    assert_eq!(
        rows[0]["evidence"],
        format!("Time zone changed from {old} to Europe/Paris: moved to Lyon, said on the phone")
    );
    assert_eq!(rows[0]["from_state"], rows[0]["to_state"]);
    assert!(
        rows[0]["actor"].as_str().unwrap().contains("admin"),
        "{}",
        rows[0]
    );
}

/// The most restrictive of a number's zones, through the server: at 07:30 in
/// Los Angeles (08:30 in Boise) an Idaho number spanning both is still in
/// quiet hours; half an hour later it is not.
#[tokio::test]
async fn quiet_hours_follow_the_most_restrictive_zone() {
    let s = Server::start(&["--demo", "--test-clock"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let now = ana.get("/api/v1/test/clock").await.body["now"]
        .as_str()
        .unwrap()
        .to_string();
    let now = chrono::DateTime::parse_from_rfc3339(&now).unwrap();
    let la: chrono_tz::Tz = "America/Los_Angeles".parse().unwrap();
    // The next 07:30 in Los Angeles.
    use chrono::{Duration, TimeZone};
    let local = now.with_timezone(&la);
    let mut day = local.date_naive();
    let target = loop {
        let t = la
            .from_local_datetime(&day.and_hms_opt(7, 30, 0).unwrap())
            .single()
            .unwrap();
        if t > local {
            break t;
        }
        day += Duration::days(1);
    };
    let advance = target.timestamp() - now.timestamp();
    let r = ana
        .post("/api/v1/test/clock", json!({"advance_seconds": advance}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let r = ana.start_conv_in_own_zone("+12083001235", "sms").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let conv = r.body["id"].as_i64().unwrap();
    let r = ana.request_opt_in(conv).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "quiet_hours");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at least one of the time zones"),
        "{}",
        r.text
    );
    ana.post("/api/v1/test/clock", json!({"advance_seconds": 31 * 60}))
        .await;
    let r = ana.request_opt_in(conv).await;
    assert_eq!(r.status, 200, "{}", r.text);
}
