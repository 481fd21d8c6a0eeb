//! A problem with the input rather than a finding about it; reports show problems beside
//! findings, and an error-level problem makes the run exit 2.

use crate::location::Location;
use serde::Serialize;

/// A problem with the input rather than a finding about it: a parse error, a broken config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub location: Location,
    pub message: String,
}
