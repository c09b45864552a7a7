//! The console's error types: what failed, typed by where, each carrying the message the
//! status line shows (already worded for a person; server text in them is sanitised upstream).

/// The demo org could not be started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DemoError(pub String);

/// The form cannot become a run's `Config` (what to change is in the message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FormError(pub String);

impl From<String> for FormError {
    fn from(s: String) -> FormError {
        FormError(s)
    }
}

impl From<&str> for FormError {
    fn from(s: &str) -> FormError {
        FormError(s.to_string())
    }
}

/// A request-console line that is not a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RequestLineError(pub String);

impl From<String> for RequestLineError {
    fn from(s: String) -> RequestLineError {
        RequestLineError(s)
    }
}

impl From<&str> for RequestLineError {
    fn from(s: &str) -> RequestLineError {
        RequestLineError(s.to_string())
    }
}

/// A run that could not start or stopped unexpectedly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RunError(pub String);

/// Saved profiles that could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProfileError(pub String);

/// The Fix overlay's admin login that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AdminLoginError(pub String);

/// Each error reads as its message where the console says it (the status line takes a String).
macro_rules! into_message {
    ($($t:ty),*) => {$(
        impl From<$t> for String {
            fn from(e: $t) -> String {
                e.0
            }
        }
    )*};
}

into_message!(
    DemoError,
    FormError,
    RequestLineError,
    RunError,
    ProfileError,
    AdminLoginError
);
