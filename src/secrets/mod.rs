//! Secret references and their providers. Values are resolved locally,
//! once per command, before any node is touched.
//!
//! A reference's scheme picks its provider: `op://` (1Password's `op`, all
//! of a command's references in one `op inject`), `pass://` (`pass show`),
//! `env://` (this process's environment), `exec://` (the inventory's
//! `[secrets].exec` argv). Providers run here, without a shell; values
//! never go into any argv, file or message: they come back as
//! [`SecretValue`]s, which print as `***`.

mod env;
mod error;
mod exec;
mod mask;
mod op;
mod pass;
mod process;
mod reference;
mod resolved;
mod resolver;
mod settings;
mod stream_mask;
mod value;

pub use error::SecretError;
pub use reference::{is_env_name, SecretRef};
pub use resolved::{Masker, Secrets};
pub use resolver::resolve_all;
pub use settings::ProviderSettings;
pub use stream_mask::StreamMasker;
pub use value::SecretValue;
