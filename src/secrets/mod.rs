//! Secret references and their providers. Values are resolved locally,
//! once per command, before any node is touched.

mod reference;
pub use reference::{is_env_name, SecretRef};
