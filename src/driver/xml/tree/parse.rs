//! Builds the lossless tree from quick-xml's event reader, adding the well-formedness checks
//! quick-xml leaves to its caller (one root, no stray text, unclosed elements, attribute
//! syntax, references, forbidden characters) and the depth and size limits.

use std::borrow::Cow;

use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::{
    AttributeSpan, Element, MAX_DEPTH, MAX_DOCUMENT_BYTES, Node, XmlDocument, attribute_text_of,
    is_whitespace,
};
use crate::driver::xml::error::{Position, XmlError};
use crate::driver::xml::text::{
    check_references, first_invalid_char, is_xml_name, resolve_reference,
};
use crate::i18n::{gettext, gettext_f};

/// An element whose end tag has not been read yet, with where its start tag began.
struct Open {
    element: Element,
    start: usize,
}

/// The parse in progress: the input (for positions) and what has been built so far.
struct Builder<'a> {
    input: &'a str,
    prolog: Vec<Node>,
    root: Option<Element>,
    epilog: Vec<Node>,
    stack: Vec<Open>,
}

impl<'a> Builder<'a> {
    fn error(&self, offset: usize, message: String) -> XmlError {
        XmlError::Syntax {
            message,
            position: Position::locate(self.input, offset),
        }
    }

    /// Adds a node to the open element, or before/after the root at the top level.
    fn push(&mut self, node: Node) {
        match self.stack.last_mut() {
            Some(open) => open.element.children.push(node),
            None if self.root.is_none() => self.prolog.push(node),
            None => self.epilog.push(node),
        }
    }

    /// Adds raw text inside the open element, joining it to text just before (quick-xml
    /// reports `a &amp; b` as three events).
    fn push_text(&mut self, raw: &str) {
        if let Some(open) = self.stack.last_mut() {
            if let Some(Node::Text(text)) = open.element.children.last_mut() {
                text.push_str(raw);
                return;
            }
            open.element.children.push(Node::Text(raw.to_owned()));
        }
    }

    /// Checks that a new element may start at `start`: inside the root, or as the only root,
    /// and not too deep.
    fn check_new_element(&self, start: usize) -> Result<(), XmlError> {
        if self.stack.is_empty() && self.root.is_some() {
            return Err(self.error(
                start,
                gettext("a second top-level element follows the root element"),
            ));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(XmlError::TooDeep {
                limit: MAX_DEPTH,
                position: Position::locate(self.input, start),
            });
        }
        Ok(())
    }

    /// Puts a finished element into its parent, or makes it the root.
    fn attach(&mut self, element: Element) {
        match self.stack.last_mut() {
            Some(open) => open.element.children.push(Node::Element(element)),
            None => self.root = Some(element),
        }
    }

    /// Rejects characters XML forbids in `content`, which starts at byte `start`.
    fn check_chars(&self, content: &str, start: usize) -> Result<(), XmlError> {
        match first_invalid_char(content) {
            Some(offset) => Err(self.error(
                start + offset,
                gettext("the text contains a character XML does not allow"),
            )),
            None => Ok(()),
        }
    }

