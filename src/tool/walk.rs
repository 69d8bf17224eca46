//! walk (stub: to be written).
