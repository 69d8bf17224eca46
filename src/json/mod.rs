//! JSON without a tree: a streaming parser for what arrives, a writer for
//! what leaves, and a reader for the flat argument objects tools receive.

pub mod args;
pub mod rebuild;
pub mod stream;
pub mod value;
pub mod write;

pub use args::Args;
pub use stream::{below, Event, Parser};
