//! The rules (DESIGN.md, "The rules"): [`step`] applies one [`Event`] to a
//! [`Thread`] and says what happens — the next state, what the contact is sent
//! automatically, the verdict for the agent and the audit records.
//!
//! The agent-side checks ([`check_request`], [`check_send`]) are shared with
//! [`crate::agent_actions`], so the UI's preview and the authoritative step
//! can never disagree.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::{AuditRecord, How};
use crate::flow::{Fill, KeywordSet, ValidFlow};
use crate::keywords::Intent;
use crate::model::{Actor, Channel, ConsentState, ConsentStatus, StateName, Thread, UserId};
use crate::texts;
use crate::time::{add_secs, hhmm, quiet_until, quiet_until_in_all, secs_between, QuietEnd};

/// WhatsApp's customer-service window (rule 10), in seconds.
pub const WHATSAPP_WINDOW_SECONDS: i64 = 24 * 3600;
/// Minimum gap between two "channel deactivated" auto-replies to the same
/// contact (loop protection), in seconds.
pub const CHANNEL_OFF_REPLY_GAP_SECONDS: i64 = 24 * 3600;

/// Facts the caller supplies with every decision. The engine reads no clock
/// and no database: everything it needs is here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// The current instant (server clock, or the browser's).
    pub now: DateTime<Utc>,
    /// The thread's channel.
    pub channel: Channel,
    /// Whether an admin has this channel switched on for the business number.
    #[serde(default = "yes")]
    pub channel_enabled: bool,
    /// The contact's UTC offset at `now`, in seconds (e.g. -18000 for New
    /// York in winter). The server computes it with a tz library, the browser
    /// with `Intl`. Used for quiet hours only.
    #[serde(default)]
    pub contact_utc_offset_seconds: i32,
    /// Further offsets the contact may be at, when their number spans several
    /// time zones and nobody has said which one is theirs. Quiet hours hold
    /// while it is quiet in *any* of them (the most restrictive reading).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact_other_utc_offsets_seconds: Vec<i32>,
    /// WhatsApp only: the user currently messaging this contact within the
    /// line of business (rule 8), `None` when nobody holds the contact.
    #[serde(default)]
    pub holder: Option<UserId>,
    /// `{company}` placeholder.
    #[serde(default)]
    pub company: String,
    /// `{agent}` placeholder: the acting agent, or the contact's agent for
    /// automatic replies.
    #[serde(default)]
    pub agent_name: String,
    /// `{contact}` placeholder.
    #[serde(default)]
    pub contact_name: String,
}

fn yes() -> bool {
    true
}

impl Context {
    /// A context with the channel enabled, offset 0, no holder, empty names.
    pub fn new(now: DateTime<Utc>, channel: Channel) -> Context {
        Context {
            now,
            channel,
            channel_enabled: true,
            contact_utc_offset_seconds: 0,
            contact_other_utc_offsets_seconds: Vec::new(),
            holder: None,
            company: String::new(),
            agent_name: String::new(),
            contact_name: String::new(),
        }
    }
}

