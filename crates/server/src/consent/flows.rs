//! The flow in force per (line of business, channel): the saved one if it
//! still validates, else the shipped default. Validated flows are cached;
//! saving a flow invalidates its entry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::storage::Conn;
use optline_engine::{self as engine, Channel, ValidFlow};

use crate::storage::{self, StorageResult};

#[derive(Default)]
pub struct FlowCache {
    map: Mutex<HashMap<(i64, Channel), Arc<ValidFlow>>>,
    defaults: Mutex<HashMap<Channel, Arc<ValidFlow>>>,
}

impl FlowCache {
    pub fn invalidate(&self, lob: i64, ch: Channel) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(&(lob, ch));
        }
    }

    pub fn default_flow(&self, ch: Channel) -> Arc<ValidFlow> {
        let mut d = self.defaults.lock().unwrap_or_else(|e| e.into_inner());
        d.entry(ch)
            .or_insert_with(|| {
                Arc::new(
                    engine::validate(&engine::Flow::default_for(ch), ch)
                        .expect("the shipped default flow is valid"),
                )
            })
            .clone()
    }

    /// The flow in force for (`lob`, `ch`).
    pub fn get(&self, c: &Conn, lob: i64, ch: Channel) -> StorageResult<Arc<ValidFlow>> {
        if let Some(f) = self
            .map
            .lock()
            .ok()
            .and_then(|m| m.get(&(lob, ch)).cloned())
        {
            return Ok(f);
        }
        let saved = storage::flow_get(c, lob, ch)?
            .and_then(|s| s.flow)
            .and_then(|f| engine::validate(&f, ch).ok());
        // A stored flow that no longer validates is never used.
        let flow = saved.map(Arc::new).unwrap_or_else(|| self.default_flow(ch));
        if let Ok(mut m) = self.map.lock() {
            m.insert((lob, ch), flow.clone());
        }
        Ok(flow)
    }
}
