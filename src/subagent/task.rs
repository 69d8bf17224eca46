//! The `task` tool: turn a batch of task calls into children, and their
//! outcomes into tool results.
