//! Manual records (rule 13): consent given or revoked outside Optline's
//! messages. An agent or an admin records an opt-out the contact gave
//! another way (a call, an e-mail, in person) with a required note; an
//! admin — never an agent — records an opt-in collected elsewhere (a signed
//! form, a web form) with a reference and the exact text agreed to.
//!
//! The checks live here once: [`check_record_opt_out`] and
//! [`check_record_opt_in`] decide for [`crate::step`] (the server) and
//! [`manual_actions`] tells the UI which "Record…" actions to offer, so the
//! app never re-implements who may record what.

use serde::{Deserialize, Serialize};

use crate::audit::{AuditRecord, How};
use crate::flow::{Fill, ValidFlow};
use crate::model::{Actor, Channel, ConsentState, StateName, Thread};
use crate::rules::{
    window_closes_at, Context, Notice, NoticeCode, Outbound, OutboundKind, Refusal, RefusalCode,
    Step, Verdict,
};
use crate::texts;

/// Longest note on a recorded opt-out, in characters (after trimming).
pub const NOTE_MAX_CHARS: usize = 500;
/// Longest reference of a recorded opt-in's evidence, in characters.
pub const REFERENCE_MAX_CHARS: usize = 200;
/// Longest agreed text of a recorded opt-in, in characters.
pub const AGREED_TEXT_MAX_CHARS: usize = 2000;

/// Which "Record…" actions a user may take on a thread now (their input
/// aside: a blank note is refused by the check, not here).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualActions {
    /// "Record opt-out…": any agent or admin, unless already opted out.
    pub record_opt_out: Result<(), Refusal>,
    /// "Record opt-in…": admins only, unless already accepted.
    pub record_opt_in: Result<(), Refusal>,
}

fn refuse(code: RefusalCode, text: impl Into<String>) -> Refusal {
    Refusal {
        code,
        text: text.into(),
        retry_at: None,
    }
}

/// Whether `by` may record an opt-out on `thread` now, whatever the note.
fn may_record_opt_out(thread: &Thread, by: Actor) -> Result<(), Refusal> {
    if !matches!(by, Actor::Agent { .. } | Actor::Admin { .. }) {
        return Err(refuse(
            RefusalCode::NotAllowedForRole,
            texts::MANUAL_RECORD_USERS_ONLY,
        ));
    }
    if thread.consent.name() == StateName::OptedOut {
        return Err(refuse(
            RefusalCode::AlreadyOptedOut,
            texts::ALREADY_OPTED_OUT,
        ));
    }
    Ok(())
}

/// Whether `by` may record an opt-in on `thread` now, whatever the evidence.
fn may_record_opt_in(thread: &Thread, by: Actor) -> Result<(), Refusal> {
    if !matches!(by, Actor::Admin { .. }) {
        return Err(refuse(
            RefusalCode::NotAllowedForRole,
            texts::OPT_IN_ADMIN_ONLY,
        ));
    }
    if thread.consent.name() == StateName::Accepted {
        return Err(refuse(
            RefusalCode::AlreadyAccepted,
            texts::ALREADY_ACCEPTED,
        ));
    }
    Ok(())
}

/// A required, length-limited text field: trimmed, or the field's refusal.
fn required<'a>(
    value: &'a str,
    max: usize,
    missing: (RefusalCode, &str),
    too_long: (RefusalCode, String),
) -> Result<&'a str, Refusal> {
    let v = value.trim();
    if v.is_empty() {
        return Err(refuse(missing.0, missing.1));
    }
    if v.chars().count() > max {
        return Err(refuse(too_long.0, too_long.1));
    }
    Ok(v)
}

/// May `by` record an opt-out with `note`? The refusal's code names the
/// field at fault ([`RefusalCode::field`]).
pub fn check_record_opt_out(thread: &Thread, by: Actor, note: &str) -> Result<(), Refusal> {
    may_record_opt_out(thread, by)?;
    checked_note(note).map(|_| ())
}

fn checked_note(note: &str) -> Result<&str, Refusal> {
    required(
        note,
        NOTE_MAX_CHARS,
        (RefusalCode::NoteRequired, texts::NOTE_REQUIRED),
        (
            RefusalCode::NoteTooLong,
            texts::note_too_long(NOTE_MAX_CHARS),
        ),
    )
}

/// May `by` record an opt-in with this evidence? The refusal's code names
/// the field at fault ([`RefusalCode::field`]).
pub fn check_record_opt_in(
    thread: &Thread,
    by: Actor,
    reference: &str,
    agreed_text: &str,
) -> Result<(), Refusal> {
    checked_evidence(thread, by, reference, agreed_text).map(|_| ())
}

