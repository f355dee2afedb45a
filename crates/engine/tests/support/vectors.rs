//! Scenario-vector runner shared by the native test, the wasm test and the
//! `replay` example. The format is specified in the crate README
//! ("Scenario vectors"). This file is test support, not part of the library.

#![allow(dead_code)]

use chrono::{DateTime, Utc};
use optline_engine::*;
use serde_json::{json, Map, Value};

/// One line of progress output per step, and the first mismatch if any.
pub struct Report {
    pub lines: Vec<String>,
    pub failure: Option<String>,
    pub steps: usize,
}

fn refusal_code(r: &Result<(), Refusal>) -> Value {
    match r {
        Ok(()) => json!("allowed"),
        Err(r) => json!(r.code.as_str()),
    }
}

fn actor_json(a: &Actor) -> (Value, Value) {
    match a {
        Actor::Contact => (json!("contact"), Value::Null),
        Actor::System => (json!("system"), Value::Null),
        Actor::Agent { id } => (json!("agent"), json!(id.0)),
        Actor::Admin { id } => (json!("admin"), json!(id.0)),
    }
}

/// The observable outcome of one step, as the JSON object expectations are
/// matched against.
pub fn outcome(s: &Step, actions: &AgentActions) -> Value {
    let (verdict, refusal_text, retry_at) = match &s.verdict {
        Verdict::Allowed => (json!("allowed"), Value::Null, Value::Null),
        Verdict::Refused(r) => (json!(r.code.as_str()), json!(r.text), json!(r.retry_at)),
    };
    let attempts = match s.thread.consent {
        ConsentState::Pending { attempts, .. } => json!(attempts),
        _ => Value::Null,
    };
    let audit: Vec<Value> = s
        .audit
        .iter()
        .map(|a| {
            let (actor, actor_id) = actor_json(&a.actor);
            let mut v = serde_json::to_value(a).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("actor".into(), actor);
                m.insert("actor_id".into(), actor_id);
            }
            v
        })
        .collect();
    json!({
        "verdict": verdict,
        "refusal_text": refusal_text,
        "retry_at": retry_at,
        "state": s.thread.consent.name().as_str(),
        "attempts": attempts,
        "auto_reprompts": s.thread.auto_reprompts,
        "thread": serde_json::to_value(&s.thread).unwrap_or(Value::Null),
        "holder": s.holder.map(|h| h.0),
        "outbound": serde_json::to_value(&s.outbound).unwrap_or(Value::Null),
        "notice": s.notice.as_ref().map(|n| serde_json::to_value(n.code).unwrap_or(Value::Null)),
        "notice_text": s.notice.as_ref().map(|n| n.text.clone()),
        "audit": audit,
        "actions": {
            "send": refusal_code(&actions.send),
            "send_text": actions.send.as_ref().err().map(|r| r.text.clone()),
            "request_opt_in": refusal_code(&actions.request_opt_in),
            "request_opt_in_text": actions.request_opt_in.as_ref().err().map(|r| r.text.clone()),
            "request_opt_in_retry_at": actions.request_opt_in.as_ref().err().and_then(|r| r.retry_at),
            "resend_at": actions.resend_at,
            "window_closes_at": actions.window_closes_at,
            "expired": actions.expired,
            "banner": actions.banner,
        },
    })
}

/// Partial match: every key of an expected object must match; a key ending in
/// `_contains` checks that the actual string under the key without the suffix
/// contains the expected text; arrays must have the same length and match
/// element-wise; scalars must be equal. Returns the first difference.
pub fn diff(path: &str, expected: &Value, actual: &Value) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                if let Some(base) = k.strip_suffix("_contains") {
                    let av = a.get(base).and_then(Value::as_str).unwrap_or("");
                    let want = ev.as_str().unwrap_or("");
                    if !av.contains(want) {
                        return Some(format!(
                            "{path}.{base}: expected text containing\n    {want:?}\n  actual\n    {av:?}"
                        ));
                    }
                    continue;
                }
                let av = a.get(k).unwrap_or(&Value::Null);
                if let Some(d) = diff(&format!("{path}.{k}"), ev, av) {
                    return Some(d);
                }
            }
            None
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Some(format!(
                    "{path}: expected {} item(s), actual {}\n  expected {}\n  actual   {}",
                    e.len(),
                    a.len(),
                    Value::Array(e.clone()),
                    Value::Array(a.clone())
                ));
            }
            e.iter()
                .zip(a)
                .enumerate()
                .find_map(|(i, (ev, av))| diff(&format!("{path}[{i}]"), ev, av))
        }
        (e, a) if e == a => None,
        (e, a) => Some(format!("{path}: expected\n    {e}\n  actual\n    {a}")),
    }
}

