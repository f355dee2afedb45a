//! The organization's lines of business and who works in each.

use leptos::prelude::*;
use optline_api::User;

use crate::pages::admin::admin;

#[component]
pub fn LinesOfBusiness(users: Vec<User>) -> impl IntoView {
    let ctx = admin();
    view! {
        <ul class="lob-list">
            {ctx
                .me
                .lines_of_business
                .iter()
                .map(|l| {
                    let members: Vec<String> = users
                        .iter()
                        .filter(|u| u.line_of_business_id == Some(l.id))
                        .map(|u| u.name.clone())
                        .collect();
                    view! {
                        <li>
                            <strong>{l.name.clone()}</strong>
                            ": "
                            {if members.is_empty() { "nobody yet".to_string() } else { members.join(", ") }}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
