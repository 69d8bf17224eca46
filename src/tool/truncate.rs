//! truncate (stub: to be written).
