//! Business numbers: their line of business, user, channel switches and provider settings.

use super::sql::{params, Conn, OptionalExtension, Row, NO_PARAMS};

use optline_engine::Channel;

use super::{taken_or, text_enum, StorageResult, Taken};

/// Who carries a number's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// The built-in simulator (development, tests, demo).
    Simulator,
    /// WhatsApp Cloud API: carries the number's WhatsApp conversations.
    Whatsapp,
    /// Twilio: carries the number's SMS conversations.
    Twilio,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Simulator => "simulator",
            ProviderKind::Whatsapp => "whatsapp",
            ProviderKind::Twilio => "twilio",
        }
    }

    pub fn parse(s: &str) -> Option<ProviderKind> {
        [
            ProviderKind::Simulator,
            ProviderKind::Whatsapp,
            ProviderKind::Twilio,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Whether this provider carries `channel`; the other channel of such a
    /// number stays on the simulator.
    pub fn carries(self, channel: Channel) -> bool {
        matches!(
            (self, channel),
            (ProviderKind::Whatsapp, Channel::WhatsApp) | (ProviderKind::Twilio, Channel::Sms)
        )
    }

    /// The provider that carries `channel` on a number of this kind.
    pub fn for_channel(self, channel: Channel) -> ProviderKind {
        if self.carries(channel) {
            self
        } else {
            ProviderKind::Simulator
        }
    }
}

#[derive(Debug, Clone)]
pub struct NumberRow {
    pub id: i64,
    pub org_id: i64,
    pub lob_id: i64,
    pub user_id: Option<i64>,
    pub e164: String,
    pub sms_enabled: bool,
    pub whatsapp_enabled: bool,
    pub provider: ProviderKind,
    /// The provider's settings as JSON (secrets included: never send it out).
    pub provider_config: Option<String>,
}

impl NumberRow {
    /// Whether an admin has `channel` switched on for this number.
    pub fn channel_enabled(&self, channel: Channel) -> bool {
        match channel {
            Channel::Sms => self.sms_enabled,
            Channel::WhatsApp => self.whatsapp_enabled,
        }
    }
}

const NUMBER_COLS: &str =
    "id, org_id, lob_id, user_id, e164, sms_enabled, whatsapp_enabled, provider, provider_config";

fn number_row(r: &Row) -> StorageResult<NumberRow> {
    Ok(NumberRow {
        id: r.get(0)?,
        org_id: r.get(1)?,
        lob_id: r.get(2)?,
        user_id: r.get(3)?,
        e164: r.get(4)?,
        sms_enabled: r.get(5)?,
        whatsapp_enabled: r.get(6)?,
        provider: text_enum(r, 7, ProviderKind::parse)?,
        provider_config: r.get(8)?,
    })
}

pub fn number_insert(
    c: &Conn,
    org: i64,
    lob: i64,
    user: Option<i64>,
    e164: &str,
) -> StorageResult<i64> {
    match c.insert(
        "INSERT INTO numbers(org_id, lob_id, user_id, e164) VALUES (?1, ?2, ?3, ?4)",
        params![org, lob, user, e164],
    ) {
        Ok(id) => Ok(id),
        Err(e) => Err(taken_or(e, Taken::Number)),
    }
}

pub fn number_by_user(c: &Conn, user: i64) -> StorageResult<Option<NumberRow>> {
    c.prepare_cached(&format!(
        "SELECT {NUMBER_COLS} FROM numbers WHERE user_id = ?1 ORDER BY id LIMIT 1"
    ))?
    .query_row([user], number_row)
    .optional()
}

pub fn number_by_id(c: &Conn, id: i64) -> StorageResult<Option<NumberRow>> {
    c.prepare_cached(&format!("SELECT {NUMBER_COLS} FROM numbers WHERE id = ?1"))?
        .query_row([id], number_row)
        .optional()
}

pub fn number_by_e164(c: &Conn, e164: &str) -> StorageResult<Option<NumberRow>> {
    c.prepare_cached(&format!(
        "SELECT {NUMBER_COLS} FROM numbers WHERE e164 = ?1"
    ))?
    .query_row([e164], number_row)
    .optional()
}

pub fn numbers_in_org(c: &Conn, org: i64) -> StorageResult<Vec<NumberRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {NUMBER_COLS} FROM numbers WHERE org_id = ?1 ORDER BY id"
    ))?;
    let rows = st.query_map([org], number_row)?;
    rows.collect::<Result<_, _>>()
}

