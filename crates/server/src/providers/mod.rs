//! Provider adapters: what each provider's wire format means, with no
//! decisions of their own and no calls back into the layers above.
//! `whatsapp` (WhatsApp Cloud API) and `twilio` (Twilio SMS) each verify a
//! webhook's signature, parse it into [`Report`]s (an inbound message or a
//! delivery status) for the consent layer, and build a send request and read
//! its answer for the outbox. `client` is the shared HTTPS client, `retry`
//! the send policy. The simulator needs no adapter (see `outbox`).
//!
//! Settings live per business number in `numbers.provider_config` (JSON).
//! Secrets never leave the server: the API shows `configured: true`, and the
//! `Debug` of the settings types redacts them so they cannot reach a log.

pub mod client;
pub mod retry;
pub mod twilio;
pub mod whatsapp;

use optline_api::{self as api, DeliveryStatus};
use optline_engine::Channel;
use serde::{Deserialize, Serialize};

use crate::field_error::FieldError;
use crate::storage::{Db, NumberRow, ProviderKind, StorageResult};

/// A contact's message as a provider (or the simulator) delivered it.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub number: NumberRow,
    pub channel: Channel,
    /// The contact's number: E.164, or (when `sender_unverified`) the
    /// address exactly as the provider gave it.
    pub from: String,
    /// The phone library rejected the sender's address. A message the
    /// provider signed is still stored and read (a STOP must count); the
    /// agent sees the flag.
    pub sender_unverified: bool,
    pub body: String,
    pub provider: ProviderKind,
    pub provider_message_id: String,
    /// A message type Optline does not read (image, audio, …): recorded and
    /// shown, never read as a keyword.
    pub unsupported: Option<String>,
    /// A tapped quick-reply button (WhatsApp): the engine reads its payload,
    /// never `body` (which holds the label, for people).
    pub button: Option<ButtonTap>,
    /// The carrier itself treated this message as an opt-out (Twilio) and
    /// has confirmed it to the contact.
    pub carrier_opt_out: bool,
    /// The provider's webhook signature was checked (false for the
    /// simulator): recorded as the evidence's source on audit rows.
    pub signature_verified: bool,
}

/// A quick-reply button the contact tapped: the payload the send set and
/// the label they saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonTap {
    pub payload: String,
    pub label: String,
}

/// A provider's delivery report for an outbound message.
#[derive(Debug, Clone)]
pub struct StatusReport {
    /// The number whose secret signed the webhook: the report moves only
    /// that number's messages.
    pub number_id: i64,
    pub provider: ProviderKind,
    pub provider_message_id: String,
    pub status: DeliveryStatus,
    pub error: Option<String>,
    /// Optline's message id as the provider echoed it back (see
    /// `storage::StatusKey::reference`).
    pub reference: Option<i64>,
}

/// The sender address of a provider-signed message whose address the phone
/// library rejects: kept as given (trimmed, bounded), never dropped.
pub fn raw_address(raw: &str) -> String {
    let t: String = raw
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    if t.is_empty() {
        "(no sender address)".into()
    } else {
        t
    }
}

/// A sender address: E.164 when the phone library accepts it, else the raw
/// address and `true` (flagged as unverified).
pub fn sender_address(raw: &str, field: &str) -> (String, bool) {
    match crate::phone::normalize(raw, field) {
        Ok(e164) => (e164, false),
        Err(_) => (raw_address(raw), true),
    }
}

/// The items one webhook delivery may carry (messages and statuses): a
/// bound on the work and the write one unauthenticated-looking request can
/// cause, far above what a provider batches.
pub const MAX_ITEMS_PER_DELIVERY: usize = 1000;

/// One thing a webhook delivery told us.
#[derive(Debug, Clone)]
pub enum Report {
    Message(InboundMessage),
    Status(StatusReport),
}

fn settings_error(code: &'static str, field: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(code, field, message)
}

/// Numbers with a real provider, by WhatsApp phone_number_id and by E.164,
/// so webhooks and sends do not query the database for settings that change
/// only through the admin API (which clears it).
///
/// It also keeps the WhatsApp app secrets (few: one per Meta app), so a
/// webhook's signature is checked before its body is parsed or the
/// database is read for it.
#[derive(Default)]
pub struct Cache {
    map: std::sync::RwLock<std::collections::HashMap<String, NumberRow>>,
    wa_secrets: std::sync::RwLock<Option<Vec<String>>>,
    /// Bumped by `clear`, so a load that raced an update is not cached.
    generation: std::sync::atomic::AtomicU64,
}

impl Cache {
    pub fn clear(&self) {
        if let Ok(mut m) = self.map.write() {
            m.clear();
        }
        if let Ok(mut s) = self.wa_secrets.write() {
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            *s = None;
        }
    }