/// Something that happened to a thread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// An agent pressed "Request opt-in".
    AgentRequestsOptIn { agent: UserId },
    /// An agent sends a free-form message.
    AgentSends { agent: UserId, text: String },
    /// The contact wrote to the business number.
    Inbound {
        text: String,
        #[serde(default)]
        provider_message_id: Option<String>,
    },
    /// An admin switched the channel on or off for the number. The new value
    /// must also be reflected in later contexts' `channel_enabled`.
    ChannelToggled { enabled: bool, by: UserId },
    /// An admin reassigned (`Some`) or released (`None`) the contact.
    Reassigned { to: Option<UserId>, by: UserId },
    /// An admin changed the contact's time zone(s), which moves quiet hours
    /// (rule 11). Zones as IANA names separated by spaces; `note` says why.
    TimeZoneChanged {
        old_zones: String,
        new_zones: String,
        #[serde(default)]
        note: Option<String>,
        by: UserId,
    },
    /// The contact wrote a message the carrier itself treated as an opt-out
    /// (Twilio's opt-out handling): the carrier has already confirmed it to
    /// the contact and blocks further messages, so consent follows the
    /// carrier and nothing is sent.
    CarrierOptOut {
        text: String,
        #[serde(default)]
        provider_message_id: Option<String>,
    },
    /// The provider refused a send because the contact has opted out with
    /// the carrier (e.g. Twilio error 21610). `reason` is the provider's
    /// own words; `provider_message_id` the refused message's id, if any.
    ProviderReportsOptOut {
        reason: String,
        #[serde(default)]
        provider_message_id: Option<String>,
    },
    /// Time passed; nothing was done. Lets previews notice derived changes
    /// (an expired request).
    ClockTick,
    /// Rule 13: an agent or admin (`by`) records an opt-out the contact gave
    /// another way; `note` (required) says how.
    ManualOptOut { by: Actor, note: String },
    /// Rule 13: an admin (`by`; agents are refused) records an opt-in
    /// collected elsewhere: `reference` of the evidence and the exact
    /// `agreed_text`, both required.
    ManualOptIn {
        by: Actor,
        reference: String,
        agreed_text: String,
    },
    /// Rule 14: the contact tapped a WhatsApp quick-reply button. Counts by
    /// `payload`, exactly; `label` is what the button said.
    ButtonReply {
        payload: String,
        label: String,
        #[serde(default)]
        provider_message_id: Option<String>,
    },
}

/// Why an agent action was refused: a stable code and the exact words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refusal {
    pub code: RefusalCode,
    pub text: String,
    /// When the action becomes possible, if that is known.
    #[serde(default, deserialize_with = "crate::time::optional_rfc3339")]
    pub retry_at: Option<DateTime<Utc>>,
}

/// Stable refusal codes (snake_case on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RefusalCode {
    /// Rule 1: no consent yet (NotRequested).
    ConsentRequired,
    /// Rule 1: a request is pending.
    ConsentPending,
    /// Rule 3: the resend interval has not passed.
    ResendTooSoon,
    /// A request while already Accepted.
    AlreadyAccepted,
    /// Rule 5.
    Rejected,
    /// Rule 7.
    OptedOut,
    /// Rule 8.
    OwnedByOtherUser,
    /// Rule 9.
    ChannelDisabled,
    /// Rule 10.
    WhatsappWindowClosed,
    /// Rule 11.
    QuietHours,
    /// An empty free-form message.
    EmptyMessage,
    /// Rule 15: the flow sends a disclosure notice, so no opt-in request.
    RequestNotNeeded,
    /// Rule 13: the actor's role may not do this (an agent recording an
    /// opt-in).
    NotAllowedForRole,
    /// Recording an opt-out for a contact who already opted out.
    AlreadyOptedOut,
    /// Rule 13: a recorded opt-out needs a note.
    NoteRequired,
    NoteTooLong,
    /// Rule 13: a recorded opt-in needs its evidence's reference…
    ReferenceRequired,
    ReferenceTooLong,
    /// …and the exact text the contact agreed to.
    AgreedTextRequired,
    AgreedTextTooLong,
}

impl RefusalCode {
    /// The serde string, e.g. `"resend_too_soon"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalCode::ConsentRequired => "consent_required",
            RefusalCode::ConsentPending => "consent_pending",
            RefusalCode::ResendTooSoon => "resend_too_soon",
            RefusalCode::AlreadyAccepted => "already_accepted",
            RefusalCode::Rejected => "rejected",
            RefusalCode::OptedOut => "opted_out",
            RefusalCode::OwnedByOtherUser => "owned_by_other_user",
            RefusalCode::ChannelDisabled => "channel_disabled",
            RefusalCode::WhatsappWindowClosed => "whatsapp_window_closed",
            RefusalCode::QuietHours => "quiet_hours",
            RefusalCode::EmptyMessage => "empty_message",
            RefusalCode::RequestNotNeeded => "request_not_needed",
            RefusalCode::NotAllowedForRole => "not_allowed_for_role",
            RefusalCode::AlreadyOptedOut => "already_opted_out",
            RefusalCode::NoteRequired => "note_required",
            RefusalCode::NoteTooLong => "note_too_long",
            RefusalCode::ReferenceRequired => "reference_required",
            RefusalCode::ReferenceTooLong => "reference_too_long",
            RefusalCode::AgreedTextRequired => "agreed_text_required",
            RefusalCode::AgreedTextTooLong => "agreed_text_too_long",
        }
    }

    /// The input field a refusal is about, when the input (not the state)
    /// is at fault: the API answers 422 naming it, the UI marks it.
    pub fn field(self) -> Option<&'static str> {
        match self {
            RefusalCode::NoteRequired | RefusalCode::NoteTooLong => Some("note"),
            RefusalCode::ReferenceRequired | RefusalCode::ReferenceTooLong => Some("reference"),
            RefusalCode::AgreedTextRequired | RefusalCode::AgreedTextTooLong => Some("agreed_text"),
            _ => None,
        }
    }
}

