//! The XML tab's apply: what is checked before the edited text goes to libvirt, and where in
//! the text libvirt's complaint points (its parser names a line; its schema validator names an
//! element, which is looked up in the text).
//!
//! The one local refusal protects the machine's identity: defining a document without this
//! machine's UUID would create another machine instead of changing this one. Everything else —
//! well-formedness, schema, semantics — is libvirt's to judge, and its message is shown verbatim.

use crate::driver::xml::{XmlDocument, XmlError};
use crate::i18n::{gettext, gettext_f};
use crate::model::DomainUuid;

/// Why an edited document was not defined, and where in it the problem is when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlProblem {
    /// libvirt's message verbatim, or Hangar's own sentence for local refusals.
    pub message: String,
    /// The 1-based line the problem is on (or, for schema errors, the first line holding the
    /// element libvirt names).
    pub line: Option<usize>,
}

impl XmlProblem {
    /// The message with its line, as the editor's error bar shows it.
    pub fn describe(&self) -> String {
        match self.line {
            Some(line) => gettext_f(
                "Line {line}: {message}",
                &[("line", &line.to_string()), ("message", &self.message)],
            ),
            None => self.message.clone(),
        }
    }
}

/// Checks that `text` may be sent to libvirt as the new definition of `uuid`.
///
/// A well-formed document must be a `<domain>` with this UUID. A document this parser cannot
/// read goes to libvirt all the same (its message is the one users know), but only if it
/// literally carries the UUID, so that whatever libvirt makes of it cannot be a new machine.
pub fn check_before_define(text: &str, uuid: DomainUuid) -> Result<(), XmlProblem> {
    let expected = uuid.to_string();
    let keeps_identity = |found: Option<String>| match found {
        Some(found) => found.parse::<DomainUuid>().is_ok_and(|found| found == uuid),
        None => false,
    };
    match XmlDocument::parse(text) {
        Ok(document) => {
            if document.root().name() != "domain" {
                return Err(XmlProblem {
                    message: XmlError::WrongRoot {
                        expected: "domain".into(),
                        found: document.root().name().to_owned(),
                    }
                    .to_string(),
                    line: Some(1),
                });
            }
            if !keeps_identity(document.root().child_text("uuid")) {
                return Err(identity_problem(text, &expected));
            }
            Ok(())
        }
        Err(_) if text.to_ascii_lowercase().contains(&expected) => Ok(()),
        Err(_) => Err(identity_problem(text, &expected)),
    }
}

fn identity_problem(text: &str, expected: &str) -> XmlProblem {
    XmlProblem {
        message: gettext_f(
            "The XML must keep this machine’s UUID ({uuid}); with another one, or none, it would define a different machine",
            &[("uuid", expected)],
        ),
        line: element_line(text, "uuid"),
    }
}

/// Turns libvirt's message about `text` into a problem with a line where one can be found.
pub fn locate_libvirt_error(message: &str, text: &str) -> XmlProblem {
    let line = parser_line(message)
        .or_else(|| schema_element(message).and_then(|element| element_line(text, &element)));
    XmlProblem {
        message: message.trim_end().to_owned(),
        line,
    }
}

