//! One SQL interface over both backends. The storage modules write their
//! statements once, with `?N` placeholders, and run them on a [`Conn`] that
//! is either an SQLite connection or a PostgreSQL one; the interface keeps
//! rusqlite's shape (`prepare_cached`, `query_row`, `query_map`, `execute`,
//! `optional`), so a statement reads the same on either.
//!
//! What differs is handled here, never in the callers: placeholders become
//! `$N` for PostgreSQL; parameters are bound leniently to whatever type the
//! server inferred for them (an integer bound where PostgreSQL expects text
//! is sent as its digits); and cells are read into the few Rust types the
//! storage rows use, whatever numeric or text type the column has (a
//! PostgreSQL `SUM` over `BIGINT` is `NUMERIC`, for example).
//! SQL that truly differs (triggers, `unixepoch`) branches on
//! [`Conn::backend`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::error::Error as StdError;

use bytes::BytesMut;
use postgres::types::{IsNull, Kind, ToSql, Type};

use super::{StorageError, StorageResult};

/// Which database a [`Conn`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection of either backend (one per thread, never moved often:
/// the size difference of the variants does not matter).
#[allow(clippy::large_enum_variant)]
pub enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(PgConn),
}

/// A PostgreSQL connection with its own statement cache (the `postgres`
/// crate has none): each distinct SQL text is prepared once per connection.
pub struct PgConn {
    /// Always `Some` until dropped (see `Drop`).
    client: Option<RefCell<postgres::Client>>,
    statements: RefCell<HashMap<String, postgres::Statement>>,
    /// Set when a statement failed because of another transaction (a
    /// deadlock victim): the writer runs that job again.
    transient: std::cell::Cell<bool>,
    /// Whether this is the writer's connection (it locks the rows it reads
    /// to change them).
    writer: bool,
}

impl PgConn {
    pub fn new(client: postgres::Client) -> PgConn {
        PgConn {
            client: Some(RefCell::new(client)),
            statements: RefCell::new(HashMap::new()),
            transient: std::cell::Cell::new(false),
            writer: false,
        }
    }

    /// The writer's connection.
    pub fn writer(client: postgres::Client) -> PgConn {
        let mut conn = PgConn::new(client);
        conn.writer = true;
        conn
    }

    fn cell(&self) -> &RefCell<postgres::Client> {
        self.client
            .as_ref()
            .expect("a PostgreSQL connection is used only until dropped")
    }

    fn prepare(&self, sql: &str) -> StorageResult<postgres::Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let translated = dollar_placeholders(sql);
        let stmt = self.cell().borrow_mut().prepare(&translated).inspect_err(
            |e| tracing::error!(sql = %translated, "PostgreSQL refused a statement: {e:?}"),
        )?;
        self.statements
            .borrow_mut()
            .insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }

    /// Notes whether `e` was a transient failure; hands it on.
    fn noted(&self, e: postgres::Error) -> StorageError {
        let e = StorageError::from(e);
        if e.is_transient() {
            self.transient.set(true);
        }
        e
    }

    /// Whether the server closed the connection (the pool drops it).
    pub fn is_closed(&self) -> bool {
        self.cell().borrow().is_closed()
    }

    /// The client, for work outside this interface (bulk copies).
    pub fn client(&self) -> std::cell::RefMut<'_, postgres::Client> {
        self.cell().borrow_mut()
    }
}

/// The blocking client closes its connection through its own runtime,
/// which must not happen on a thread of the server's async runtime (a
/// pool dropped at shutdown): it is closed on a thread of its own.
impl Drop for PgConn {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = std::thread::Builder::new()
                .name("optline-pg-close".into())
                .spawn(move || drop(client));
        }
    }
}

impl Conn {
    /// An ordinary read-write connection outside the server's writer (for
    /// tools and tests). Blocking: never call it on an async runtime thread.
    pub fn open(location: &super::Location) -> StorageResult<Conn> {
        Ok(match location {
            super::Location::Sqlite(path) => {
                let c = rusqlite::Connection::open(path)?;
                c.busy_timeout(std::time::Duration::from_secs(10))?;
                Conn::Sqlite(c)
            }
            super::Location::Postgres(url) => Conn::Postgres(PgConn::new(
                postgres::Client::connect(url, postgres::NoTls)?,
            )),
        })
    }

