//! Reads the values the browser's `JSON.parse` made into the wire types,
//! through their derived serde decoders: [`from_value`].
//!
//! It stands in for serde-wasm-bindgen's reader (which the app still uses to
//! write requests, see `transport::json_text`) for one reason, the bundle:
//! that reader's error type writes every message out as it is made, so
//! serde's words for what went wrong ("invalid type: floating point `1.5`,
//! expected struct Flow") were compiled in, and with them the whole of
//! float formatting and every type's "expected …" text. [`DecodeError`]
//! keeps only what needs no formatting: which kind of problem, and the
//! field's name when serde gives one. Measured in the README (issue 13).
//!
//! What it reads is what `JSON.parse` can make: null, booleans, numbers,
//! strings, arrays and plain objects. A struct reads from an object only
//! (serde_json would take an array too; the server never writes one), and
//! only its own fields: others are ignored, a missing one is its default or
//! an error naming it. An enum is a string (unit variant) or an object with
//! one key. tests/js_decode.rs holds it to serde_json's reading.

use std::fmt;

use js_sys::{Array, Object, Reflect};
use serde::de::{
    self, value::BorrowedStrDeserializer, DeserializeOwned, DeserializeSeed, EnumAccess, Expected,
    MapAccess, SeqAccess, Unexpected, VariantAccess, Visitor,
};
use wasm_bindgen::{JsCast, JsValue};

/// `value` (from `JSON.parse`) as a `T`.
pub fn from_value<T: DeserializeOwned>(value: JsValue) -> Result<T, DecodeError> {
    T::deserialize(Reader(value))
}

/// Why a value could not be read as the type asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError {
    problem: &'static str,
    /// The field serde named (missing or repeated ones).
    field: Option<&'static str>,
}

/// The two problems the reader itself finds (serde names the others).
const WRONG_TYPE: DecodeError = DecodeError::new("a value of the wrong type");
const UNKNOWN_VARIANT: DecodeError = DecodeError::new("a value this app does not know");

impl DecodeError {
    const fn new(problem: &'static str) -> Self {
        DecodeError {
            problem,
            field: None,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.problem)?;
        if let Some(field) = self.field {
            f.write_str(" `")?;
            f.write_str(field)?;
            f.write_str("`")?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}

// Every constructor ignores what it would have to format: that is the point.
impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(_: T) -> Self {
        DecodeError::new("malformed value")
    }
    fn invalid_type(_: Unexpected, _: &dyn Expected) -> Self {
        WRONG_TYPE
    }
    fn invalid_value(_: Unexpected, _: &dyn Expected) -> Self {
        DecodeError::new("a value out of range")
    }
    fn invalid_length(_: usize, _: &dyn Expected) -> Self {
        DecodeError::new("a list of the wrong length")
    }
    fn unknown_variant(_: &str, _: &'static [&'static str]) -> Self {
        UNKNOWN_VARIANT
    }
    fn unknown_field(_: &str, _: &'static [&'static str]) -> Self {
        DecodeError::new("an unknown field")
    }
    fn missing_field(field: &'static str) -> Self {
        DecodeError {
            problem: "missing field",
            field: Some(field),
        }
    }
    fn duplicate_field(field: &'static str) -> Self {
        DecodeError {
            problem: "repeated field",
            field: Some(field),
        }
    }
}

/// Numbers up to 2^53 are exact in JavaScript: beyond, not an integer.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// What kind of value `JSON.parse` made. Found by one non-generic function,
/// so each type's reader only matches on it (issue 13).
enum Shape {
    /// null (or undefined: a field that is not there).
    Nothing,
    Bool(bool),
    /// Integers as integers, so every integer type's visitor takes them.
    Natural(u64),
    Negative(i64),
    /// Any other number: a fraction, or an integer too large to be exact.
    Fraction(f64),
    Text(String),
    List(Array),
    Record(Object),
    Other,
}

impl Shape {
    #[inline(never)]
    fn of(v: JsValue) -> Shape {
        if v.is_null() || v.is_undefined() {
            Shape::Nothing
        } else if let Some(b) = v.as_bool() {
            Shape::Bool(b)
        } else if let Some(n) = v.as_f64() {
            if n.fract() != 0.0 || n.abs() > MAX_SAFE_INTEGER {
                Shape::Fraction(n)
            } else if n >= 0.0 {
                Shape::Natural(n as u64)
            } else {
                Shape::Negative(n as i64)
            }
        } else if let Some(s) = v.as_string() {
            Shape::Text(s)
        } else if Array::is_array(&v) {
            Shape::List(v.unchecked_into())
        } else if v.is_object() {
            Shape::Record(v.unchecked_into())
        } else {
            Shape::Other
        }
    }
}

/// One parsed JSON value.
struct Reader(JsValue);

impl Reader {
    fn object(self) -> Result<Object, DecodeError> {
        if self.0.is_object() && !Array::is_array(&self.0) {
            Ok(self.0.unchecked_into())
        } else {
            Err(WRONG_TYPE)
        }
    }
}

