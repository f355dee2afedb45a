//! Consent insights (`GET /api/v1/admin/insights`) through the real binary:
//! after a scripted scenario (requests, YES, NO, STOP, an unclear reply,
//! silence, a carrier refusal) every count equals the audit list's count for
//! the same filters; other tenants, agents and bad filters are refused.

mod common;
use common::standin::{answer, StandIn};
use common::*;
use serde_json::{json, Value};

const PUBLIC: &str = "https://optline.example.com";
const STAGES: [&str; 5] = [
    "agent_request",
    "auto_reprompt",
    "accepted",
    "rejected",
    "opted_out",
];

fn enc(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

/// Every audit record the list returns for `query` (all pages).
async fn audit_all(admin: &Client, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = format!("/api/v1/admin/audit?limit=1000&{query}");
        if let Some(c) = &cursor {
            q.push_str(&format!("&cursor={c}"));
        }
        let r = admin.get(&q).await;
        assert_eq!(r.status, 200, "{q}: {}", r.text);
        out.extend(r.body["items"].as_array().unwrap().iter().cloned());
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

async fn audit_count(admin: &Client, query: &str) -> i64 {
    audit_all(admin, query).await.len() as i64
}

async fn clock_now(c: &Client) -> String {
    c.get("/api/v1/test/clock").await.body["now"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn advance(c: &Client, secs: i64) {
    let r = c
        .post("/api/v1/test/clock", json!({"advance_seconds": secs}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

fn stage_total(ins: &Value, stage: &str) -> i64 {
    let f = &ins["funnel"];
    match stage {
        "agent_request" => f["requests_by_agents"].as_i64().unwrap(),
        "auto_reprompt" => f["requests_automatic"].as_i64().unwrap(),
        other => f[other].as_i64().unwrap(),
    }
}

struct Scenario {
    server: Server,
    admin: Client,
    ana: Client,
    ben: Client,
    period: String,
    from: String,
    to: String,
    _standin: StandIn,
}

/// Ana (SMS, simulator): YES after 2 minutes, NO, STOP, an unclear reply
/// (re-prompt, then silence), silence, and a WhatsApp request answered YES
/// after 10 minutes. Ben (Twilio): a request the carrier refuses (21610).
/// Then a day passes, so the silent requests count as unanswered.
async fn scenario() -> Scenario {
    let standin = StandIn::start().await;
    let server = Server::start(&[
        "--demo",
        "--test-clock",
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
    let ana = Client::login(&server, ANA.0, ANA.1)
        .await
        .with_origin(PUBLIC);
    let ben = Client::login(&server, BEN.0, BEN.1)
        .await
        .with_origin(PUBLIC);
    let from = clock_now(&admin).await;

    let mut convs = Vec::new();
    for (phone, channel) in [
        ("+12025550401", "sms"),
        ("+12025550402", "sms"),
        ("+12025550403", "sms"),
        ("+12025550404", "sms"),
        ("+12025550405", "sms"),
        ("+12025550406", "whatsapp"),
    ] {
        let conv = ana.start_conv(phone, channel).await;
        let r = ana.request_opt_in(conv).await;
        assert_eq!(r.status, 200, "{phone}: {}", r.text);
        convs.push(conv);
    }
    advance(&admin, 120).await;
    ana.inbound("+12025550401", ANA_NUMBER, "sms", "YES").await;
    ana.inbound("+12025550402", ANA_NUMBER, "sms", "NO").await;
    ana.inbound("+12025550403", ANA_NUMBER, "sms", "STOP").await;
    ana.inbound("+12025550404", ANA_NUMBER, "sms", "who is this?")
        .await;
    advance(&admin, 480).await;
    ana.inbound("+12025550406", ANA_NUMBER, "whatsapp", "YES")
        .await;
    assert_eq!(ana.consent_state(convs[0]).await, "accepted");
    assert_eq!(ana.consent_state(convs[1]).await, "rejected");
    assert_eq!(ana.consent_state(convs[2]).await, "opted_out");
    assert_eq!(ana.consent_state(convs[5]).await, "accepted");

    // Ben's number sends through Twilio, which refuses the request.
    let number = admin.number_id(BEN_NUMBER).await;
    let r = admin
        .req(
            "PATCH",
            &format!("/api/v1/admin/numbers/{number}"),
            Some(json!({"provider": {"kind": "twilio",
                "account_sid": "AC00000000000000000000000000000001",
                "auth_token": "twilio-auth-token-c0ffee", "from": BEN_NUMBER}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    standin.script(vec![answer(
        400,
        json!({"code": 21610, "message": "Attempt to send to unsubscribed recipient"}),
    )]);
    let conv = ben.start_conv("+12025550407", "sms").await;
    let r = ben.request_opt_in(conv).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let msg = r.body["messages"][0]["id"].as_i64().unwrap();
    ben.wait_status(conv, msg, "failed").await;
    for _ in 0..200 {
        if ben.consent_state(conv).await == "opted_out" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(ben.consent_state(conv).await, "opted_out");

    advance(&admin, 25 * 3600).await;
    let to = clock_now(&admin).await;
    Scenario {
        server,
        admin,
        ana,
        ben,
        period: format!("from={}&to={}", enc(&from), enc(&to)),
        from,
        to,
        _standin: standin,
    }
}

#[tokio::test]
async fn counts_equal_the_audit_lists_counts_for_the_same_filters() {
    let s = scenario().await;
    let ana_id = s.ana.me_id().await;
    let ben_id = s.ben.me_id().await;
    let me = s.admin.get("/api/v1/me").await;
    let sales = me.body["lines_of_business"][0]["id"].as_i64().unwrap();
    let support = me.body["lines_of_business"][1]["id"].as_i64().unwrap();

    let whole = s
        .admin
        .get(&format!("/api/v1/admin/insights?{}", s.period))
        .await;
    assert_eq!(whole.status, 200, "{}", whole.text);
    let w = &whole.body;
    // The scenario's own numbers.
    assert_eq!(stage_total(w, "agent_request"), 7, "{w}");
    assert_eq!(stage_total(w, "auto_reprompt"), 1, "{w}");
    assert_eq!(stage_total(w, "accepted"), 2, "{w}");
    assert_eq!(stage_total(w, "rejected"), 1, "{w}");
    assert_eq!(stage_total(w, "opted_out"), 2, "{w}");
    let by: Vec<(String, i64)> = w["funnel"]["opted_out_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["how"].as_str().unwrap().to_string(),
                h["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by,
        [
            ("keyword".to_string(), 1),
            ("provider_opt_out".to_string(), 1)
        ]
    );
    // Silent: 404's re-prompt and 405's request (the others were answered
    // within the 24-hour resend interval; Ben's ended in an opt-out).
    assert_eq!(w["funnel"]["no_answer"], 2, "{w}");
    assert_eq!(w["acceptance_rate"].as_f64().unwrap(), 2.0 / 7.0);
    assert_eq!(w["time_to_accept"]["count"], 2);
    // The test clock moved 120 s and 600 s; the real seconds the requests
    // took to send (a busy machine) come on top.
    let secs = |v: &Value| v.as_i64().unwrap();
    assert!(
        (120..125).contains(&secs(&w["time_to_accept"]["median_seconds"])),
        "{w}"
    );
    assert!(
        (600..605).contains(&secs(&w["time_to_accept"]["p90_seconds"])),
        "{w}"
    );
    let failures = w["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{w}");
    assert_eq!(failures[0]["provider"], "twilio");
    assert_eq!(failures[0]["count"], 1);
    assert!(failures[0]["error"].as_str().unwrap().contains("21610"));
    // The daily series adds up to the totals.
    let days = w["daily"].as_array().unwrap();
    assert!(days.len() == 2 || days.len() == 3, "{w}");
    let sum = |k: &str| days.iter().map(|d| d[k].as_i64().unwrap()).sum::<i64>();
    assert_eq!(sum("requests"), 8);
    assert_eq!(sum("acceptances"), 2);
    assert_eq!(sum("opt_outs"), 2);

    // The audit list counts the same records, by the engine's action names
    // (independent of the insights' stage expression)…
    let by_action = |a: &'static str| {
        let admin = &s.admin;
        let period = s.period.clone();
        async move { audit_count(admin, &format!("{period}&action={}", enc(a))).await }
    };
    assert_eq!(
        by_action("pending:agent_request").await + by_action("agent_request").await,
        7
    );
    assert_eq!(by_action("auto_reprompt").await, 1);
    assert_eq!(by_action("accepted:keyword").await, 2);
    assert_eq!(by_action("rejected:keyword").await, 1);
    assert_eq!(
        by_action("opted_out:keyword").await + by_action("opted_out:provider_opt_out").await,
        2
    );

    // …and for every filter, each stage (and opt-out how) of the insights
    // equals the audit list's count with the same filters — over the exact
    // period (counted from the records) and over whole days around it
    // (counted from the daily rollups).
    let day = |t: &str, shift: i64| {
        let d = chrono::NaiveDate::parse_from_str(&t[..10], "%Y-%m-%d").unwrap();
        format!("{}T00%3A00%3A00Z", d + chrono::Duration::days(shift))
    };
    let wide = format!("from={}&to={}", day(&s.from, -1), day(&s.to, 1));
    let wide_q = wide.clone();
    for (period, filter) in [s.period.clone(), wide].into_iter().flat_map(|p| {
        [
            String::new(),
            format!("&agent_id={ana_id}"),
            format!("&agent_id={ben_id}"),
            "&channel=sms".to_string(),
            "&channel=whatsapp".to_string(),
            format!("&line_of_business_id={sales}"),
            format!("&line_of_business_id={support}"),
            format!("&line_of_business_id={sales}&channel=sms&agent_id={ana_id}"),
        ]
        .map(move |f| (p.clone(), f))
    }) {
        let q = format!("{period}{filter}");
        let ins = s.admin.get(&format!("/api/v1/admin/insights?{q}")).await;
        assert_eq!(ins.status, 200, "{filter}: {}", ins.text);
        for stage in STAGES {
            assert_eq!(
                stage_total(&ins.body, stage),
                audit_count(&s.admin, &format!("{q}&stage={stage}")).await,
                "{stage} with {filter:?}"
            );
        }
        for h in ins.body["funnel"]["opted_out_by"].as_array().unwrap() {
            let how = h["how"].as_str().unwrap();
            assert_eq!(
                h["count"].as_i64().unwrap(),
                audit_count(&s.admin, &format!("{q}&stage=opted_out&how={how}")).await,
                "opted out by {how} with {filter:?}"
            );
        }
        // Each day's bar opens the same number of records.
        for d in ins.body["daily"].as_array().unwrap() {
            let day = d["day"].as_str().unwrap();
            let next = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .unwrap()
                .succ_opt()
                .unwrap();
            let dq = format!("from={day}T00%3A00%3A00Z&to={next}T00%3A00%3A00Z{filter}");
            let day_ins = s.admin.get(&format!("/api/v1/admin/insights?{dq}")).await;
            assert_eq!(
                day_ins.body["funnel"]["accepted"].as_i64().unwrap(),
                audit_count(&s.admin, &format!("{dq}&stage=accepted")).await,
                "{day} {filter:?}"
            );
        }
    }
    // The failed send, counted from the daily rollup too.
    let around = s
        .admin
        .get(&format!("/api/v1/admin/insights?{wide_q}"))
        .await;
    assert_eq!(around.body["failures"], w["failures"], "{}", around.text);
    // Ben's part alone: one request, refused by the carrier, one failure.
    let ben = s
        .admin
        .get(&format!(
            "/api/v1/admin/insights?{}&agent_id={ben_id}",
            s.period
        ))
        .await;
    assert_eq!(stage_total(&ben.body, "agent_request"), 1);
    assert_eq!(ben.body["funnel"]["no_answer"], 0);
    assert_eq!(ben.body["failures"].as_array().unwrap().len(), 1);
    let wa = s
        .admin
        .get(&format!(
            "/api/v1/admin/insights?{}&channel=whatsapp",
            s.period
        ))
        .await;
    assert_eq!(wa.body["failures"].as_array().unwrap().len(), 0);
    assert!((600..605).contains(&secs(&wa.body["time_to_accept"]["median_seconds"])));
    drop(s.server);
}

#[tokio::test]
async fn no_answer_waits_for_the_resend_interval() {
    let s = Server::start(&["--demo", "--test-clock"]);
    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let from = clock_now(&admin).await;
    let conv = ana.start_conv("+12025550411", "sms").await;
    assert_eq!(ana.request_opt_in(conv).await.status, 200);
    let q = |to: String| format!("/api/v1/admin/insights?from={}&to={}", enc(&from), enc(&to));
    advance(&admin, 23 * 3600).await;
    let r = admin.get(&q(clock_now(&admin).await)).await;
    assert_eq!(r.body["funnel"]["no_answer"], 0, "{}", r.text);
    advance(&admin, 3600 + 1).await;
    let r = admin.get(&q(clock_now(&admin).await)).await;
    assert_eq!(r.body["funnel"]["no_answer"], 1, "{}", r.text);
    // A late answer does not make the request answered in time.
    ana.inbound("+12025550411", ANA_NUMBER, "sms", "YES").await;
    // `to` is exclusive: let a second pass so the answer is inside.
    advance(&admin, 1).await;
    let r = admin.get(&q(clock_now(&admin).await)).await;
    assert_eq!(r.body["funnel"]["no_answer"], 1, "{}", r.text);
    let audit = admin
        .get("/api/v1/admin/audit?contact=%2B12025550411")
        .await;
    assert_eq!(
        r.body["funnel"]["accepted"], 1,
        "{}\n{}",
        r.text, audit.text
    );
}

#[tokio::test]
async fn other_tenants_see_nothing_and_cannot_name_our_filters() {
    let s = Server::start(&["--demo"]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_optline-server"))
        .args([
            "init-org",
            "--name",
            "Other Corp",
            "--admin-email",
            "boss@other.example",
        ])
        .args(["--admin-password", "other-password", "--db"])
        .arg(s.db_arg())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let conv = ana.start_conv("+12025550421", "sms").await;
    assert_eq!(ana.request_opt_in(conv).await.status, 200);
    ana.inbound("+12025550421", ANA_NUMBER, "sms", "YES").await;

    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    let ours = admin.get("/api/v1/admin/insights").await;
    assert_eq!(ours.status, 200, "{}", ours.text);
    assert!(stage_total(&ours.body, "accepted") >= 1);

    let boss = Client::login(&s, "boss@other.example", "other-password").await;
    let theirs = boss.get("/api/v1/admin/insights").await;
    assert_eq!(theirs.status, 200, "{}", theirs.text);
    for stage in STAGES {
        assert_eq!(stage_total(&theirs.body, stage), 0, "{stage}");
    }
    assert_eq!(theirs.body["funnel"]["no_answer"], 0);
    assert_eq!(theirs.body["time_to_accept"]["count"], 0);
    assert!(theirs.body["acceptance_rate"].is_null());
    // Our line of business and agent are unknown to them (never counted).
    let me = admin.get("/api/v1/me").await;
    let sales = me.body["lines_of_business"][0]["id"].as_i64().unwrap();
    let ana_id = ana.me_id().await;
    let r = boss
        .get(&format!(
            "/api/v1/admin/insights?line_of_business_id={sales}"
        ))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "line_of_business_id");
    let r = boss
        .get(&format!("/api/v1/admin/insights?agent_id={ana_id}"))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "agent_id");
    // Nor does their audit list open our records through the same filters.
    let r = boss
        .get(&format!(
            "/api/v1/admin/audit?stage=accepted&agent_id={ana_id}"
        ))
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 0, "{}", r.text);
}

#[tokio::test]
async fn agents_are_refused_and_bad_filters_name_their_field() {
    let s = Server::start(&["--demo"]);
    let ana = Client::login(&s, ANA.0, ANA.1).await;
    let r = ana.get("/api/v1/admin/insights").await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "forbidden");
    assert_eq!(
        Client::new(&s).get("/api/v1/admin/insights").await.status,
        401
    );

    let admin = Client::login(&s, ADMIN.0, ADMIN.1).await;
    for (q, field) in [
        ("from=last-week", "from"),
        ("to=2026-02-30T00:00:00Z", "to"),
        ("from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "to"),
        ("from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from"),
        ("channel=fax", "channel"),
        ("agent_id=abc", "agent_id"),
        ("agent_id=999999", "agent_id"),
        ("line_of_business_id=0", "line_of_business_id"),
        ("line_of_business_id=999999", "line_of_business_id"),
        ("lob=1", "lob"),
        ("channel=sms&channel=sms", "channel"),
    ] {
        let r = admin.get(&format!("/api/v1/admin/insights?{q}")).await;
        assert_eq!(r.status, 422, "{q}: {}", r.text);
        assert_eq!(r.body["error"]["field"], field, "{q}: {}", r.text);
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(field),
            "{q}"
        );
    }
    // The audit list refuses an unknown stage, naming it.
    let r = admin.get("/api/v1/admin/audit?stage=maybe").await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.body["error"]["field"], "stage");
}