/// The verdict on the event for the agent who caused it. Contact and admin
/// events are always `Allowed` (the engine records, never refuses, what
/// already happened).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Allowed,
    Refused(Refusal),
}

/// Something the agent's view should say after the event (e.g. "The contact
/// accepted").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub code: NoticeCode,
    pub text: String,
}

/// Stable notice codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeCode {
    ContactAccepted,
    ContactRejected,
    ContactOptedOut,
    RepromptSent,
    RepromptsExhausted,
    HelpSent,
    ChannelOffInbound,
    ResendAvailable,
}

/// What kind of message goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboundKind {
    /// Rule 2/6: the flow's request (a template on WhatsApp).
    OptInRequest,
    /// Rule 4: confirmation after accepting.
    OptInConfirmation,
    /// Rule 5: confirmation after rejecting.
    RejectionConfirmation,
    /// Rule 7: opt-out confirmation with re-opt-in instructions.
    OptOutConfirmation,
    /// Rule 7: reply to HELP/INFO.
    Help,
    /// Rule 9: channel deactivated.
    ChannelOffAutoReply,
    /// Rule 1: the agent's own free-form message.
    AgentMessage,
    /// Rule 15: the disclosure notice, sent just before the first agent
    /// message in disclaimer mode.
    DisclaimerNotice,
}

/// A message to send to the contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbound {
    pub kind: OutboundKind,
    pub text: String,
    /// Must go out as an approved WhatsApp template (the opt-in request on
    /// WhatsApp); everything else is a free-form session message.
    pub template: bool,
}

/// The result of [`step`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The thread after the event; store it.
    pub thread: Thread,
    /// The WhatsApp holder after the event (rule 8); store it when it differs
    /// from `Context::holder`.
    pub holder: Option<UserId>,
    /// Messages to send to the contact, in order.
    pub outbound: Vec<Outbound>,
    /// The verdict for the agent who acted.
    pub verdict: Verdict,
    /// What the agent's view should say.
    pub notice: Option<Notice>,
    /// Records to append to the audit log.
    pub audit: Vec<AuditRecord>,
}

fn refuse(code: RefusalCode, text: String, retry_at: Option<DateTime<Utc>>) -> Refusal {
    Refusal {
        code,
        text,
        retry_at,
    }
}

/// When the pending request may be resent (`None` unless Pending).
pub fn resend_at(flow: &ValidFlow, thread: &Thread) -> Option<DateTime<Utc>> {
    match thread.consent {
        ConsentState::Pending { requested_at, .. } => {
            Some(add_secs(requested_at, flow.resend_interval_seconds()))
        }
        _ => None,
    }
}

/// Derived "Expired": Pending and the resend interval has passed.
pub fn is_expired(flow: &ValidFlow, thread: &Thread, now: DateTime<Utc>) -> bool {
    resend_at(flow, thread).is_some_and(|t| now >= t)
}

/// Consent as people see it at `now`: the state's name, or `Expired` for a
/// pending request past the resend interval.
pub fn consent_status(flow: &ValidFlow, thread: &Thread, now: DateTime<Utc>) -> ConsentStatus {
    if is_expired(flow, thread, now) {
        return ConsentStatus::Expired;
    }
    match thread.consent.name() {
        StateName::NotRequested => ConsentStatus::NotRequested,
        StateName::Notified => ConsentStatus::Notified,
        StateName::Pending => ConsentStatus::Pending,
        StateName::Accepted => ConsentStatus::Accepted,
        StateName::Rejected => ConsentStatus::Rejected,
        StateName::OptedOut => ConsentStatus::OptedOut,
    }
}

