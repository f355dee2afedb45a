//! The settings screens' table: a scrollable wrapper, column headers, and
//! the rows the screen gives as children (each row names itself with a
//! `<th scope="row">`).

use leptos::prelude::*;

#[component]
pub fn Table(
    /// The column headers, in order.
    headers: &'static [&'static str],
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        {headers.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