    /// Whether a statement since the last call failed because of another
    /// transaction (PostgreSQL deadlock or serialization failure); clears it.
    pub fn take_transient_failure(&self) -> bool {
        match self {
            Conn::Sqlite(_) => false,
            Conn::Postgres(p) => p.transient.replace(false),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// A statement, prepared once per connection and SQL text.
    pub fn prepare_cached(&self, sql: &str) -> StorageResult<Stmt<'_>> {
        Ok(match self {
            Conn::Sqlite(c) => Stmt::Sqlite(c.prepare_cached(sql)?),
            Conn::Postgres(p) => Stmt::Postgres(p, p.prepare(sql)?),
        })
    }

    pub fn execute<P: Params>(&self, sql: &str, params: P) -> StorageResult<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    /// Runs an `INSERT` and answers the new row's `id` (`RETURNING id`,
    /// which both backends understand, is added here).
    pub fn insert<P: Params>(&self, sql: &str, params: P) -> StorageResult<i64> {
        let sql = format!("{} RETURNING id", sql.trim_end());
        self.prepare_cached(&sql)?.query_row(params, |r| r.get(0))
    }

    pub fn query_row<T, P: Params, F>(&self, sql: &str, params: P, f: F) -> StorageResult<T>
    where
        F: FnOnce(&Row) -> StorageResult<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// Runs several statements without parameters (schema, transaction
    /// control).
    pub fn execute_batch(&self, sql: &str) -> StorageResult<()> {
        match self {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Postgres(p) => Ok(p.client().batch_execute(sql)?),
        }
    }

    /// Pins a query to an index where the planner needs the hint (SQLite's
    /// `INDEXED BY`); PostgreSQL's planner chooses by statistics.
    pub fn index_hint(&self, index: &str) -> String {
        match self {
            Conn::Sqlite(_) => format!("INDEXED BY {index}"),
            Conn::Postgres(_) => String::new(),
        }
    }

    /// The SQLite connection (migrations and checkpoints are SQLite's own).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Conn::Sqlite(c) => Some(c),
            Conn::Postgres(_) => None,
        }
    }

    /// `FOR UPDATE OF {aliases}` when this is the writer's PostgreSQL
    /// connection: the rows read stay locked until the batch commits, as
    /// other server processes could change them meanwhile. Empty for
    /// SQLite (its one writer serialises every write) and for reads.
    pub fn lock_clause(&self, aliases: &str) -> String {
        match self {
            Conn::Postgres(p) if p.writer => format!(" FOR UPDATE OF {aliases}"),
            _ => String::new(),
        }
    }

    /// `FOR UPDATE SKIP LOCKED` on PostgreSQL (rows other processes are
    /// locking are left to them); SQLite's one writer needs none. The
    /// query's first table is the one locked.
    pub fn skip_locked_clause(&self) -> &'static str {
        match self {
            Conn::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            Conn::Sqlite(_) => "",
        }
    }

    /// Marks the running job for another run in the next batch (after
    /// this batch's locks are released): what it collided with was
    /// committed by another server process meanwhile.
    pub fn retry_after_commit(&self) {
        if let Conn::Postgres(p) = self {
            p.transient.set(true);
        }
    }
}