/// When the WhatsApp window closes (`None` if the contact never wrote).
pub fn window_closes_at(thread: &Thread) -> Option<DateTime<Utc>> {
    thread
        .last_inbound_at
        .map(|t| add_secs(t, WHATSAPP_WINDOW_SECONDS))
}

fn common_checks(ctx: &Context, agent: UserId) -> Result<(), Refusal> {
    if !ctx.channel_enabled {
        return Err(refuse(
            RefusalCode::ChannelDisabled,
            texts::channel_disabled(ctx.channel),
            None,
        ));
    }
    if ctx.channel == Channel::WhatsApp {
        if let Some(h) = ctx.holder {
            if h != agent {
                return Err(refuse(
                    RefusalCode::OwnedByOtherUser,
                    texts::OWNED_BY_OTHER_USER.to_string(),
                    None,
                ));
            }
        }
    }
    Ok(())
}

/// May `agent` send an opt-in request now? (Rules 2, 3, 5, 7, 8, 9, 11.)
pub fn check_request(
    flow: &ValidFlow,
    ctx: &Context,
    thread: &Thread,
    agent: UserId,
) -> Result<(), Refusal> {
    common_checks(ctx, agent)?;
    match thread.consent {
        ConsentState::Accepted { .. } => {
            return Err(refuse(
                RefusalCode::AlreadyAccepted,
                texts::ALREADY_ACCEPTED.to_string(),
                None,
            ))
        }
        ConsentState::Rejected { .. } => {
            return Err(refuse(
                RefusalCode::Rejected,
                flow.txt.rejected.clone(),
                None,
            ))
        }
        ConsentState::OptedOut { .. } => {
            return Err(refuse(
                RefusalCode::OptedOut,
                flow.txt.opted_out.clone(),
                None,
            ))
        }
        ConsentState::Pending { .. } => {
            if let Some(at) = resend_at(flow, thread) {
                if ctx.now < at {
                    let left = texts::duration_short(secs_between(ctx.now, at));
                    return Err(refuse(
                        RefusalCode::ResendTooSoon,
                        texts::resend_too_soon(&left),
                        Some(at),
                    ));
                }
            }
        }
        // Disclaimer mode: the notice replaces the request. Back in consent
        // mode a notified contact is asked like one never asked.
        ConsentState::NotRequested | ConsentState::Notified { .. } => {
            if flow.disclaimer_mode() {
                return Err(refuse(
                    RefusalCode::RequestNotNeeded,
                    texts::REQUEST_NOT_NEEDED.to_string(),
                    None,
                ));
            }
        }
    }
    if let Some(q) = flow.quiet {
        check_quiet_hours(flow, q, ctx)?;
    }
    Ok(())
}

/// Rule 11 for one contact: quiet in the contact's zone, or — when their
/// number spans several zones — in any of them.
fn check_quiet_hours(flow: &ValidFlow, q: (u32, u32), ctx: &Context) -> Result<(), Refusal> {
    if ctx.contact_other_utc_offsets_seconds.is_empty() {
        return match quiet_until(q, ctx.now, ctx.contact_utc_offset_seconds) {
            Some(until) => Err(refuse(
                RefusalCode::QuietHours,
                flow.txt.quiet.clone(),
                Some(until),
            )),
            None => Ok(()),
        };
    }
    let offsets: Vec<i32> = std::iter::once(ctx.contact_utc_offset_seconds)
        .chain(ctx.contact_other_utc_offsets_seconds.iter().copied())
        .collect();
    let (start, end) = (hhmm(q.0), hhmm(q.1));
    match quiet_until_in_all(q, ctx.now, &offsets) {
        QuietEnd::NotQuiet => Ok(()),
        QuietEnd::At(until) => {
            let left = texts::duration_short(secs_between(ctx.now, until));
            Err(refuse(
                RefusalCode::QuietHours,
                texts::quiet_hours_in_some_zone(&start, &end, &left),
                Some(until),
            ))
        }
        QuietEnd::Never => Err(refuse(
            RefusalCode::QuietHours,
            texts::quiet_hours_all_day(&start, &end),
            None,
        )),
    }
}