fn checked_evidence<'a>(
    thread: &Thread,
    by: Actor,
    reference: &'a str,
    agreed_text: &'a str,
) -> Result<(&'a str, &'a str), Refusal> {
    may_record_opt_in(thread, by)?;
    let r = required(
        reference,
        REFERENCE_MAX_CHARS,
        (RefusalCode::ReferenceRequired, texts::REFERENCE_REQUIRED),
        (
            RefusalCode::ReferenceTooLong,
            texts::reference_too_long(REFERENCE_MAX_CHARS),
        ),
    )?;
    let t = required(
        agreed_text,
        AGREED_TEXT_MAX_CHARS,
        (RefusalCode::AgreedTextRequired, texts::AGREED_TEXT_REQUIRED),
        (
            RefusalCode::AgreedTextTooLong,
            texts::agreed_text_too_long(AGREED_TEXT_MAX_CHARS),
        ),
    )?;
    Ok((r, t))
}

/// The "Record…" actions `by` may take on `thread` (cheap; call on render).
pub fn manual_actions(thread: &Thread, by: Actor) -> ManualActions {
    ManualActions {
        record_opt_out: may_record_opt_out(thread, by),
        record_opt_in: may_record_opt_in(thread, by),
    }
}

/// Whether the opt-out confirmation can reach the contact now: the flow
/// wants it, the channel is on, and on WhatsApp the free-form window is
/// open (outside it only templates may be sent).
fn confirmation_deliverable(flow: &ValidFlow, ctx: &Context, thread: &Thread) -> bool {
    flow.flow().confirm_manual_opt_out
        && ctx.channel_enabled
        && (ctx.channel == Channel::Sms || window_closes_at(thread).is_some_and(|c| ctx.now < c))
}

/// `Event::ManualOptOut`: OptedOut, audited `manual` with the note, and the
/// flow's opt-out confirmation when it can be delivered.
pub(crate) fn record_opt_out(
    s: &mut Step,
    flow: &ValidFlow,
    ctx: &Context,
    fill: &Fill<'_>,
    by: Actor,
    note: &str,
) {
    let note = match may_record_opt_out(&s.thread, by).and_then(|()| checked_note(note)) {
        Ok(n) => n,
        Err(r) => {
            s.verdict = Verdict::Refused(r);
            return;
        }
    };
    let from = s.thread.consent.name();
    s.thread.consent = ConsentState::OptedOut { at: ctx.now };
    s.audit.push(AuditRecord {
        at: ctx.now,
        actor: by,
        channel: ctx.channel,
        from,
        to: StateName::OptedOut,
        how: How::Manual,
        keyword: None,
        evidence: note.to_string(),
        provider_message_id: None,
    });
    if confirmation_deliverable(flow, ctx, &s.thread) {
        s.outbound.push(Outbound {
            kind: OutboundKind::OptOutConfirmation,
            text: flow.opted_out.render(fill),
            template: false,
        });
    }
    s.notice = Some(Notice {
        code: NoticeCode::ContactOptedOut,
        text: texts::NOTICE_MANUAL_OPT_OUT.to_string(),
    });
}

/// `Event::ManualOptIn`: Accepted, audited `manual` with the exact agreed
/// text as evidence and the reference as the evidence's id. Nothing is sent:
/// the consent was collected elsewhere, and the agent's first message
/// follows.
pub(crate) fn record_opt_in(
    s: &mut Step,
    ctx: &Context,
    by: Actor,
    reference: &str,
    agreed_text: &str,
) {
    let (reference, text) = match checked_evidence(&s.thread, by, reference, agreed_text) {
        Ok(e) => e,
        Err(r) => {
            s.verdict = Verdict::Refused(r);
            return;
        }
    };
    let from = s.thread.consent.name();
    s.thread.consent = ConsentState::Accepted { at: ctx.now };
    s.thread.auto_reprompts = 0;
    s.audit.push(AuditRecord {
        at: ctx.now,
        actor: by,
        channel: ctx.channel,
        from,
        to: StateName::Accepted,
        how: How::Manual,
        keyword: None,
        evidence: text.to_string(),
        provider_message_id: Some(reference.to_string()),
    });
    s.notice = Some(Notice {
        code: NoticeCode::ContactAccepted,
        text: texts::NOTICE_MANUAL_OPT_IN.to_string(),
    });
}