fn merge(base: &mut Map<String, Value>, over: &Map<String, Value>) {
    for (k, v) in over {
        base.insert(k.clone(), v.clone());
    }
}

fn event_summary(ev: &Event) -> String {
    match ev {
        Event::AgentRequestsOptIn { agent } => format!("agent {} requests opt-in", agent.0),
        Event::AgentSends { agent, text } => format!("agent {} sends {:?}", agent.0, text),
        Event::Inbound { text, .. } => format!("inbound {:?}", text),
        Event::ChannelToggled { enabled, .. } => format!("channel toggled enabled={enabled}"),
        Event::Reassigned { to, .. } => format!("reassigned to {:?}", to.map(|u| u.0)),
        Event::TimeZoneChanged { new_zones, .. } => format!("time zone changed to {new_zones}"),
        Event::CarrierOptOut { text, .. } => format!("carrier opt-out {:?}", text),
        Event::ProviderReportsOptOut { reason, .. } => {
            format!("provider reports opt-out {:?}", reason)
        }
        Event::ClockTick => "clock tick".to_string(),
        Event::ManualOptOut { note, .. } => format!("manual opt-out {:?}", note),
        Event::ManualOptIn { reference, .. } => format!("manual opt-in {:?}", reference),
        Event::ButtonReply { payload, label, .. } => {
            format!("button {:?} payload {:?}", label, payload)
        }
    }
}

fn one_line(s: &Step) -> String {
    let verdict = match &s.verdict {
        Verdict::Allowed => "allowed".to_string(),
        Verdict::Refused(r) => format!("refused {}", r.code.as_str()),
    };
    let out: Vec<String> = s
        .outbound
        .iter()
        .map(|o| {
            serde_json::to_value(o.kind)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()
        })
        .collect();
    format!(
        "{verdict}; state {}; outbound [{}]; audit {}; holder {:?}",
        s.thread.consent.name().as_str(),
        out.join(", "),
        s.audit.len(),
        s.holder.map(|h| h.0)
    )
}

