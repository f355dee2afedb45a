//! Proof of consent: for one contact, every consent record across the
//! organization's numbers and channels, grouped per thread, with the exact
//! texts sent and received and where each came from — what a business hands
//! a carrier or regulator. Read from the append-only audit, nothing else.

use std::collections::BTreeMap;

use crate::storage::Conn;
use optline_api as api;

use crate::storage::{self, AuditFilter, StorageResult};
use crate::views;

/// Records read per query while collecting the history.
const PAGE: i64 = 1000;

/// The proof for contact `contact_id` of `org` (None: no such contact there).
pub fn consent_proof(
    c: &Conn,
    org: i64,
    contact_id: i64,
    generated_at: &str,
) -> StorageResult<Option<api::ConsentProof>> {
    let Some(contact) = storage::contact_by_id(c, org, contact_id)? else {
        return Ok(None);
    };
    let mut threads: BTreeMap<(String, &'static str), api::ConsentProofThread> = BTreeMap::new();
    let mut after = None;
    loop {
        let page = storage::audit_query(
            c,
            org,
            &AuditFilter {
                contact: Some(contact.e164.clone()),
                after_id: after,
                limit: PAGE,
                ..Default::default()
            },
        )?;
        let full = page.len() as i64 == PAGE;
        after = page.last().map(|a| a.id);
        for row in page {
            let key = (row.number.clone(), row.channel.as_str());
            let t = threads
                .entry(key)
                .or_insert_with(|| api::ConsentProofThread {
                    business_number: row.number.clone(),
                    channel: row.channel,
                    current_state: String::new(),
                    records: Vec::new(),
                });
            t.current_state = row.to_state.clone();
            t.records.push(views::audit(row));
        }
        if !full {
            break;
        }
    }
    Ok(Some(api::ConsentProof {
        organization: storage::org_name(c, org)?,
        contact_id: contact.id,
        contact_phone: contact.e164,
        contact_name: contact.name,
        generated_at: generated_at.to_string(),
        threads: threads.into_values().collect(),
    }))
}