    /// The distinct app secrets of the WhatsApp numbers configured here.
    pub async fn whatsapp_secrets(&self, db: &Db) -> StorageResult<Vec<String>> {
        if let Some(s) = self.wa_secrets.read().ok().and_then(|s| s.clone()) {
            return Ok(s);
        }
        let generation = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        let numbers = db
            .read(|c| crate::storage::numbers_by_provider(c, ProviderKind::Whatsapp))
            .await?;
        let mut secrets: Vec<String> = numbers
            .iter()
            .filter_map(|n| match ProviderConfig::of(n) {
                ProviderConfig::Whatsapp(w) if !w.app_secret.is_empty() => Some(w.app_secret),
                _ => None,
            })
            .collect();
        secrets.sort();
        secrets.dedup();
        if let Ok(mut s) = self.wa_secrets.write() {
            if self.generation.load(std::sync::atomic::Ordering::SeqCst) == generation {
                *s = Some(secrets.clone());
            }
        }
        Ok(secrets)
    }

    fn get(&self, k: &str) -> Option<NumberRow> {
        self.map.read().ok()?.get(k).cloned()
    }

    fn put(&self, k: String, n: &NumberRow) {
        if let Ok(mut m) = self.map.write() {
            if m.len() > 100_000 {
                m.clear();
            }
            m.insert(k, n.clone());
        }
    }

    /// The WhatsApp number with this phone_number_id.
    pub async fn whatsapp(&self, db: &Db, pnid: &str) -> StorageResult<Option<NumberRow>> {
        let k = format!("wa:{pnid}");
        if let Some(n) = self.get(&k) {
            return Ok(Some(n));
        }
        let p = pnid.to_string();
        let n = db
            .read(move |c| crate::storage::number_by_provider_key(c, ProviderKind::Whatsapp, &p))
            .await?;
        if let Some(n) = &n {
            self.put(k, n);
        }
        Ok(n)
    }

    /// The number with this id (only cached when it has a real provider).
    pub async fn by_id(&self, db: &Db, id: i64) -> StorageResult<Option<NumberRow>> {
        let k = format!("id:{id}");
        if let Some(n) = self.get(&k) {
            return Ok(Some(n));
        }
        let n = db
            .read(move |c| crate::storage::number_by_id(c, id))
            .await?;
        if let Some(n) = &n {
            if n.provider != ProviderKind::Simulator {
                self.put(k, n);
            }
        }
        Ok(n)
    }
}

/// WhatsApp Cloud API settings of a number.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct WhatsAppConfig {
    pub app_secret: String,
    pub verify_token: String,
    pub access_token: String,
    pub phone_number_id: String,
    pub template_name: String,
    pub template_language: String,
}

/// Twilio settings of a number.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TwilioConfig {
    pub account_sid: String,
    pub auth_token: String,
    pub from: String,
}

impl std::fmt::Debug for WhatsAppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppConfig")
            .field("phone_number_id", &self.phone_number_id)
            .field("template_name", &self.template_name)
            .field("template_language", &self.template_language)
            .field("secrets", &"<redacted>")
            .finish()
    }
}

impl std::fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("account_sid", &self.account_sid)
            .field("from", &self.from)
            .field("auth_token", &"<redacted>")
            .finish()
    }
}

/// A number's provider and its settings.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProviderConfig {
    Simulator,
    Whatsapp(WhatsAppConfig),
    Twilio(TwilioConfig),
}

impl ProviderConfig {
    /// The settings stored with a number (simulator when none, or when they
    /// cannot be read: e.g. sealed with a key this server lacks — then
    /// nothing is verified or sent for the number).
    pub fn of(n: &NumberRow) -> ProviderConfig {
        n.provider_config
            .as_deref()
            .and_then(crate::secrets::open)
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(ProviderConfig::Simulator)
    }

    /// The stored form of these settings (sealed when a key is set).
    pub fn stored(&self) -> Option<String> {
        match self {
            ProviderConfig::Simulator => None,
            c => serde_json::to_string(c)
                .ok()
                .map(|json| crate::secrets::seal(&json)),
        }
    }

    pub fn kind(&self) -> ProviderKind {
        match self {
            ProviderConfig::Simulator => ProviderKind::Simulator,
            ProviderConfig::Whatsapp(_) => ProviderKind::Whatsapp,
            ProviderConfig::Twilio(_) => ProviderKind::Twilio,
        }
    }

    /// The provider's name as people know it.
    pub fn display_name(&self) -> &'static str {
        match self {
            ProviderConfig::Whatsapp(_) => "WhatsApp",
            ProviderConfig::Twilio(_) => "Twilio",
            ProviderConfig::Simulator => "simulator",
        }
    }

    /// What identifies the number in the provider's webhooks.
    pub fn key(&self) -> Option<&str> {
        match self {
            ProviderConfig::Whatsapp(w) => Some(&w.phone_number_id),
            _ => None,
        }
    }
}