/// An admin's action that touches the thread but not its consent state:
/// audited with the state unchanged.
fn audit_admin_action(s: &mut Step, ctx: &Context, by: UserId, how: How, evidence: String) {
    let state = s.thread.consent.name();
    s.audit.push(AuditRecord {
        at: ctx.now,
        actor: Actor::Admin { id: by },
        channel: ctx.channel,
        from: state,
        to: state,
        how,
        keyword: None,
        evidence,
        provider_message_id: None,
    });
}

/// May `agent` send a free-form message now? (Rules 1, 7, 8, 9, 10.) Does
/// not look at the text; [`step`] also refuses an empty one.
pub fn check_send(
    flow: &ValidFlow,
    ctx: &Context,
    thread: &Thread,
    agent: UserId,
) -> Result<(), Refusal> {
    common_checks(ctx, agent)?;
    match thread.consent {
        // Rule 15: in disclaimer mode the first message carries the notice
        // (see `step`) and later ones need nothing more.
        ConsentState::NotRequested | ConsentState::Notified { .. } if flow.disclaimer_mode() => {}
        ConsentState::NotRequested | ConsentState::Notified { .. } => {
            return Err(refuse(
                RefusalCode::ConsentRequired,
                texts::CONSENT_REQUIRED.to_string(),
                None,
            ))
        }
        ConsentState::Pending { .. } => {
            let text = if is_expired(flow, thread, ctx.now) {
                flow.txt.expired.clone()
            } else {
                flow.txt.consent_pending.clone()
            };
            return Err(refuse(RefusalCode::ConsentPending, text, None));
        }
        ConsentState::Rejected { .. } => {
            return Err(refuse(
                RefusalCode::Rejected,
                flow.txt.rejected.clone(),
                None,
            ))
        }
        ConsentState::OptedOut { .. } => {
            return Err(refuse(
                RefusalCode::OptedOut,
                flow.txt.opted_out.clone(),
                None,
            ))
        }
        ConsentState::Accepted { .. } => {}
    }
    if ctx.channel == Channel::WhatsApp {
        let open = window_closes_at(thread).is_some_and(|c| ctx.now < c);
        if !open {
            return Err(refuse(
                RefusalCode::WhatsappWindowClosed,
                texts::WHATSAPP_WINDOW_CLOSED.to_string(),
                None,
            ));
        }
    }
    Ok(())
}

fn notice(code: NoticeCode, text: &str) -> Option<Notice> {
    Some(Notice {
        code,
        text: text.to_string(),
    })
}

