//! cdkfix: rewrites AWS CDK Python source toward best practice, with minimal
//! byte-range edits shown as a unified diff. See ARCHITECTURE.md.

pub mod api;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod engine;
pub mod imports;
pub mod layout;
pub mod options;
pub mod pyast;
pub mod rules;
pub mod source;
pub mod suppress;
pub mod version;
pub mod walk;
