//! Character-level XML rules: escaping and unescaping of text and attribute values, names, and
//! the characters XML 1.0 allows. Only the five predefined entities and character references
//! exist here; no DTD entity is ever expanded (which rules out "billion laughs" by design).

use std::borrow::Cow;

use crate::i18n::{gettext, gettext_f};

/// The replacement of one predefined entity name, if it is one.
fn predefined_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

/// The character a `&#…;` reference body (`#10`, `#x1F`) stands for, if it is valid XML.
pub(crate) fn char_reference(body: &str) -> Option<char> {
    let number = body.strip_prefix('#')?;
    let code = match number.strip_prefix('x') {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => number.parse::<u32>().ok()?,
    };
    char::from_u32(code).filter(|&c| is_xml_char(c))
}

/// What a reference body (the part between `&` and `;`) expands to, if it is allowed here.
pub(crate) fn resolve_reference(body: &str) -> Option<char> {
    if body.starts_with('#') {
        char_reference(body)
    } else {
        predefined_entity(body)
    }
}

/// Whether `c` may appear in an XML 1.0 document.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// Byte offset of the first character XML 1.0 forbids, if any.
pub(crate) fn first_invalid_char(text: &str) -> Option<usize> {
    text.char_indices()
        .find(|&(_, c)| !is_xml_char(c))
        .map(|(offset, _)| offset)
}

/// Checks that every `&` in raw (escaped) text starts a known reference. On failure gives the
/// byte offset of the bad `&` and a short reason.
pub(crate) fn check_references(raw: &str) -> Result<(), (usize, String)> {
    let mut rest = raw;
    let mut consumed = 0;
    while let Some(amp) = rest.find('&') {
        let after = &rest[amp + 1..];
        let Some(semicolon) = after.find(';') else {
            return Err((
                consumed + amp,
                gettext("an '&' does not start a reference (write &amp; for the character)"),
            ));
        };
        let body = &after[..semicolon];
        if resolve_reference(body).is_none() {
            return Err((
                consumed + amp,
                gettext_f(
                    "unknown or invalid reference &{name}; (only the XML predefined entities and character references are accepted)",
                    &[("name", body)],
                ),
            ));
        }
        let skip = amp + 1 + semicolon + 1;
        consumed += skip;
        rest = &rest[skip..];
    }
    Ok(())
}

/// The plain text of raw (escaped) XML text or an attribute value. References that cannot be
/// resolved (the parser rejects those) are left as written.
pub fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('&') {
        return Cow::Borrowed(raw);
    }
    let mut text = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        text.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        match after
            .find(';')
            .and_then(|semi| resolve_reference(&after[..semi]).map(|c| (semi, c)))
        {
            Some((semicolon, c)) => {
                text.push(c);
                rest = &after[semicolon + 1..];
            }
            None => {
                text.push('&');
                rest = after;
            }
        }
    }
    text.push_str(rest);
    Cow::Owned(text)
}

/// Escapes plain text for element content (the way libvirt writes it).
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes plain text for an attribute value. Line breaks and tabs become character
/// references, because a parser would otherwise turn them into spaces.
pub fn escape_attribute(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether `name` is an acceptable element or attribute name (XML `Name`, ASCII rules plus
/// any non-ASCII letter; a `prefix:` is part of the name since namespaces are not resolved).
pub(crate) fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let name_start = |c: char| c.is_ascii_alphabetic() || c == '_' || c == ':' || !c.is_ascii();
    name_start(first) && chars.all(|c| name_start(c) || c.is_ascii_digit() || c == '-' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_resolves_predefined_and_character_references() {
        assert_eq!(unescape("a &amp; b &lt;c&gt; &#65;&#x42;"), "a & b <c> AB");
        assert_eq!(unescape("&apos;&quot;"), "'\"");
        assert!(matches!(unescape("plain"), Cow::Borrowed("plain")));
        // Unknown references survive as written instead of vanishing.
        assert_eq!(unescape("&bogus; & x"), "&bogus; & x");
    }

    #[test]
    fn escaping_round_trips() {
        let tricky = "quote ' and \" & <tag> line\nbreak\ttab";
        assert_eq!(unescape(&escape_attribute(tricky)), tricky);
        assert_eq!(unescape(&escape_text(tricky)), tricky);
        assert!(!escape_attribute(tricky).contains(['\'', '"', '\n', '<']));
    }

    #[test]
    fn references_are_checked() {
        assert!(check_references("a &amp; &#10; &#x1F600;").is_ok());
        assert_eq!(check_references("ab &c").map_err(|e| e.0), Err(3));
        assert_eq!(check_references("&lol;").map_err(|e| e.0), Err(0));
        assert!(
            check_references("&#0;").is_err(),
            "NUL is not an XML character"
        );
        assert!(
            check_references("&#xD800;").is_err(),
            "surrogates are not characters"
        );
    }

    #[test]
    fn names_and_characters() {
        assert!(is_xml_name("disk"));
        assert!(is_xml_name("test:runstate"));
        assert!(is_xml_name("_x-1.2"));
        assert!(!is_xml_name(""));
        assert!(!is_xml_name("1abc"));
        assert!(!is_xml_name("a b"));
        assert_eq!(first_invalid_char("ok\u{1}"), Some(2));
        assert_eq!(first_invalid_char("tab\tnewline\n"), None);
    }
}
