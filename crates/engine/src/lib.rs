//! # optline-engine — the opt-in rule engine
//!
//! One pure crate decides, for every agent action and every inbound message,
//! what is allowed, what the contact is sent automatically, what the agent is
//! told and what goes into the audit log. It runs natively in the server
//! (authoritative) and as wasm in the browser (instant feedback), so it is
//! deterministic: no I/O, no clock, no randomness — `now` is an input.
//!
//! ```
//! use optline_engine::*;
//! use chrono::{TimeZone, Utc};
//!
//! let flow = validate(&Flow::default_for(Channel::Sms), Channel::Sms).unwrap();
//! let now = Utc.with_ymd_and_hms(2026, 1, 5, 15, 0, 0).unwrap();
//! let ctx = Context::new(now, Channel::Sms);
//! let s = step(&flow, &ctx, &Thread::default(), &Event::AgentRequestsOptIn { agent: UserId(1) });
//! assert_eq!(s.verdict, Verdict::Allowed);
//! assert_eq!(s.thread.consent.name(), StateName::Pending);
//! assert_eq!(s.outbound[0].kind, OutboundKind::OptInRequest);
//! ```
//!
//! Modules: [`model`] (states, threads), [`flow`] (flows, [`validate`]),
//! [`keywords`] (matching policy), [`rules`] ([`step`]), [`actions`]
//! ([`agent_actions`]), [`audit`], [`texts`] (every user-facing string),
//! [`time`], [`manual`] (rule 13: recorded opt-outs and opt-ins),
//! [`whatsapp`] (rule 14: templates and quick-reply buttons), [`segments`]
//! (rule 17: SMS segment counting).

pub mod actions;
pub mod audit;
pub mod flow;
pub mod keywords;
pub mod manual;
pub mod model;
pub mod rules;
pub mod segments;
pub mod texts;
pub mod time;
pub mod whatsapp;

pub use actions::{agent_actions, AgentActions};
pub use audit::{AuditRecord, How};
pub use flow::{
    validate, validate_quietly, Flow, FlowMode, FlowProblem, KeywordSet, Keywords, Messages,
    QuietHours, Reprompt, ValidFlow,
};
pub use keywords::{
    is_carrier_opt_out, normalize, revocation_reading, Intent, STANDARD_STOP_WORDS,
};
pub use manual::{check_record_opt_in, check_record_opt_out, manual_actions, ManualActions};
pub use model::{Actor, Channel, ConsentState, ConsentStatus, StateName, Thread, UserId};
pub use rules::{
    check_dispatch, check_request, check_send, consent_status, is_expired, resend_at, step,
    window_closes_at, Context, Event, Notice, NoticeCode, Outbound, OutboundKind, Refusal,
    RefusalCode, Step, Verdict,
};
pub use segments::{is_gsm7, sms_count, SmsCount, SmsEncoding};
pub use whatsapp::{classify_button, template_send, TemplateParam, TemplateSend, WhatsAppTemplate};
