//! mote as a library: every module of the agent, so the binary (src/main.rs)
//! and the fuzz targets (tests/fuzz/) share one build of them. The binary is
//! the product; this crate has no stable API.

pub mod acp;
pub mod agent;
pub mod arena;
pub mod base64;
pub mod clean;
pub mod cli;
pub mod config;
pub mod context;
pub mod doom;
pub mod frontend;
pub mod hooks;
pub mod http;
pub mod idle;
pub mod image;
pub mod input;
pub mod interrupt;
pub mod json;
pub mod looptask;
pub mod mcp;
pub mod memory;
pub mod mention;
pub mod modes;
pub mod output;
pub mod permission;
pub mod plan;
pub mod prompt;
pub mod provider;
pub mod proxy;
pub mod run;
pub mod sandbox;
pub mod schema;
pub mod secrets;
pub mod session;
pub mod skills;
pub mod sse;
pub mod subagent;
pub mod template;
pub mod text;
pub mod tls;
pub mod tool;
pub mod trust;
pub mod tui;
pub mod undo;
pub mod workspace;