/// The line libxml2's parser names: "(domain_definition):5: Opening and ending tag mismatch".
fn parser_line(message: &str) -> Option<usize> {
    let start = message.find("):")? + 2;
    let digits: String = message[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let rest = &message[start + digits.len()..];
    if digits.is_empty() || !rest.starts_with(':') {
        return None;
    }
    digits.parse().ok().filter(|line| *line > 0)
}

/// The element a RelaxNG validation message names first ("Extra element vcpu in interleave",
/// "Element domain failed to validate content", "Did not expect element foo there").
fn schema_element(message: &str) -> Option<String> {
    const PATTERNS: [&str; 5] = [
        "Extra element ",
        "Did not expect element ",
        "Expecting an element ",
        "Invalid attribute ",
        "Element ",
    ];
    // The first line is libvirt's header; the validator's findings follow, most specific first.
    for line in message.lines().skip(1) {
        for pattern in PATTERNS {
            if let Some(position) = line.find(pattern) {
                let rest = &line[position + pattern.len()..];
                // "Invalid attribute X for element Y": the element is Y.
                let rest = match rest.find(" for element ") {
                    Some(at) if pattern == "Invalid attribute " => &rest[at + 13..],
                    _ => rest,
                };
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'))
                    .collect();
                if !name.is_empty() {
                    return Some(name);
                }
            }
        }
    }
    None
}

/// The 1-based line of the first start tag `<element` in `text`.
pub fn element_line(text: &str, element: &str) -> Option<usize> {
    let tag = format!("<{element}");
    let mut from = 0;
    while let Some(found) = text[from..].find(&tag) {
        let at = from + found;
        let after = text[at + tag.len()..].chars().next();
        if after.is_none_or(|c| c.is_whitespace() || c == '>' || c == '/') {
            return Some(text[..at].matches('\n').count() + 1);
        }
        from = at + tag.len();
    }
    None
}

/// What the editor says after a successful apply.
pub fn applied_text(active: bool) -> String {
    if active {
        gettext(
            "The definition was saved. The machine is running: the changes take effect at its next boot.",
        )
    } else {
        gettext("The definition was saved.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "6f1c2a0e-8d4b-4c3e-9a57-2b7d1e0f3c91";

    fn uuid() -> DomainUuid {
        UUID.parse().unwrap()
    }

    #[test]
    fn the_uuid_must_stay() {
        let ok = format!("<domain><name>a</name><uuid>{UUID}</uuid></domain>");
        assert!(check_before_define(&ok, uuid()).is_ok());
        let upper = ok.replace("6f1c2a0e", "6F1C2A0E");
        assert!(check_before_define(&upper, uuid()).is_ok());
        let other = ok.replace("6f1c", "0000");
        let problem = check_before_define(&other, uuid()).unwrap_err();
        assert_eq!(problem.line, Some(1));
        let none = "<domain>\n<name>a</name>\n</domain>";
        assert!(check_before_define(none, uuid()).is_err());
        let network = format!("<network><uuid>{UUID}</uuid></network>");
        assert!(check_before_define(&network, uuid()).is_err());
    }

    #[test]
    fn malformed_text_goes_to_libvirt_only_with_the_uuid() {
        let broken = format!("<domain><uuid>{UUID}</uuid><devices></devics></domain>");
        assert!(check_before_define(&broken, uuid()).is_ok());
        assert!(check_before_define("<domain><devices></devics>", uuid()).is_err());
    }

    #[test]
    fn parser_errors_name_their_line() {
        let message = "(domain_definition):5: Opening and ending tag mismatch: devices line 4 and devics\n  </devics>\n-----------^";
        let problem = locate_libvirt_error(message, "");
        assert_eq!(problem.line, Some(5));
        assert!(problem.describe().starts_with("Line 5: "));
    }

    #[test]
    fn schema_errors_point_at_the_named_element() {
        let text =
            "<domain type='test'>\n  <name>x</name>\n  <vcpus/>\n  <vcpu>abc</vcpu>\n</domain>";
        let message = "XML document failed to validate against schema: Unable to validate doc against /usr/share/libvirt/schemas/domain.rng\nExtra element vcpu in interleave\nElement domain failed to validate content";
        assert_eq!(locate_libvirt_error(message, text).line, Some(4));
        let attribute = "XML document failed to validate against schema: x\nInvalid attribute foo for element memory";
        assert_eq!(
            locate_libvirt_error(attribute, "<domain>\n<memory foo='1'/>").line,
            Some(2)
        );
        let semantic = "unsupported configuration: something";
        assert_eq!(locate_libvirt_error(semantic, text).line, None);
    }
}