/// Applies one event. Pure and total: never panics, whatever the input.
pub fn step(flow: &ValidFlow, ctx: &Context, thread: &Thread, event: &Event) -> Step {
    let mut s = Step {
        thread: thread.clone(),
        holder: ctx.holder,
        outbound: Vec::new(),
        verdict: Verdict::Allowed,
        notice: None,
        audit: Vec::new(),
    };
    let fill = Fill {
        company: &ctx.company,
        agent: &ctx.agent_name,
        contact: &ctx.contact_name,
        channel: ctx.channel.display_name(),
    };
    let now = ctx.now;
    let from = thread.consent.name();
    match event {
        Event::AgentRequestsOptIn { agent } => match check_request(flow, ctx, thread, *agent) {
            Err(r) => s.verdict = Verdict::Refused(r),
            Ok(()) => {
                let attempts = match thread.consent {
                    ConsentState::Pending { attempts, .. } => attempts.saturating_add(1),
                    _ => 1,
                };
                s.thread.consent = ConsentState::Pending {
                    requested_at: now,
                    attempts,
                };
                s.thread.auto_reprompts = 0;
                let text = flow.request.render(&fill);
                s.audit.push(AuditRecord {
                    at: now,
                    actor: Actor::Agent { id: *agent },
                    channel: ctx.channel,
                    from,
                    to: StateName::Pending,
                    how: How::AgentRequest,
                    keyword: None,
                    evidence: text.clone(),
                    provider_message_id: None,
                });
                s.outbound.push(Outbound {
                    kind: OutboundKind::OptInRequest,
                    text,
                    template: ctx.channel == Channel::WhatsApp,
                });
                claim(&mut s, ctx, *agent);
            }
        },
        Event::AgentSends { agent, text } => match check_send(flow, ctx, thread, *agent) {
            Err(r) => s.verdict = Verdict::Refused(r),
            Ok(()) if text.trim().is_empty() => {
                s.verdict = Verdict::Refused(refuse(
                    RefusalCode::EmptyMessage,
                    texts::EMPTY_MESSAGE.to_string(),
                    None,
                ))
            }
            Ok(()) => {
                if thread.consent == ConsentState::NotRequested && flow.disclaimer_mode() {
                    disclose(&mut s, flow, ctx, &fill, *agent);
                }
                s.outbound.push(Outbound {
                    kind: OutboundKind::AgentMessage,
                    text: text.clone(),
                    template: false,
                });
                claim(&mut s, ctx, *agent);
            }
        },
        Event::Inbound {
            text,
            provider_message_id,
        } => {
            let reply = Reply {
                intent: flow.classify(text),
                how: How::Keyword,
                evidence: text,
                pmid: provider_message_id,
            };
            inbound(&mut s, flow, ctx, &fill, reply)
        }
        Event::ButtonReply {
            payload,
            label,
            provider_message_id,
        } => {
            let reply = Reply {
                intent: crate::whatsapp::classify_button(flow, payload, label),
                how: How::ButtonReply,
                evidence: label,
                pmid: provider_message_id,
            };
            inbound(&mut s, flow, ctx, &fill, reply)
        }
        Event::ManualOptOut { by, note } => {
            crate::manual::record_opt_out(&mut s, flow, ctx, &fill, *by, note)
        }
        Event::ManualOptIn {
            by,
            reference,
            agreed_text,
        } => crate::manual::record_opt_in(&mut s, ctx, *by, reference, agreed_text),
        Event::ChannelToggled { enabled, by } => {
            let evidence = format!(
                "{} turned {} for this number",
                ctx.channel.display_name(),
                if *enabled { "on" } else { "off" }
            );
            audit_admin_action(&mut s, ctx, *by, How::ChannelToggled, evidence);
        }
        Event::Reassigned { to, by } => {
            s.holder = *to;
            let evidence = match to {
                Some(u) => format!("contact assigned to user {}", u.0),
                None => "contact released".to_string(),
            };
            audit_admin_action(&mut s, ctx, *by, How::Reassigned, evidence);
        }
        Event::TimeZoneChanged {
            old_zones,
            new_zones,
            note,
            by,
        } => {
            let evidence = texts::time_zone_changed(old_zones, new_zones, note.as_deref());
            audit_admin_action(&mut s, ctx, *by, How::TimeZoneChanged, evidence);
        }
        Event::CarrierOptOut {
            text,
            provider_message_id,
        } => {
            s.thread.last_inbound_at = Some(now);
            outside_opt_out(
                &mut s,
                ctx,
                Actor::Contact,
                How::CarrierStop,
                text,
                provider_message_id,
            );
        }
        Event::ProviderReportsOptOut {
            reason,
            provider_message_id,
        } => outside_opt_out(
            &mut s,
            ctx,
            Actor::System,
            How::ProviderOptOut,
            reason,
            provider_message_id,
        ),
        Event::ClockTick => {
            if is_expired(flow, thread, now) {
                s.notice = Some(Notice {
                    code: NoticeCode::ResendAvailable,
                    text: flow.txt.expired.clone(),
                });
            }
        }
    }
    s
}

/// An opt-out that happened outside Optline's own matching (the carrier or
/// the provider acted): recorded once, with no confirmation from us since
/// the carrier already sent its own and blocks ours.
fn outside_opt_out(
    s: &mut Step,
    ctx: &Context,
    actor: Actor,
    how: How,
    evidence: &str,
    pmid: &Option<String>,
) {
    let from = s.thread.consent.name();
    if from == StateName::OptedOut {
        return;
    }
    s.thread.consent = ConsentState::OptedOut { at: ctx.now };
    s.audit.push(AuditRecord {
        at: ctx.now,
        actor,
        channel: ctx.channel,
        from,
        to: StateName::OptedOut,
        how,
        keyword: None,
        evidence: evidence.to_string(),
        provider_message_id: pmid.clone(),
    });
    s.notice = notice(NoticeCode::ContactOptedOut, texts::NOTICE_OPTED_OUT);
}

