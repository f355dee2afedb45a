//! What happens after a commit: the [`Effects`] the consent layer returned
//! are carried out here — live events published, outbound messages handed
//! to their provider ([`send`]), and messages to simulated phones reported
//! delivered ([`simulator`]). Everything is rebuilt from stored rows, never
//! from wire types.

pub mod recovery;
pub mod send;
pub mod simulator;

use crate::consent::Effects;
use crate::state::AppState;

/// Carries out the effects of a committed change.
pub fn run(state: &AppState, fx: Effects) {
    for (users, event) in &fx.live {
        state.publish(users, event);
    }
    for s in fx.sends {
        send::dispatch(state, s);
    }
    if !fx.simulated.is_empty() {
        simulator::deliver(state, fx.simulated);
    }
}
