//! A bad value in a named field, found below the HTTP layer (a phone number,
//! a time zone, a provider setting): the stable code, the field's path and
//! what to do. `http` answers it as a 422.

#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub code: &'static str,
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        FieldError {
            code,
            field: field.to_string(),
            message: message.into(),
        }
    }
}