/// The API's view of a number's settings: no secret values.
pub fn settings_view(n: &NumberRow) -> Option<api::ProviderSettings> {
    let secret = |name: &str, v: &str| api::SecretState {
        name: name.into(),
        configured: !v.is_empty(),
    };
    match ProviderConfig::of(n) {
        ProviderConfig::Simulator => None,
        ProviderConfig::Whatsapp(w) => Some(api::ProviderSettings {
            kind: "whatsapp".into(),
            phone_number_id: Some(w.phone_number_id.clone()),
            template_name: Some(w.template_name.clone()),
            template_language: Some(w.template_language.clone()),
            account_sid: None,
            from: None,
            secrets: vec![
                secret("app_secret", &w.app_secret),
                secret("verify_token", &w.verify_token),
                secret("access_token", &w.access_token),
            ],
            webhook_path: "/api/v1/webhooks/whatsapp".into(),
        }),
        ProviderConfig::Twilio(t) => Some(api::ProviderSettings {
            kind: "twilio".into(),
            phone_number_id: None,
            template_name: None,
            template_language: None,
            account_sid: Some(t.account_sid.clone()),
            from: Some(t.from.clone()),
            secrets: vec![secret("auth_token", &t.auth_token)],
            webhook_path: format!("/api/v1/webhooks/twilio/{}", n.id),
        }),
    }
}

fn field_value(
    given: &Option<String>,
    old: Option<&str>,
    field: &str,
    max: usize,
) -> Result<String, FieldError> {
    let v = match given {
        Some(v) => v.trim().to_string(),
        None => old.unwrap_or_default().to_string(),
    };
    let path = format!("provider.{field}");
    if v.is_empty() {
        return Err(settings_error(
            "required",
            &path,
            format!("`{path}` is required for this provider."),
        ));
    }
    if v.chars().count() > max || v.chars().any(|c| c.is_control()) {
        return Err(settings_error(
            "invalid",
            &path,
            format!("`{path}` must be at most {max} printable characters."),
        ));
    }
    Ok(v)
}

/// Validates new settings against the stored ones (a secret left out keeps
/// its value when the kind is unchanged). Errors name the field.
pub fn validate_input(
    input: &api::ProviderConfigInput,
    old: &ProviderConfig,
) -> Result<ProviderConfig, FieldError> {
    match input.kind.as_str() {
        "simulator" => Ok(ProviderConfig::Simulator),
        "whatsapp" => {
            let o = match old {
                ProviderConfig::Whatsapp(w) => Some(w),
                _ => None,
            };
            let w = WhatsAppConfig {
                app_secret: field_value(
                    &input.app_secret,
                    o.map(|w| w.app_secret.as_str()),
                    "app_secret",
                    256,
                )?,
                verify_token: field_value(
                    &input.verify_token,
                    o.map(|w| w.verify_token.as_str()),
                    "verify_token",
                    256,
                )?,
                access_token: field_value(
                    &input.access_token,
                    o.map(|w| w.access_token.as_str()),
                    "access_token",
                    4096,
                )?,
                phone_number_id: field_value(
                    &input.phone_number_id,
                    o.map(|w| w.phone_number_id.as_str()),
                    "phone_number_id",
                    64,
                )?,
                template_name: field_value(
                    &input.template_name,
                    o.map(|w| w.template_name.as_str()),
                    "template_name",
                    512,
                )?,
                template_language: field_value(
                    &input.template_language,
                    o.map(|w| w.template_language.as_str()),
                    "template_language",
                    16,
                )?,
            };
            if !w.phone_number_id.chars().all(|c| c.is_ascii_digit()) {
                return Err(settings_error(
                    "invalid",
                    "provider.phone_number_id",
                    "`provider.phone_number_id` is the numeric id Meta shows under WhatsApp > API Setup (not the phone number).",
                ));
            }
            if !w
                .template_name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(settings_error(
                    "invalid",
                    "provider.template_name",
                    "`provider.template_name` is a WhatsApp template name: lowercase letters, digits and underscores.",
                ));
            }
            Ok(ProviderConfig::Whatsapp(w))
        }
        "twilio" => {
            let o = match old {
                ProviderConfig::Twilio(t) => Some(t),
                _ => None,
            };
            let t = TwilioConfig {
                account_sid: field_value(
                    &input.account_sid,
                    o.map(|t| t.account_sid.as_str()),
                    "account_sid",
                    64,
                )?,
                auth_token: field_value(
                    &input.auth_token,
                    o.map(|t| t.auth_token.as_str()),
                    "auth_token",
                    256,
                )?,
                from: field_value(&input.from, o.map(|t| t.from.as_str()), "from", 64)?,
            };
            if !(t.account_sid.starts_with("AC")
                && t.account_sid.chars().all(|c| c.is_ascii_alphanumeric()))
            {
                return Err(settings_error(
                    "invalid",
                    "provider.account_sid",
                    "`provider.account_sid` is the Twilio Account SID (starts with AC).",
                ));
            }
            Ok(ProviderConfig::Twilio(t))
        }
        _ => Err(settings_error(
            "invalid",
            "provider.kind",
            "`provider.kind` must be `simulator`, `whatsapp` or `twilio`.",
        )),
    }
}