/// A prepared statement of either backend.
pub enum Stmt<'c> {
    Sqlite(rusqlite::CachedStatement<'c>),
    Postgres(&'c PgConn, postgres::Statement),
}

impl Stmt<'_> {
    /// Runs a statement; the number of rows it changed.
    pub fn execute<P: Params>(&mut self, params: P) -> StorageResult<usize> {
        let values = params.values();
        match self {
            Stmt::Sqlite(s) => Ok(s.execute(rusqlite::params_from_iter(values.iter()))?),
            Stmt::Postgres(p, s) => {
                let refs = pg_refs(&values);
                Ok(p.client().execute(&*s, &refs).map_err(|e| p.noted(e))? as usize)
            }
        }
    }

    /// The first row, or [`StorageError::NoRow`].
    pub fn query_row<T, P: Params, F>(&mut self, params: P, f: F) -> StorageResult<T>
    where
        F: FnOnce(&Row) -> StorageResult<T>,
    {
        let mut f = Some(f);
        let mut first = None;
        self.each(params, |r| {
            if let Some(f) = f.take() {
                first = Some(f(r));
            }
            Ok(false)
        })?;
        first.unwrap_or(Err(StorageError::NoRow))
    }

    /// Every row through `f`, collected (callers `collect()` the results
    /// as they did with rusqlite's iterator).
    pub fn query_map<T, P: Params, F>(
        &mut self,
        params: P,
        mut f: F,
    ) -> StorageResult<std::vec::IntoIter<StorageResult<T>>>
    where
        F: FnMut(&Row) -> StorageResult<T>,
    {
        let mut out = Vec::new();
        self.each(params, |r| {
            out.push(f(r));
            Ok(true)
        })?;
        Ok(out.into_iter())
    }

    /// Calls `f` on each row while it answers true.
    fn each<P: Params, F>(&mut self, params: P, mut f: F) -> StorageResult<()>
    where
        F: FnMut(&Row) -> StorageResult<bool>,
    {
        let values = params.values();
        match self {
            Stmt::Sqlite(s) => {
                let mut rows = s.query(rusqlite::params_from_iter(values.iter()))?;
                while let Some(r) = rows.next()? {
                    if !f(&Row::Sqlite(r))? {
                        break;
                    }
                }
            }
            Stmt::Postgres(p, s) => {
                let refs = pg_refs(&values);
                let rows = p.client().query(&*s, &refs).map_err(|e| p.noted(e))?;
                for r in rows {
                    if !f(&Row::Postgres(&r))? {
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}

/// `None` for a query that found no row (rusqlite's `optional()`).
pub trait OptionalExtension<T> {
    fn optional(self) -> StorageResult<Option<T>>;
}

impl<T> OptionalExtension<T> for StorageResult<T> {
    fn optional(self) -> StorageResult<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(StorageError::NoRow) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A value as SQLite stores it, onto which PostgreSQL's types map: bound
/// to a placeholder, or read from a column (then called a cell).
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// Something that can be bound to a placeholder.
pub trait Param {
    fn value(&self) -> Value<'_>;
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> Value<'_> {
                Value::Int(*self as i64)
            }
        }
    )*};
}
int_param!(i64, i32, u32, u16, u8, usize, u64);

impl Param for bool {
    fn value(&self) -> Value<'_> {
        Value::Int(*self as i64)
    }
}
impl Param for f64 {
    fn value(&self) -> Value<'_> {
        Value::Real(*self)
    }
}
impl Param for str {
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
}
impl Param for String {
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
}
impl Param for [u8] {
    fn value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}
impl Param for Vec<u8> {
    fn value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}
impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value<'_> {
        (**self).value()
    }
}
impl<T: Param> Param for Option<T> {
    fn value(&self) -> Value<'_> {
        match self {
            Some(v) => v.value(),
            None => Value::Null,
        }
    }
}

/// A statement's parameters: `params![a, b]`, `[x]`, or `[]`... as with
/// rusqlite.
pub trait Params {
    fn values(&self) -> Vec<Value<'_>>;
}

impl Params for &[&dyn Param] {
    fn values(&self) -> Vec<Value<'_>> {
        self.iter().map(|p| p.value()).collect()
    }
}
impl<const N: usize> Params for &[&dyn Param; N] {
    fn values(&self) -> Vec<Value<'_>> {
        self.iter().map(|p| p.value()).collect()
    }
}
impl<T: Param, const N: usize> Params for [T; N] {
    fn values(&self) -> Vec<Value<'_>> {
        self.iter().map(|p| p.value()).collect()
    }
}
impl Params for Vec<Value<'_>> {
    fn values(&self) -> Vec<Value<'_>> {
        self.clone()
    }
}

/// `params![a, b, c]`: a statement's parameters of mixed types.
macro_rules! params {
    () => { &[] as &[&dyn $crate::storage::sql::Param] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::storage::sql::Param),+] as &[&dyn $crate::storage::sql::Param] };
}
pub(crate) use params;