    /// An element from a start (or empty-element) tag beginning at byte `start` (its `<`).
    fn element(
        &self,
        tag: &BytesStart<'_>,
        start: usize,
        self_closing: bool,
    ) -> Result<Element, XmlError> {
        let tag_text: &str = tag;
        let name = tag.name().0;
        if !is_xml_name(name) {
            return Err(self.error(
                start,
                gettext_f("<{name}> is not a valid element name", &[("name", name)]),
            ));
        }
        // Offsets inside the tag are relative to the character after `<`.
        let tag_offset = start + 1;
        let attribute_text = tag.attributes_raw();
        let mut pairs: Vec<(&str, Cow<'_, str>)> = Vec::new();
        for attribute in tag.attributes() {
            let attribute = attribute.map_err(|e| self.attribute_error(&e, tag_offset))?;
            let key = attribute.key.0;
            let raw_value: &str = &attribute.value;
            let value_offset = tag_offset + offset_within(tag_text, raw_value).unwrap_or(0);
            if !is_xml_name(key) {
                return Err(self.error(
                    value_offset,
                    gettext_f("“{name}” is not a valid attribute name", &[("name", key)]),
                ));
            }
            if let Some(lt) = raw_value.find('<') {
                return Err(self.error(
                    value_offset + lt,
                    gettext("an attribute value contains a '<'"),
                ));
            }
            if let Err((offset, reason)) = check_references(raw_value) {
                return Err(self.error(value_offset + offset, reason));
            }
            self.check_chars(raw_value, value_offset)?;
            pairs.push((key, attribute.value));
        }
        // The attributes are slices of the tag text; keep that text and where each sits.
        let spans: Option<Vec<AttributeSpan>> = pairs
            .iter()
            .map(|(key, raw_value)| {
                let Cow::Borrowed(raw_value) = raw_value else {
                    return None;
                };
                let key_start = offset_within(attribute_text, key)?;
                let value_start = offset_within(attribute_text, raw_value)?;
                Some(AttributeSpan {
                    name: (key_start, key_start + key.len()),
                    value: (value_start, value_start + raw_value.len()),
                })
            })
            .collect();
        let (attribute_text, attributes) = match spans {
            Some(spans) => (attribute_text.to_owned(), spans),
            // Not slices after all (never with a string reader): write them out plainly.
            None => {
                let plain: Vec<(&str, &str)> =
                    pairs.iter().map(|(k, v)| (*k, v.as_ref())).collect();
                attribute_text_of(&plain)
            }
        };
        Ok(Element {
            name: name.to_owned(),
            attribute_text,
            attributes,
            children: Vec::new(),
            self_closing,
            end_tag_padding: None,
        })
    }

    fn attribute_error(&self, error: &AttrError, tag_offset: usize) -> XmlError {
        let (offset, message) = match *error {
            AttrError::ExpectedEq(at) => (at, gettext("an attribute name lacks its '='")),
            AttrError::ExpectedValue(at) => (at, gettext("an attribute lacks its value")),
            AttrError::UnquotedValue(at) => (at, gettext("an attribute value is not quoted")),
            AttrError::ExpectedQuote(at, _) => {
                (at, gettext("an attribute value lacks its closing quote"))
            }
            AttrError::Duplicated(at, _) => (at, gettext("an attribute appears twice")),
        };
        self.error(tag_offset + offset, message)
    }
}

/// Byte offset of `inner` inside `outer` when `inner` is a slice of it.
fn offset_within(outer: &str, inner: &str) -> Option<usize> {
    let outer_start = outer.as_ptr() as usize;
    let inner_start = inner.as_ptr() as usize;
    let offset = inner_start.checked_sub(outer_start)?;
    (offset + inner.len() <= outer.len()).then_some(offset)
}

/// Parses `input` into an [`XmlDocument`]; see [`XmlDocument::parse`].
pub(super) fn parse_document(input: &str) -> Result<XmlDocument, XmlError> {
    if input.len() > MAX_DOCUMENT_BYTES {
        return Err(XmlError::TooLarge {
            size: input.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let mut reader = Reader::from_str(input);
    reader.config_mut().check_comments = true;
    let mut builder = Builder {
        input,
        prolog: Vec::new(),
        root: None,
        epilog: Vec::new(),
        stack: Vec::new(),
    };
    loop {
        let start = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(error) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Err(builder.error(at, error.to_string()));
            }
        };
        match event {
            Event::Start(tag) => {
                builder.check_new_element(start)?;
                let element = builder.element(&tag, start, false)?;
                builder.stack.push(Open { element, start });
            }
            Event::Empty(tag) => {
                builder.check_new_element(start)?;
                let element = builder.element(&tag, start, true)?;
                builder.attach(element);
            }
            Event::End(_) => match builder.stack.pop() {
                Some(mut open) => {
                    // `</name  >`: keep the padding quick-xml trims from the name.
                    let end = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
                    let padding = input
                        .get(start + 2 + open.element.name.len()..end.saturating_sub(1))
                        .filter(|padding| !padding.is_empty());
                    open.element.end_tag_padding = padding.map(str::to_owned);
                    builder.attach(open.element);
                }
                // quick-xml reports unmatched end tags itself; this only keeps us panic-free.
                None => return Err(builder.error(start, gettext("an end tag has no start tag"))),
            },
            Event::Text(text) => {
                let raw: &str = &text;
                if builder.stack.is_empty() {
                    if !is_whitespace(raw) {
                        return Err(
                            builder.error(start, gettext("there is text outside the root element"))
                        );
                    }
                    builder.push(Node::Text(raw.to_owned()));
                } else {
                    builder.check_chars(raw, start)?;
                    builder.push_text(raw);
                }
            }
            Event::GeneralRef(reference) => {
                let body: &str = &reference;
                if builder.stack.is_empty() {
                    return Err(
                        builder.error(start, gettext("there is text outside the root element"))
                    );
                }
                if resolve_reference(body).is_none() {
                    return Err(builder.error(
                        start,
                        gettext_f(
                            "unknown or invalid reference &{name}; (only the XML predefined entities and character references are accepted)",
                            &[("name", body)],
                        ),
                    ));
                }
                builder.push_text(&format!("&{body};"));
            }
            Event::CData(data) => {
                if builder.stack.is_empty() {
                    return Err(
                        builder.error(start, gettext("there is text outside the root element"))
                    );
                }
                builder.check_chars(&data, start)?;
                builder.push(Node::CData(data.to_string()));
            }
            Event::Comment(comment) => {
                builder.check_chars(&comment, start)?;
                builder.push(Node::Comment(comment.to_string()));
            }
            Event::PI(instruction) => {
                if instruction.target().eq_ignore_ascii_case("xml") {
                    return Err(builder.error(
                        start,
                        gettext("the XML declaration may only appear at the very start"),
                    ));
                }
                builder.check_chars(&instruction, start)?;
                builder.push(Node::ProcessingInstruction(instruction.to_string()));
            }
            Event::Decl(declaration) => {
                if start != 0 {
                    return Err(builder.error(
                        start,
                        gettext("the XML declaration may only appear at the very start"),
                    ));
                }
                builder.push(Node::Declaration(declaration.to_string()));
            }
            Event::DocType(_) => {
                let seen_before = builder.prolog.iter().any(|n| matches!(n, Node::DocType(_)));
                if builder.root.is_some() || !builder.stack.is_empty() || seen_before {
                    return Err(builder.error(
                        start,
                        gettext(
                            "a document type declaration may only appear before the root element",
                        ),
                    ));
                }
                // Kept whole as written: quick-xml normalises the space after the keyword.
                let end = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
                let declaration = input.get(start..end).unwrap_or_default();
                builder.push(Node::DocType(declaration.to_owned()));
            }
            Event::Eof => break,
        }
    }
    if let Some(open) = builder.stack.last() {
        let name = open.element.name.clone();
        return Err(builder.error(
            open.start,
            gettext_f("the element <{name}> is never closed", &[("name", &name)]),
        ));
    }
    let Builder {
        prolog,
        root,
        epilog,
        ..
    } = builder;
    let root = root.ok_or(XmlError::NoRootElement)?;
    Ok(XmlDocument {
        prolog,
        root,
        epilog,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error for `xml`, with its line and column.
    fn error(xml: &str) -> (XmlError, usize, usize) {
        match XmlDocument::parse(xml) {
            Ok(doc) => panic!("accepted {xml:?} as {doc:?}"),
            Err(error) => {
                let (line, column) = match &error {
                    XmlError::Syntax { position, .. } | XmlError::TooDeep { position, .. } => {
                        (position.line, position.column)
                    }
                    _ => (0, 0),
                };
                (error, line, column)
            }
        }
    }

    #[test]
    fn malformed_documents_are_errors_with_positions() {
        let cases: &[(&str, usize, usize)] = &[
            ("<a>\n  <b>\n</a>", 3, 1),            // mismatched end tag
            ("<a>\n  <b>\n", 2, 3),                // never closed: points at <b>
            ("<a x='1' x='2'/>", 1, 10),           // duplicate attribute
            ("<a x=1/>", 1, 6),                    // unquoted value
            ("<a>&</a>", 1, 4),                    // dangling ampersand
            ("<a>&lol;</a>", 1, 4),                // entity that does not exist
            ("<a x='&lol;'/>", 1, 7),              // same inside an attribute
            ("<a x='<'/>", 1, 7),                  // '<' in an attribute
            ("<a/><b/>", 1, 5),                    // two roots
            ("junk<a/>", 1, 1),                    // text before the root
            ("<a/>junk", 1, 5),                    // text after the root
            ("<a>\u{1}</a>", 1, 4),                // forbidden control character
            ("<a>&#0;</a>", 1, 4),                 // reference to a forbidden character
            ("<a><!-- x -- y --></a>", 1, 11),     // double hyphen in a comment: points at it
            ("<1a/>", 1, 1),                       // bad element name
            ("\n<a/><?xml version='1.0'?>", 2, 5), // late declaration
            ("<a", 1, 1),                          // cut-off tag
        ];
        for &(xml, line, column) in cases {
            let (error, got_line, got_column) = error(xml);
            assert!(
                matches!(error, XmlError::Syntax { .. }),
                "{xml:?}: {error:?}"
            );
            assert_eq!((got_line, got_column), (line, column), "{xml:?}: {error}");
        }
        assert_eq!(error("").0, XmlError::NoRootElement);
        assert_eq!(error("  <!-- only -->\n").0, XmlError::NoRootElement);
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let depth = 100_000;
        let xml = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        let (error, line, column) = error(&xml);
        assert!(
            matches!(
                error,
                XmlError::TooDeep {
                    limit: MAX_DEPTH,
                    ..
                }
            ),
            "{error}"
        );
        assert_eq!((line, column), (1, MAX_DEPTH * 3 + 1));
        // Exactly at the limit is fine.
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(XmlDocument::parse(&ok).is_ok());
    }

    #[test]
    fn entity_declarations_are_kept_but_never_expanded() {
        let xml = "<!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>\n<d>x</d>";
        let doc = XmlDocument::parse(xml).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(doc.to_xml_string(), xml);
        let (error, _, _) = error("<!DOCTYPE d [<!ENTITY a \"aa\">]><d>&a;</d>");
        assert!(error.to_string().contains("&a;"), "{error}");
    }

    #[test]
    fn oversized_input_is_refused_up_front() {
        let xml = format!("<a x='{}'/>", "y".repeat(MAX_DOCUMENT_BYTES));
        assert!(matches!(
            XmlDocument::parse(&xml),
            Err(XmlError::TooLarge { .. })
        ));
    }

    #[test]
    fn references_split_text_is_joined() {
        let doc = XmlDocument::parse("<a>x &amp; y&#33;</a>").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            doc.root().children(),
            &[Node::Text("x &amp; y&#33;".into())]
        );
        assert_eq!(doc.root().text(), "x & y!");
    }
}