/// May an outbound message the engine produced earlier be handed to the
/// provider *now*? The verdict was given when the message was created; a
/// send retried later must not go out as free text once WhatsApp's window
/// has closed (rule 10). The refusal carries the engine's window text; the
/// message is failed with it, never swapped for another message.
pub fn check_dispatch(
    channel: Channel,
    thread: &Thread,
    template: bool,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    if channel == Channel::WhatsApp && !template {
        let open = window_closes_at(thread).is_some_and(|c| now < c);
        if !open {
            return Err(refuse(
                RefusalCode::WhatsappWindowClosed,
                texts::WHATSAPP_WINDOW_CLOSED.to_string(),
                None,
            ));
        }
    }
    Ok(())
}

/// Rule 15: the first agent message of a thread in disclaimer mode goes out
/// right after the disclosure notice, sent as its own message (so the
/// agent's text stays exactly what they typed, and the notice is the exact,
/// audited text the carrier delivers first); the thread becomes Notified.
fn disclose(s: &mut Step, flow: &ValidFlow, ctx: &Context, fill: &Fill<'_>, agent: UserId) {
    let text = flow.disclaimer.render(fill);
    s.thread.consent = ConsentState::Notified { at: ctx.now };
    s.audit.push(AuditRecord {
        at: ctx.now,
        actor: Actor::Agent { id: agent },
        channel: ctx.channel,
        from: StateName::NotRequested,
        to: StateName::Notified,
        how: How::Disclaimer,
        keyword: None,
        evidence: text.clone(),
        provider_message_id: None,
    });
    s.outbound.push(Outbound {
        kind: OutboundKind::DisclaimerNotice,
        text,
        template: false,
    });
}

/// Rule 8: on WhatsApp an allowed agent action makes the agent the holder.
fn claim(s: &mut Step, ctx: &Context, agent: UserId) {
    if ctx.channel == Channel::WhatsApp && s.holder.is_none() {
        s.holder = Some(agent);
    }
}

/// What the contact sent, as read: a text message or a tapped button.
struct Reply<'a> {
    intent: Intent<'a>,
    /// How an accept or reject keyword is audited: `keyword` for a text,
    /// `button_reply` for a button (its payload in `keyword`).
    how: How,
    /// The text received, or the tapped button's label.
    evidence: &'a str,
    pmid: &'a Option<String>,
}