/// No parameters.
pub const NO_PARAMS: &[&dyn Param] = &[];

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match *self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(i),
            Value::Real(f) => ValueRef::Real(f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn pg_refs<'a>(values: &'a [Value<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

type BoxError = Box<dyn StdError + Sync + Send>;

/// Lenient binding: the value is converted to the type PostgreSQL inferred
/// for its placeholder (SQLite's affinity does the same on its side).
impl ToSql for Value<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        let text_like = is_text_like(ty);
        match *self {
            Value::Null => return Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => {
                    i.to_sql(ty, out)?;
                }
                Type::INT4 => {
                    i32::try_from(i)?.to_sql(ty, out)?;
                }
                Type::INT2 => {
                    i16::try_from(i)?.to_sql(ty, out)?;
                }
                Type::FLOAT8 => {
                    (i as f64).to_sql(ty, out)?;
                }
                Type::FLOAT4 => {
                    (i as f32).to_sql(ty, out)?;
                }
                Type::BOOL => {
                    (i != 0).to_sql(ty, out)?;
                }
                _ if text_like => out.extend_from_slice(i.to_string().as_bytes()),
                _ => return Err(format!("cannot bind an integer as {ty}").into()),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => {
                    f.to_sql(ty, out)?;
                }
                Type::FLOAT4 => {
                    (f as f32).to_sql(ty, out)?;
                }
                _ if text_like => out.extend_from_slice(f.to_string().as_bytes()),
                _ => return Err(format!("cannot bind a real as {ty}").into()),
            },
            Value::Text(s) => match *ty {
                Type::INT8 => {
                    s.parse::<i64>()?.to_sql(ty, out)?;
                }
                Type::INT4 => {
                    s.parse::<i32>()?.to_sql(ty, out)?;
                }
                Type::FLOAT8 => {
                    s.parse::<f64>()?.to_sql(ty, out)?;
                }
                Type::BYTEA => out.extend_from_slice(s.as_bytes()),
                _ if text_like => out.extend_from_slice(s.as_bytes()),
                _ => return Err(format!("cannot bind text as {ty}").into()),
            },
            Value::Blob(b) => match *ty {
                Type::BYTEA => out.extend_from_slice(b),
                _ => return Err(format!("cannot bind bytes as {ty}").into()),
            },
        }
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// Text, or a type whose binary form is its text (citext, an untyped literal).
fn is_text_like(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
    ) || (matches!(ty.kind(), Kind::Simple) && ty.name() == "citext")
}

/// One row of a result, of either backend.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r postgres::Row),
}

impl Row<'_> {
    /// Column `i` as `T`.
    pub fn get<T: FromCell>(&self, i: usize) -> StorageResult<T> {
        let converted = match self {
            Row::Sqlite(r) => {
                let v = r.get_ref(i)?;
                T::from_cell(sqlite_cell(v))
            }
            Row::Postgres(r) => {
                let cell: PgCell = r.try_get(i)?;
                T::from_cell(cell.0)
            }
        };
        converted.map_err(|why| StorageError::Unreadable(format!("column {i}: {why}")))
    }
}

fn sqlite_cell(v: rusqlite::types::ValueRef<'_>) -> Value<'_> {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => std::str::from_utf8(t).map_or(Value::Blob(t), Value::Text),
        ValueRef::Blob(b) => Value::Blob(b),
    }
}

