//! Which names look like they hold a secret: a key under which a value is
//! never shown in a diagnostic, whatever the file (docs/architecture.md,
//! stage 1: errors never echo a secret).

/// Words that mark a secret, compared without case, `_`, `-` or `.`.
const SECRET_WORDS: [&str; 7] = [
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "privatekey",
];

/// Longer names are not compared letter by letter: they count as secret.
const LONGEST_COMPARED: usize = 256;

/// A name that holds (or may hold) a secret: it contains one of
/// `SECRET_WORDS`, or something within two typos of `password`
/// (`passwrod`, `pasword`, `passw0rd`).
pub(super) fn looks_like_secret(name: &str) -> bool {
    let letters: Vec<char> = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if letters.len() > LONGEST_COMPARED {
        return true;
    }
    let joined: String = letters.iter().collect();
    if SECRET_WORDS.iter().any(|word| joined.contains(word)) {
        return true;
    }
    (7..=9).any(|len| {
        letters.windows(len).any(|window| {
            let window: String = window.iter().collect();
            strsim::osa_distance(&window, "password") <= 2
        })
    })
}

#[cfg(test)]
mod tests {
    use super::looks_like_secret;

    #[test]
    fn secret_names() {
        for name in [
            "password",
            "PASSWORD",
            "DB_PASSWORD",
            "passwrod",
            "pasword",
            "Passw0rd",
            "registry_passwd",
            "API_KEY",
            "api-key",
            "GITHUB_TOKEN",
            "PRIVATE_KEY",
            "client_secret",
            "secrets",
        ] {
            assert!(looks_like_secret(name), "{name}");
        }
    }

    #[test]
    fn plain_names() {
        for name in [
            "username",
            "server",
            "host",
            "REGISTRY",
            "LOG_LEVEL",
            "images",
            "env",
            "PORT",
            "SSH_KEYS_DIR",
        ] {
            assert!(!looks_like_secret(name), "{name}");
        }
    }
}
