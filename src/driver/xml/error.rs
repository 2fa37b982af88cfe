//! The one error type of the XML model: what went wrong, in words, with a line and column
//! whenever the problem sits at a place in the document.

use std::fmt;

use crate::i18n::{gettext, gettext_f};

/// A place in an XML document: byte offset plus 1-based line and column (columns count
/// characters, not bytes, so they match what an editor shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` in `text`. An offset past the end (or inside a multi-byte
    /// character) is clamped back to the nearest character boundary.
    pub fn locate(text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        Position {
            offset,
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

/// Everything that can go wrong while reading or editing domain XML.
///
/// `Display` gives a sentence for the user (translated); messages that come from the XML
/// reader itself are included verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum XmlError {
    /// The text is not well-formed XML.
    Syntax { message: String, position: Position },
    /// Elements are nested deeper than the model accepts (a defence against hostile input).
    TooDeep { limit: usize, position: Position },
    /// The document is larger than the model accepts.
    TooLarge { size: usize, limit: usize },
    /// The text holds no element at all.
    NoRootElement,
    /// The root element is not the one expected (e.g. `<network>` where `<domain>` was wanted).
    WrongRoot { expected: String, found: String },
    /// A required element is missing or empty, e.g. the domain's `<name>`.
    MissingElement { element: String },
    /// A device index does not exist in the document's `<devices>`.
    NoSuchDevice { index: usize, count: usize },
    /// The device at an index is not the one the caller saw (the XML changed in between).
    DeviceChanged { index: usize },
    /// A value given to an edit is not acceptable; `reason` is a translated sentence.
    InvalidValue { field: String, reason: String },
    /// The edit cannot be done on this document without losing information; `reason` says why.
    Unsupported { reason: String },
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            XmlError::Syntax { message, position } => gettext_f(
                "The XML is not well-formed at line {line}, column {column}: {message}",
                &[
                    ("line", &position.line.to_string()),
                    ("column", &position.column.to_string()),
                    ("message", message),
                ],
            ),
            XmlError::TooDeep { limit, position } => gettext_f(
                "The XML nests elements deeper than {limit} levels at line {line}, column {column}",
                &[
                    ("limit", &limit.to_string()),
                    ("line", &position.line.to_string()),
                    ("column", &position.column.to_string()),
                ],
            ),
            XmlError::TooLarge { size, limit } => gettext_f(
                "The XML is too large ({size} bytes; at most {limit} bytes are accepted)",
                &[("size", &size.to_string()), ("limit", &limit.to_string())],
            ),
            XmlError::NoRootElement => gettext("The XML document contains no element"),
            XmlError::WrongRoot { expected, found } => gettext_f(
                "The XML describes a <{found}>, not a <{expected}>",
                &[("found", found), ("expected", expected)],
            ),
            XmlError::MissingElement { element } => gettext_f(
                "The XML lacks the required element <{element}>",
                &[("element", element)],
            ),
            XmlError::NoSuchDevice { index, count } => gettext_f(
                "There is no device number {index}; the domain has {count} devices",
                &[("index", &index.to_string()), ("count", &count.to_string())],
            ),
            XmlError::DeviceChanged { index } => gettext_f(
                "Device number {index} changed since it was read; reload the domain and try again",
                &[("index", &index.to_string())],
            ),
            XmlError::InvalidValue { field, reason } => gettext_f(
                "Invalid {field}: {reason}",
                &[("field", field), ("reason", reason)],
            ),
            XmlError::Unsupported { reason } => reason.clone(),
        };
        f.write_str(&text)
    }
}

impl std::error::Error for XmlError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "ab\ncdé\nf";
        assert_eq!(
            Position::locate(text, 0),
            Position {
                offset: 0,
                line: 1,
                column: 1
            }
        );
        assert_eq!(Position::locate(text, 3).line, 2);
        assert_eq!(Position::locate(text, 3).column, 1);
        // 'é' is two bytes: the byte after it is the 4th character of line 2.
        let after_e = text.find('\n').map(|n| n + 5).unwrap_or_default();
        assert_eq!(Position::locate(text, after_e).column, 4);
        // Inside the two-byte 'é' clamps back to its start, past the end clamps to the end.
        assert_eq!(Position::locate(text, after_e - 1).column, 3);
        assert_eq!(Position::locate(text, 999).offset, text.len());
    }

    #[test]
    fn messages_name_the_place() {
        let error = XmlError::Syntax {
            message: "boom".into(),
            position: Position {
                offset: 10,
                line: 4,
                column: 7,
            },
        };
        let text = error.to_string();
        assert!(text.contains("line 4"), "{text}");
        assert!(text.contains("column 7"), "{text}");
        assert!(text.contains("boom"), "{text}");
    }
}