/// A Rust type a cell can be read into.
pub trait FromCell: Sized {
    fn from_cell(c: Value<'_>) -> Result<Self, String>;
}

fn int_of(c: Value<'_>) -> Result<i64, String> {
    match c {
        Value::Int(i) => Ok(i),
        Value::Real(f) if f.fract() == 0.0 => Ok(f as i64),
        other => Err(format!("expected an integer, found {other:?}")),
    }
}

macro_rules! int_cell {
    ($($t:ty),*) => {$(
        impl FromCell for $t {
            fn from_cell(c: Value<'_>) -> Result<Self, String> {
                let i = int_of(c)?;
                <$t>::try_from(i).map_err(|_| format!("{i} is out of range"))
            }
        }
    )*};
}
int_cell!(i64, i32, u32, u16, u8, usize, u64);

impl FromCell for bool {
    fn from_cell(c: Value<'_>) -> Result<Self, String> {
        Ok(int_of(c)? != 0)
    }
}
impl FromCell for f64 {
    fn from_cell(c: Value<'_>) -> Result<Self, String> {
        match c {
            Value::Int(i) => Ok(i as f64),
            Value::Real(f) => Ok(f),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}
impl FromCell for String {
    fn from_cell(c: Value<'_>) -> Result<Self, String> {
        match c {
            Value::Text(s) => Ok(s.to_string()),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}
impl FromCell for Vec<u8> {
    fn from_cell(c: Value<'_>) -> Result<Self, String> {
        match c {
            Value::Blob(b) => Ok(b.to_vec()),
            Value::Text(s) => Ok(s.as_bytes().to_vec()),
            other => Err(format!("expected bytes, found {other:?}")),
        }
    }
}
impl<T: FromCell> FromCell for Option<T> {
    fn from_cell(c: Value<'_>) -> Result<Self, String> {
        match c {
            Value::Null => Ok(None),
            c => T::from_cell(c).map(Some),
        }
    }
}

/// Any PostgreSQL cell, decoded into a [`Value`].
struct PgCell<'a>(Value<'a>);

impl<'a> postgres::types::FromSql<'a> for PgCell<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(PgCell(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(raw),
            _ if is_text_like(ty) => Value::Text(std::str::from_utf8(raw)?),
            _ => return Err(format!("unsupported column type {ty}").into()),
        }))
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(PgCell(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// PostgreSQL's binary NUMERIC (base-10000 digits): what `SUM` and `AVG`
/// over integers answer. An integral value becomes an integer.
fn numeric(raw: &[u8]) -> Result<Value<'static>, BoxError> {
    let word = |i: usize| -> Result<i16, BoxError> {
        raw.get(i..i + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "short NUMERIC".into())
    };
    let (ndigits, weight, sign, dscale) = (word(0)?, word(2)?, word(4)? as u16, word(6)?);
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let mut value = 0f64;
    for d in 0..ndigits as usize {
        let digit = word(8 + 2 * d)? as f64;
        value += digit * 10000f64.powi(weight as i32 - d as i32);
    }
    if sign == 0x4000 {
        value = -value;
    }
    Ok(if dscale == 0 && value.abs() < 9.0e15 {
        Value::Int(value as i64)
    } else {
        Value::Real(value)
    })
}

/// `?N` and `?` placeholders (SQLite) as `$N` (PostgreSQL), outside quotes.
pub fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 1;
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(ch) = chars.next() {
        match (quote, ch) {
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some(_), c) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(ch);
                out.push(ch);
            }
            (None, '?') => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    digits = next.to_string();
                }
                next = digits.parse::<usize>().unwrap_or(next) + 1;
                out.push('$');
                out.push_str(&digits);
            }
            (None, c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_outside_quotes() {
        assert_eq!(
            dollar_placeholders("SELECT a FROM t WHERE b = ?1 AND c = ?2 AND d = '?'"),
            "SELECT a FROM t WHERE b = $1 AND c = $2 AND d = '?'"
        );
        assert_eq!(
            dollar_placeholders("VALUES (?, ?, ?)"),
            "VALUES ($1, $2, $3)"
        );
        assert_eq!(dollar_placeholders("x = ?12"), "x = $12");
    }

    #[test]
    fn numerics_decode_to_integers_or_reals() {
        // 12345678 = 1234 * 10000 + 5678: ndigits 2, weight 1, sign +, dscale 0.
        let raw = [0, 2, 0, 1, 0, 0, 0, 0, 0x04, 0xD2, 0x16, 0x2E];
        assert!(matches!(numeric(&raw).unwrap(), Value::Int(12_345_678)));
        // -2.5: digits [2, 5000], weight 0, sign -, dscale 1.
        let raw = [0, 2, 0, 0, 0x40, 0, 0, 1, 0, 2, 0x13, 0x88];
        assert!(matches!(numeric(&raw).unwrap(), Value::Real(f) if f == -2.5));
    }

    #[test]
    fn sqlite_statements_read_through_the_shared_interface() {
        let c = Conn::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        c.execute_batch("CREATE TABLE t(a INTEGER, b TEXT)")
            .unwrap();
        c.execute("INSERT INTO t VALUES (?1, ?2)", params![1, "x"])
            .unwrap();
        c.execute("INSERT INTO t VALUES (?1, ?2)", params![2, None::<String>])
            .unwrap();
        let rows: Vec<(i64, Option<String>)> = c
            .prepare_cached("SELECT a, b FROM t ORDER BY a")
            .unwrap()
            .query_map(NO_PARAMS, |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<StorageResult<_>>()
            .unwrap();
        assert_eq!(rows, vec![(1, Some("x".into())), (2, None)]);
        let none = c
            .query_row("SELECT a FROM t WHERE a = ?1", [9], |r| r.get::<i64>(0))
            .optional()
            .unwrap();
        assert_eq!(none, None);
    }
}
