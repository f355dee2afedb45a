//! First-run organization creation and the demo seed.

use crate::error::ApiResult;
use crate::storage::Db;

pub async fn init_org(
    _db: &Db,
    _name: &str,
    _email: &str,
    _password: &str,
    _lob: &str,
) -> ApiResult<()> {
    Ok(())
}

pub async fn demo(_db: &Db) -> ApiResult<Option<String>> {
    Ok(None)
}