/// Every simulator number with its organization, line of business and agent names.
/// (number, organization, line of business, agent name)
pub type DirectoryRow = (String, String, String, Option<String>);

pub fn sim_directory(c: &Conn) -> StorageResult<Vec<DirectoryRow>> {
    let mut st = c.prepare_cached(
        "SELECT n.e164, o.name, l.name, u.name FROM numbers n
         JOIN organizations o ON o.id = n.org_id
         JOIN lines_of_business l ON l.id = n.lob_id
         LEFT JOIN users u ON u.id = n.user_id WHERE n.provider = 'simulator' ORDER BY n.id",
    )?;
    let rows = st.query_map(NO_PARAMS, |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    rows.collect::<Result<_, _>>()
}

pub fn number_update(
    c: &Conn,
    id: i64,
    sms: Option<bool>,
    whatsapp: Option<bool>,
    user: Option<i64>,
) -> StorageResult<()> {
    c.execute(
        "UPDATE numbers SET sms_enabled = COALESCE(?2, sms_enabled),
            whatsapp_enabled = COALESCE(?3, whatsapp_enabled), user_id = COALESCE(?4, user_id)
         WHERE id = ?1",
        params![id, sms, whatsapp, user],
    )?;
    Ok(())
}

/// Sets a number's provider, its webhook key and its settings (JSON).
pub fn number_set_provider(
    c: &Conn,
    id: i64,
    provider: ProviderKind,
    key: Option<&str>,
    config: Option<&str>,
) -> StorageResult<()> {
    match c.execute(
        "UPDATE numbers SET provider = ?2, provider_key = ?3, provider_config = ?4 WHERE id = ?1",
        params![id, provider.as_str(), key, config],
    ) {
        Ok(_) => Ok(()),
        Err(e) => Err(taken_or(e, Taken::ProviderKey)),
    }
}

/// The number a provider's webhook names by its key (WhatsApp phone_number_id).
pub fn number_by_provider_key(
    c: &Conn,
    provider: ProviderKind,
    key: &str,
) -> StorageResult<Option<NumberRow>> {
    c.prepare_cached(&format!(
        "SELECT {NUMBER_COLS} FROM numbers WHERE provider = ?1 AND provider_key = ?2"
    ))?
    .query_row(params![provider.as_str(), key], number_row)
    .optional()
}

/// Every number using `provider` (few; for the WhatsApp verification handshake).
pub fn numbers_by_provider(c: &Conn, provider: ProviderKind) -> StorageResult<Vec<NumberRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {NUMBER_COLS} FROM numbers WHERE provider = ?1"
    ))?;
    let rows = st.query_map([provider.as_str()], number_row)?;
    rows.collect::<Result<_, _>>()
}

/// Every number's stored provider settings: (number id, stored value).
pub fn provider_configs(c: &Conn) -> StorageResult<Vec<(i64, String)>> {
    let mut st = c.prepare_cached(
        "SELECT id, provider_config FROM numbers WHERE provider_config IS NOT NULL",
    )?;
    let rows = st.query_map(NO_PARAMS, |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect::<Result<_, _>>()
}

/// Replaces a number's stored provider settings (re-sealing them).
pub fn provider_config_put(c: &Conn, id: i64, stored: &str) -> StorageResult<()> {
    c.prepare_cached("UPDATE numbers SET provider_config = ?2 WHERE id = ?1")?
        .execute(params![id, stored])?;
    Ok(())
}