impl<'de> de::Deserializer<'de> for Reader {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match Shape::of(self.0) {
            Shape::Nothing => visitor.visit_unit(),
            Shape::Bool(b) => visitor.visit_bool(b),
            Shape::Natural(n) => visitor.visit_u64(n),
            Shape::Negative(n) => visitor.visit_i64(n),
            Shape::Fraction(n) => visitor.visit_f64(n),
            Shape::Text(s) => visitor.visit_string(s),
            Shape::List(items) => visitor.visit_seq(Items(Cursor::new(items))),
            Shape::Record(object) => {
                let keys = Cursor::new(Object::keys(&object));
                visitor.visit_map(Entries {
                    object,
                    keys,
                    value: None,
                })
            }
            Shape::Other => Err(WRONG_TYPE),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if self.0.is_null() || self.0.is_undefined() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    /// Reads the struct's own fields by name, and nothing else.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        let object = self.object()?;
        visitor.visit_map(Fields {
            object,
            fields: fields.iter(),
            value: None,
        })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        if self.0.is_string() {
            return visitor.visit_enum(Variant {
                name: self.0,
                value: None,
            });
        }
        let object = self.object()?;
        let keys = Object::keys(&object);
        if keys.length() != 1 {
            return Err(UNKNOWN_VARIANT);
        }
        let name = keys.get(0);
        let value = Reflect::get(&object, &name).unwrap_or(JsValue::UNDEFINED);
        visitor.visit_enum(Variant {
            name,
            value: Some(value),
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier
        ignored_any
    }
}

/// Walks an array from its start.
struct Cursor {
    array: Array,
    next: u32,
}

impl Cursor {
    fn new(array: Array) -> Self {
        Cursor { array, next: 0 }
    }

    fn next(&mut self) -> Option<JsValue> {
        if self.next >= self.array.length() {
            return None;
        }
        self.next += 1;
        Some(self.array.get(self.next - 1))
    }

    fn left(&self) -> usize {
        (self.array.length() - self.next) as usize
    }
}

/// An array's items, in order.
struct Items(Cursor);

impl<'de> SeqAccess<'de> for Items {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        match self.0.next() {
            Some(item) => seed.deserialize(Reader(item)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.left())
    }
}

/// An object's entries, for a map (or a value read without a known shape).
struct Entries {
    object: Object,
    keys: Cursor,
    value: Option<JsValue>,
}

impl<'de> MapAccess<'de> for Entries {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        let Some(key) = self.keys.next() else {
            return Ok(None);
        };
        self.value = Some(Reflect::get(&self.object, &key).unwrap_or(JsValue::UNDEFINED));
        seed.deserialize(Reader(key)).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, DecodeError> {
        read_taken(&mut self.value, seed)
    }
}

/// The value a map access found with its key, read once.
fn read_taken<'de, T: DeserializeSeed<'de>>(
    value: &mut Option<JsValue>,
    seed: T,
) -> Result<T::Value, DecodeError> {
    seed.deserialize(Reader(take_value(value)))
}

#[inline(never)]
fn take_value(value: &mut Option<JsValue>) -> JsValue {
    value.take().unwrap_or(JsValue::UNDEFINED)
}

/// A struct's fields that the object has, by the names serde asks for.
struct Fields {
    object: Object,
    fields: std::slice::Iter<'static, &'static str>,
    value: Option<JsValue>,
}

impl Fields {
    /// The next field the object has, its value kept for `next_value_seed`.
    /// Not generic, and never inlined: every struct's reader calls this one
    /// copy (issue 13).
    #[inline(never)]
    fn next_present(&mut self) -> Option<&'static str> {
        for &field in self.fields.by_ref() {
            let value =
                Reflect::get(&self.object, &JsValue::from_str(field)).unwrap_or(JsValue::UNDEFINED);
            // Absent: serde fills the default, or reports the missing field.
            if !value.is_undefined() {
                self.value = Some(value);
                return Some(field);
            }
        }
        None
    }
}

impl<'de> MapAccess<'de> for Fields {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        match self.next_present() {
            Some(field) => seed
                .deserialize(BorrowedStrDeserializer::<DecodeError>::new(field))
                .map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, DecodeError> {
        read_taken(&mut self.value, seed)
    }
}

/// An enum: its variant's name, and the value of a variant with data.
struct Variant {
    name: JsValue,
    value: Option<JsValue>,
}

impl<'de> EnumAccess<'de> for Variant {
    type Error = DecodeError;
    type Variant = VariantValue;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantValue), DecodeError> {
        let variant = seed.deserialize(Reader(self.name))?;
        Ok((variant, VariantValue(self.value)))
    }
}

struct VariantValue(Option<JsValue>);

impl VariantValue {
    fn reader(self) -> Result<Reader, DecodeError> {
        self.0.map(Reader).ok_or(WRONG_TYPE)
    }
}

impl<'de> VariantAccess<'de> for VariantValue {
    type Error = DecodeError;

    fn unit_variant(self) -> Result<(), DecodeError> {
        match self.0 {
            None => Ok(()),
            Some(v) if v.is_null() => Ok(()),
            Some(_) => Err(WRONG_TYPE),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, DecodeError> {
        seed.deserialize(self.reader()?)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        de::Deserializer::deserialize_seq(self.reader()?, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        de::Deserializer::deserialize_struct(self.reader()?, "", fields, visitor)
    }
}