fn inbound(s: &mut Step, flow: &ValidFlow, ctx: &Context, fill: &Fill<'_>, reply: Reply<'_>) {
    let now = ctx.now;
    let from = s.thread.consent.name();
    s.thread.last_inbound_at = Some(now);
    let Reply {
        intent,
        how: keyword_how,
        evidence: text,
        pmid,
    } = reply;
    let record = |to: StateName, actor: Actor, how: How, keyword: Option<&str>, evidence: &str| {
        AuditRecord {
            at: now,
            actor,
            channel: ctx.channel,
            from,
            to,
            how,
            keyword: keyword.map(str::to_string),
            evidence: evidence.to_string(),
            provider_message_id: pmid.clone(),
        }
    };

    if !ctx.channel_enabled {
        // Rule 9. A revocation is still honoured (recorded), but the only
        // message is the auto-reply, at most once per day per contact.
        let mut to = from;
        if let Some((how, kw)) = revocation(&intent) {
            if from != StateName::OptedOut {
                s.thread.consent = ConsentState::OptedOut { at: now };
                to = StateName::OptedOut;
                s.audit
                    .push(record(to, Actor::Contact, how, Some(kw), text));
            }
        }
        let due = s
            .thread
            .last_channel_off_reply_at
            .is_none_or(|t| secs_between(t, now) >= CHANNEL_OFF_REPLY_GAP_SECONDS || t > now);
        s.audit.push(record(
            to,
            Actor::Contact,
            How::ChannelOffAutoReply,
            None,
            text,
        ));
        if due {
            s.thread.last_channel_off_reply_at = Some(now);
            s.outbound.push(Outbound {
                kind: OutboundKind::ChannelOffAutoReply,
                text: flow.channel_off.render(fill),
                template: false,
            });
        }
        s.notice = notice(NoticeCode::ChannelOffInbound, texts::NOTICE_CHANNEL_OFF);
        return;
    }

    if let Some((how, kw)) = revocation(&intent) {
        // Rule 7 (and FCC 2024): exactly one confirmation, then silence.
        if from != StateName::OptedOut {
            s.thread.consent = ConsentState::OptedOut { at: now };
            s.audit.push(record(
                StateName::OptedOut,
                Actor::Contact,
                how,
                Some(kw),
                text,
            ));
            s.outbound.push(Outbound {
                kind: OutboundKind::OptOutConfirmation,
                text: flow.opted_out.render(fill),
                template: false,
            });
            s.notice = notice(NoticeCode::ContactOptedOut, texts::NOTICE_OPTED_OUT);
        }
        return;
    }

    match intent {
        Intent::Keyword {
            set: KeywordSet::Help,
            ..
        } => {
            s.outbound.push(Outbound {
                kind: OutboundKind::Help,
                text: flow.help.render(fill),
                template: false,
            });
            s.notice = notice(NoticeCode::HelpSent, texts::NOTICE_HELP_SENT);
        }
        Intent::Keyword {
            set: KeywordSet::Accept | KeywordSet::Start,
            keyword,
        } => {
            if from != StateName::Accepted {
                s.thread.consent = ConsentState::Accepted { at: now };
                s.thread.auto_reprompts = 0;
                s.audit.push(record(
                    StateName::Accepted,
                    Actor::Contact,
                    keyword_how,
                    Some(keyword),
                    text,
                ));
                s.outbound.push(Outbound {
                    kind: OutboundKind::OptInConfirmation,
                    text: flow.accepted.render(fill),
                    template: false,
                });
                s.notice = notice(NoticeCode::ContactAccepted, texts::NOTICE_ACCEPTED);
            }
        }
        Intent::Keyword {
            set: KeywordSet::Reject,
            keyword,
        } if from == StateName::Pending => {
            s.thread.consent = ConsentState::Rejected { at: now };
            s.audit.push(record(
                StateName::Rejected,
                Actor::Contact,
                keyword_how,
                Some(keyword),
                text,
            ));
            s.outbound.push(Outbound {
                kind: OutboundKind::RejectionConfirmation,
                text: flow.rejected.render(fill),
                template: false,
            });
            s.notice = notice(NoticeCode::ContactRejected, texts::NOTICE_REJECTED);
        }
        _ => {
            // Rule 6: any other reply while Pending gets a new request, with
            // loop protection. In every other state: nothing automatic.
            if let ConsentState::Pending { attempts, .. } = s.thread.consent {
                if s.thread.auto_reprompts < flow.flow().reprompt.max_auto_reprompts {
                    s.thread.auto_reprompts = s.thread.auto_reprompts.saturating_add(1);
                    s.thread.consent = ConsentState::Pending {
                        requested_at: now,
                        attempts: attempts.saturating_add(1),
                    };
                    let req = flow.request.render(fill);
                    s.audit.push(record(
                        StateName::Pending,
                        Actor::System,
                        How::AutoReprompt,
                        None,
                        &req,
                    ));
                    s.outbound.push(Outbound {
                        kind: OutboundKind::OptInRequest,
                        text: req,
                        template: ctx.channel == Channel::WhatsApp,
                    });
                    s.notice = notice(NoticeCode::RepromptSent, texts::NOTICE_REPROMPTED);
                } else {
                    s.notice = notice(
                        NoticeCode::RepromptsExhausted,
                        texts::NOTICE_REPROMPTS_EXHAUSTED,
                    );
                }
            }
        }
    }
}

/// A stop keyword or a plain-language revocation, with audit details.
fn revocation<'a>(intent: &Intent<'a>) -> Option<(How, &'a str)> {
    match *intent {
        Intent::Keyword {
            set: KeywordSet::Stop,
            keyword,
        } => Some((How::Keyword, keyword)),
        Intent::Revocation { phrase } => Some((How::PlainLanguageRevocation, phrase)),
        _ => None,
    }
}
