//! Clipboard text on the wire: RFB's cut-text messages carry ISO 8859-1 (Latin-1) with LF line
//! ends; the desktop uses UTF-8. Characters Latin-1 cannot hold become `?`.

/// Encodes desktop text for a ClientCutText message: Latin-1, LF line ends, and `?` for every
/// character outside Latin-1 (and for control characters other than tab and newline).
pub fn to_latin1(text: &str) -> Vec<u8> {
    let text = text.replace("\r\n", "\n");
    text.chars()
        .map(|c| match u32::from(c) {
            0x09 | 0x0a => c as u8,
            0x20..=0x7e | 0xa0..=0xff => u32::from(c) as u8,
            _ => b'?',
        })
        .collect()
}

/// Decodes Latin-1 bytes into desktop text (every byte is a character).
pub fn from_latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_round_trips_and_replaces_what_it_cannot_hold() {
        assert_eq!(to_latin1("café\r\nß"), b"caf\xe9\n\xdf");
        assert_eq!(to_latin1("€ ok ✓\u{7}"), b"? ok ??");
        assert_eq!(from_latin1(b"caf\xe9\n\xdf"), "café\nß");
        let all: Vec<u8> = (0x20..=0x7e).chain(0xa0..=0xff).collect();
        assert_eq!(to_latin1(&from_latin1(&all)), all);
    }
}
