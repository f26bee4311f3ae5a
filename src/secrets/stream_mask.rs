//! Masking a byte stream (the output of `homectl run` and `exec`) that
//! arrives in chunks of any size: a value split across two chunks is still
//! masked, and every byte that is not part of a value passes unchanged
//! (docs/secrets.md, "Remote output is masked").
//!
//! Only the end of a chunk that could be the beginning of a value is held
//! back until the next chunk tells; everything before it is shown at once,
//! so an interactive session is not delayed.

use super::mask::Masker;

pub struct StreamMasker {
    masker: Masker,
    held: Vec<u8>,
}

impl StreamMasker {
    pub(crate) fn new(masker: Masker) -> StreamMasker {
        StreamMasker {
            masker,
            held: Vec::new(),
        }
    }

    /// The bytes that can be shown now, masked.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.held.extend_from_slice(chunk);
        let mut cut = self.masker.pending_start(&self.held);
        let spans = self.masker.spans(&self.held);
        // A value found that reaches past the cut may grow with more bytes
        // (a longer value that begins the same way): hold it whole.
        if let Some(&(start, _)) = spans.iter().find(|&&(s, e)| s < cut && e > cut) {
            cut = start;
        }
        let shown = self.masker.mask_bytes(&self.held[..cut]);
        self.held.drain(..cut);
        shown
    }

    /// The end of the stream: what was held back, masked.
    pub fn finish(&mut self) -> Vec<u8> {
        let shown = self.masker.mask_bytes(&self.held);
        self.held.clear();
        shown
    }
}

#[cfg(test)]
mod tests {
    use crate::secrets::{SecretRef, SecretValue, Secrets};

    fn stream(chunks: &[&[u8]], values: &[&str]) -> Vec<u8> {
        let secrets: Secrets = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    SecretRef::parse(&format!("env://S{i}")).unwrap(),
                    SecretValue::new(v.to_string()),
                )
            })
            .collect();
        let mut masker = secrets.masker().into_stream();
        let mut out = Vec::new();
        for chunk in chunks {
            out.extend(masker.push(chunk));
        }
        out.extend(masker.finish());
        out
    }

    #[test]
    fn a_value_split_across_chunks_is_masked() {
        assert_eq!(
            stream(&[b"pw=hun", b"ter", b"2-long!\n"], &["hunter2-long"]),
            b"pw=***!\n"
        );
        // One byte at a time.
        let text = b"a hunter2-long b";
        let chunks: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(stream(&chunks, &["hunter2-long"]), b"a *** b");
    }

    #[test]
    fn other_bytes_pass_unchanged_control_characters_and_binary_included() {
        let bytes: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
        let chunks: Vec<&[u8]> = bytes.chunks(7).collect();
        assert_eq!(stream(&chunks, &["hunter2-long"]), bytes);
        assert_eq!(
            stream(&[b"\x1b[1mX\r\n\x00hunter2-long\x07"], &["hunter2-long"]),
            b"\x1b[1mX\r\n\x00***\x07"
        );
    }

    #[test]
    fn a_longer_value_that_begins_like_a_shorter_one_is_masked_whole() {
        assert_eq!(
            stream(&[b"x abcd", b"efgh y"], &["abcd", "abcdefgh"]),
            b"x *** y"
        );
        assert_eq!(
            stream(&[b"x abcd", b" y"], &["abcd", "abcdefgh"]),
            b"x *** y"
        );
    }

    #[test]
    fn only_a_possible_beginning_of_a_value_is_held_back() {
        let secrets: Secrets = [(
            SecretRef::parse("env://S").unwrap(),
            SecretValue::new("hunter2-long".into()),
        )]
        .into_iter()
        .collect();
        let mut masker = secrets.masker().into_stream();
        assert_eq!(masker.push(b"$ "), b"$ ");
        assert_eq!(masker.push(b"echo hun"), b"echo ");
        assert_eq!(masker.push(b"gry\n"), b"hungry\n");
    }

    #[test]
    fn no_secrets_pass_everything_at_once() {
        let mut masker = Secrets::new().masker().into_stream();
        assert_eq!(masker.push(b"abc"), b"abc");
        assert_eq!(masker.finish(), b"");
    }
}