/// Runs one vector (JSON text). `name` is used in messages.
pub fn run(name: &str, text: &str) -> Report {
    let mut rep = Report {
        lines: Vec::new(),
        failure: None,
        steps: 0,
    };
    let fail = |rep: &mut Report, msg: String| {
        rep.failure = Some(format!("{name}: {msg}"));
    };
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            fail(&mut rep, format!("not valid JSON: {e}"));
            return rep;
        }
    };
    let channel: Channel =
        match serde_json::from_value(v.get("channel").cloned().unwrap_or(json!("sms"))) {
            Ok(c) => c,
            Err(e) => {
                fail(&mut rep, format!("bad channel: {e}"));
                return rep;
            }
        };
    let flow: Flow = match serde_json::from_value(v.get("flow").cloned().unwrap_or(json!({}))) {
        Ok(f) => f,
        Err(e) => {
            fail(&mut rep, format!("bad flow: {e}"));
            return rep;
        }
    };
    let validated = validate(&flow, channel);
    // The quiet form (the agent's app) must accept exactly the same flows.
    if validate_quietly(&flow, channel) != validated.clone().ok() {
        fail(
            &mut rep,
            "validate_quietly disagrees with validate".to_string(),
        );
        return rep;
    }
    if let Some(expected) = v.get("expect_flow_problems") {
        let actual = match &validated {
            Ok(_) => json!([]),
            Err(p) => serde_json::to_value(p).unwrap_or(Value::Null),
        };
        rep.lines.push(format!(
            "validate: {} problem(s)",
            actual.as_array().map_or(0, |a| a.len())
        ));
        if let Some(d) = diff("flow_problems", expected, &actual) {
            fail(&mut rep, d);
            return rep;
        }
    }
    if let Some(cases) = v.get("sms_segments").and_then(Value::as_array) {
        if let Some(d) = check_sms_segments(cases, &mut rep) {
            fail(&mut rep, d);
            return rep;
        }
    }
    let Some(steps) = v.get("steps").and_then(Value::as_array) else {
        return rep;
    };
    let flow = match validated {
        Ok(f) => f,
        Err(p) => {
            fail(
                &mut rep,
                format!(
                    "flow is invalid but the vector has steps: {}",
                    serde_json::to_string(&p).unwrap_or_default()
                ),
            );
            return rep;
        }
    };
    let mut ctx_obj: Map<String, Value> = Map::new();
    ctx_obj.insert("channel".into(), json!(channel));
    ctx_obj.insert("now".into(), json!("2026-01-05T15:00:00Z"));
    if let Some(Value::Object(c)) = v.get("context") {
        merge(&mut ctx_obj, c);
    }
    let actions_agent = UserId(v.get("actions_agent").and_then(Value::as_i64).unwrap_or(1));
    let manual_actor: Actor = match v.get("manual_actor") {
        Some(a) => match serde_json::from_value(a.clone()) {
            Ok(a) => a,
            Err(e) => {
                fail(&mut rep, format!("bad manual_actor: {e}"));
                return rep;
            }
        },
        None => Actor::Agent { id: actions_agent },
    };
    let mut thread: Thread =
        match serde_json::from_value(v.get("thread").cloned().unwrap_or(json!({}))) {
            Ok(t) => t,
            Err(e) => {
                fail(&mut rep, format!("bad thread: {e}"));
                return rep;
            }
        };
    for (i, st) in steps.iter().enumerate() {
        let label = format!("step {}", i + 1);
        if let Some(Value::Object(c)) = st.get("context") {
            merge(&mut ctx_obj, c);
        }
        if let Some(at) = st.get("at") {
            ctx_obj.insert("now".into(), at.clone());
        }
        let ctx: Context = match serde_json::from_value(Value::Object(ctx_obj.clone())) {
            Ok(c) => c,
            Err(e) => {
                fail(&mut rep, format!("{label}: bad context: {e}"));
                return rep;
            }
        };
        let event: Event =
            match serde_json::from_value(st.get("event").cloned().unwrap_or(Value::Null)) {
                Ok(e) => e,
                Err(e) => {
                    fail(&mut rep, format!("{label}: bad event: {e}"));
                    return rep;
                }
            };
        let s = step(&flow, &ctx, &thread, &event);
        // Facts that persist to later steps.
        ctx_obj.insert("holder".into(), json!(s.holder.map(|h| h.0)));
        if let Event::ChannelToggled { enabled, .. } = event {
            ctx_obj.insert("channel_enabled".into(), json!(enabled));
        }
        let mut after_ctx = ctx.clone();
        after_ctx.holder = s.holder;
        if let Event::ChannelToggled { enabled, .. } = event {
            after_ctx.channel_enabled = enabled;
        }
        let actions = agent_actions(&flow, &after_ctx, &s.thread, actions_agent);
        let mut actual = outcome(&s, &actions);
        let manual = manual_actions(&s.thread, manual_actor);
        actual["manual_actions"] = json!({
            "record_opt_out": refusal_code(&manual.record_opt_out),
            "record_opt_in": refusal_code(&manual.record_opt_in),
        });
        rep.lines.push(format!(
            "{label} @ {}: {} -> {}",
            ctx.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            event_summary(&event),
            one_line(&s)
        ));
        rep.steps += 1;
        if let Some(expected) = st.get("expect") {
            if let Some(d) = diff("expect", expected, &actual) {
                fail(
                    &mut rep,
                    format!(
                        "{label} ({}): {d}\n  full actual outcome:\n{}",
                        event_summary(&event),
                        serde_json::to_string_pretty(&actual).unwrap_or_default()
                    ),
                );
                return rep;
            }
        }
        thread = s.thread;
    }
    rep
}

/// The text of an `sms_segments` case: `text`, or `parts` — a list of
/// `[piece, times]` pairs — so long texts stay readable.
fn case_text(case: &Value) -> String {
    if let Some(t) = case.get("text").and_then(Value::as_str) {
        return t.to_string();
    }
    let mut out = String::new();
    for p in case
        .get("parts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let piece = p.get(0).and_then(Value::as_str).unwrap_or("");
        let times = p.get(1).and_then(Value::as_u64).unwrap_or(1) as usize;
        out.push_str(&piece.repeat(times));
    }
    out
}

/// Runs the `sms_segments` cases: `sms_count` of each text, matched
/// partially against `expect` (`encoding`, `segments`, `units`,
/// `units_left`, and `label`, the composer's words).
fn check_sms_segments(cases: &[Value], rep: &mut Report) -> Option<String> {
    for (i, case) in cases.iter().enumerate() {
        let text = case_text(case);
        let c = sms_count(&text);
        let mut actual = serde_json::to_value(c).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut actual {
            m.insert("label".into(), json!(texts::sms_segments(&c)));
        }
        rep.lines.push(format!(
            "sms_segments[{i}]: {} unit(s) -> {}",
            c.units,
            texts::sms_segments(&c)
        ));
        let expected = case.get("expect").unwrap_or(&Value::Null);
        if let Some(d) = diff(&format!("sms_segments[{i}]"), expected, &actual) {
            return Some(d);
        }
    }
    None
}

/// Parses an RFC 3339 instant (helper for tests).
pub fn t(s: &str) -> DateTime<Utc> {
    serde_json::from_value(json!(s)).expect("RFC 3339 time")
}
