//! Wire types of `GET /api/v1/admin/insights`: the opt-in funnel of a
//! period, counted by the server over the consent audit and the messages.
//!
//! Every count is one the audit list can show: a funnel stage here is the
//! same `stage` filter there (`GET /api/v1/admin/audit?stage=…`), so a bar
//! and the records behind it never disagree.

use serde::{Deserialize, Serialize};

wire! {
    /// A step of the opt-in funnel, as audit records are counted into it.
    #[serde(rename_all = "snake_case")]
    #[derive(Copy, Eq, Hash)]
    pub enum FunnelStage {
        /// An agent sent an opt-in request (`agent_request`).
        AgentRequest,
        /// The engine re-sent the request after an unclear answer (`auto_reprompt`).
        AutoReprompt,
        /// The consent became accepted.
        Accepted,
        /// The consent became rejected.
        Rejected,
        /// The consent became opted out (by any means).
        OptedOut,
    }

    /// The funnel's totals for the period.
    pub struct Funnel {
        pub requests_by_agents: i64,
        pub requests_automatic: i64,
        pub accepted: i64,
        pub rejected: i64,
        /// Requests (by agents or automatic) that got no answer from the
        /// contact before the flow's resend interval passed.
        pub no_answer: i64,
        pub opted_out: i64,
        /// Opt-outs by how they happened (`keyword`,
        /// `plain_language_revocation`, `carrier_stop`, `provider_opt_out`,
        /// `manual` for an admin's record, …), most first.
        pub opted_out_by: Vec<HowCount>,
    }

    pub struct HowCount {
        pub how: String,
        pub count: i64,
    }

    /// Time from an agent's request to the contact's acceptance.
    pub struct TimeToAccept {
        /// Acceptances measured (those that answered an agent's request).
        pub count: i64,
        #[serde(default)]
        pub median_seconds: Option<i64>,
        #[serde(default)]
        pub p90_seconds: Option<i64>,
    }

    /// One UTC day of the period.
    pub struct InsightsDay {
        /// `YYYY-MM-DD` (UTC).
        pub day: String,
        /// Requests by agents and automatic ones.
        pub requests: i64,
        pub acceptances: i64,
        pub opt_outs: i64,
    }

    /// Outbound messages that failed, by provider and the provider's error.
    pub struct DeliveryFailure {
        pub provider: String,
        /// The provider's error as recorded (empty when none was given).
        pub error: String,
        pub count: i64,
    }

    /// `GET /api/v1/admin/insights`.
    pub struct Insights {
        /// The period counted: `from` inclusive, `to` exclusive (RFC 3339, UTC).
        pub from: String,
        pub to: String,
        pub funnel: Funnel,
        /// Accepted ÷ requests by agents (None without requests).
        #[serde(default)]
        pub acceptance_rate: Option<f64>,
        pub time_to_accept: TimeToAccept,
        /// Every UTC day of the period, oldest first (days without records
        /// are zeros).
        pub daily: Vec<InsightsDay>,
        /// Most first.
        pub failures: Vec<DeliveryFailure>,
    }
}

impl FunnelStage {
    pub const ALL: [FunnelStage; 5] = [
        FunnelStage::AgentRequest,
        FunnelStage::AutoReprompt,
        FunnelStage::Accepted,
        FunnelStage::Rejected,
        FunnelStage::OptedOut,
    ];

    /// The serde form, e.g. `"agent_request"`.
    pub fn as_str(self) -> &'static str {
        match self {
            FunnelStage::AgentRequest => "agent_request",
            FunnelStage::AutoReprompt => "auto_reprompt",
            FunnelStage::Accepted => "accepted",
            FunnelStage::Rejected => "rejected",
            FunnelStage::OptedOut => "opted_out",
        }
    }

    /// The stage whose serde form is `s`.
    pub fn parse(s: &str) -> Option<FunnelStage> {
        FunnelStage::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_names_match_serde() {
        for s in FunnelStage::ALL {
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
            assert_eq!(FunnelStage::parse(s.as_str()), Some(s));
        }
    }
}
