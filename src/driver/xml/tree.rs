//! A small lossless XML tree: elements with ordered attributes, text, comments, CDATA,
//! processing instructions, declaration and doctype all kept as written, so a document that is
//! parsed and written back without edits comes out byte for byte the same, and an edit touches
//! only what it changes.
//!
//! Text and attribute values are stored *raw* (still escaped, as in the document); accessors
//! return them unescaped and setters escape what they are given.

mod parse;

use std::borrow::Cow;
use std::fmt;

use super::error::XmlError;
use super::text::{escape_attribute, escape_text, unescape};

/// The most deeply nested elements the parser accepts. Libvirt domain XML goes about eight
/// levels deep; the limit only has to stop hostile input from exhausting the stack.
pub const MAX_DEPTH: usize = 256;

/// The largest document the parser accepts, in bytes. Libvirt's own RPC limit for XML strings is
/// far below this; the limit keeps a hostile peer from making Hangar allocate without bound.
pub const MAX_DOCUMENT_BYTES: usize = 32 * 1024 * 1024;

/// One node of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    /// Character data as written, references still escaped (`a &amp; b`).
    Text(String),
    /// The content of a `<![CDATA[…]]>` section.
    CData(String),
    /// The content of a `<!--…-->` comment.
    Comment(String),
    /// The content of a `<?…?>` processing instruction.
    ProcessingInstruction(String),
    /// The content of the `<?xml …?>` declaration.
    Declaration(String),
    /// The whole `<!DOCTYPE …>` declaration as written, never interpreted.
    DocType(String),
}

/// One attribute, borrowed from its element: the name and the value as written (escaped).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'a> {
    name: &'a str,
    raw_value: &'a str,
}

impl<'a> Attribute<'a> {
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The value, unescaped.
    pub fn value(&self) -> Cow<'a, str> {
        unescape(self.raw_value)
    }

    /// The value as written in the document, references still escaped.
    pub fn raw_value(&self) -> &'a str {
        self.raw_value
    }
}

impl fmt::Debug for Attribute<'_> {
    /// Never prints a password: graphics `passwd` values are secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = if is_secret_attribute(self.name) {
            "<redacted>"
        } else {
            self.raw_value
        };
        write!(f, "{}={:?}", self.name, value)
    }
}

/// Attributes whose values are secrets and must never be shown or logged.
pub(crate) fn is_secret_attribute(name: &str) -> bool {
    name == "passwd"
}

/// Where one attribute's name and raw value sit in [`Element::attribute_text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AttributeSpan {
    pub(crate) name: (usize, usize),
    pub(crate) value: (usize, usize),
}

/// An element with its attributes in document order and its children.
#[derive(Clone, PartialEq, Eq)]
pub struct Element {
    name: String,
    /// The start tag's text after the name exactly as written (spacing, quotes, line breaks),
    /// rewritten in a plain form only when an attribute changes. One string per element keeps
    /// parsing to a few allocations.
    attribute_text: String,
    /// The attributes in document order, as spans of `attribute_text`.
    attributes: Vec<AttributeSpan>,
    children: Vec<Node>,
    /// Written as `<name/>` in the source; kept so unedited empty elements stay that way.
    self_closing: bool,
    /// Whitespace between the name and `>` of the end tag (`</name\n>`), kept as written.
    end_tag_padding: Option<String>,
}

impl Element {
    /// A new empty element, written as `<name/>` until it gets children. The name (like the
    /// attribute names given to [`Element::set_attr`]) must be a valid XML name: edits use
    /// fixed libvirt names, never user input.
    pub fn new(name: &str) -> Element {
        Element {
            name: name.to_owned(),
            attribute_text: String::new(),
            attributes: Vec::new(),
            children: Vec::new(),
            self_closing: true,
            end_tag_padding: None,
        }
    }

    /// Builder form of [`Element::set_attr`].
    pub fn with_attr(mut self, name: &str, value: &str) -> Element {
        self.set_attr(name, value);
        self
    }

    /// Builder form of [`Element::set_text`].
    pub fn with_text(mut self, text: &str) -> Element {
        self.set_text(text);
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The unescaped value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<Cow<'_, str>> {
        self.attributes()
            .find(|attribute| attribute.name == name)
            .map(|attribute| attribute.value())
    }

    /// The attributes in document order.
    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'_>> {
        let text = self.attribute_text.as_str();
        let slice = move |(start, end): (usize, usize)| text.get(start..end).unwrap_or_default();
        self.attributes.iter().map(move |span| Attribute {
            name: slice(span.name),
            raw_value: slice(span.value),
        })
    }

    /// Sets attribute `name` to `value` (escaped here), in place if it exists, else appended.
    pub fn set_attr(&mut self, name: &str, value: &str) {
        let raw_value = escape_attribute(value);
        let mut pairs: Vec<(&str, &str)> =
            self.attributes().map(|a| (a.name, a.raw_value)).collect();
        match pairs.iter_mut().find(|(existing, _)| *existing == name) {
            Some(pair) => pair.1 = &raw_value,
            None => pairs.push((name, &raw_value)),
        }
        let (text, spans) = attribute_text_of(&pairs);
        self.attribute_text = text;
        self.attributes = spans;
    }

    /// Removes attribute `name`; says whether it was there.
    pub fn remove_attr(&mut self, name: &str) -> bool {
        let pairs: Vec<(&str, &str)> = self
            .attributes()
            .filter(|attribute| attribute.name != name)
            .map(|a| (a.name, a.raw_value))
            .collect();
        if pairs.len() == self.attributes.len() {
            return false;
        }
        let (text, spans) = attribute_text_of(&pairs);
        self.attribute_text = text;
        self.attributes = spans;
        true
    }

    /// All child nodes in document order.
    pub fn children(&self) -> &[Node] {
        &self.children
    }

    /// The child elements in document order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|node| match node {
            Node::Element(element) => Some(element),
            _ => None,
        })
    }

    /// The first child element called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|element| element.name == name)
    }

    /// The first child element called `name`, for editing.
    pub fn child_mut(&mut self, name: &str) -> Option<&mut Element> {
        self.elements_mut().find(|element| element.name == name)
    }

    /// The child elements called `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.elements().filter(move |element| element.name == name)
    }

    /// The child elements, for editing.
    pub fn elements_mut(&mut self) -> impl Iterator<Item = &mut Element> {
        self.children.iter_mut().filter_map(|node| match node {
            Node::Element(element) => Some(element),
            _ => None,
        })
    }

    /// Follows a `/`-separated path of child names (first match at each step).
    pub fn find(&self, path: &str) -> Option<&Element> {
        path.split('/')
            .try_fold(self, |element, name| element.child(name))
    }

    /// [`Element::find`] for editing.
    pub fn find_mut(&mut self, path: &str) -> Option<&mut Element> {
        path.split('/')
            .try_fold(self, |element, name| element.child_mut(name))
    }

    /// The unescaped text directly inside this element (text and CDATA children joined).
    pub fn text(&self) -> String {
        let mut text = String::new();
        for node in &self.children {
            match node {
                Node::Text(raw) => text.push_str(&unescape(raw)),
                Node::CData(data) => text.push_str(data),
                _ => {}
            }
        }
        text
    }

    /// The trimmed text of the first child element called `name`, if it is not empty.
    pub fn child_text(&self, name: &str) -> Option<String> {
        let text = self.child(name)?.text();
        let trimmed = text.trim();
        (!trimmed.is_empty()).then(|| trimmed.to_owned())
    }

    /// Replaces all children with `text` (escaped here). Meant for leaf elements.
    pub fn set_text(&mut self, text: &str) {
        self.children.clear();
        if !text.is_empty() {
            self.children.push(Node::Text(escape_text(text)));
        }
    }

    /// The position in `children` of the `element_index`-th child element.
    fn node_index_of_element(&self, element_index: usize) -> Option<usize> {
        self.children
            .iter()
            .enumerate()
            .filter(|(_, node)| matches!(node, Node::Element(_)))
            .nth(element_index)
            .map(|(node_index, _)| node_index)
    }

    /// The `index`-th child element.
    pub fn element_at(&self, index: usize) -> Option<&Element> {
        self.elements().nth(index)
    }

    /// The `index`-th child element, for editing.
    pub fn element_at_mut(&mut self, index: usize) -> Option<&mut Element> {
        self.elements_mut().nth(index)
    }

    /// Removes the `index`-th child element together with the indentation before it, so the
    /// remaining document keeps its layout.
    pub fn remove_element_at(&mut self, index: usize) -> Option<Element> {
        let node_index = self.node_index_of_element(index)?;
        let removed = self.children.remove(node_index);
        if node_index > 0 && is_whitespace_text(&self.children[node_index - 1]) {
            self.children.remove(node_index - 1);
        }
        match removed {
            Node::Element(element) => Some(element),
            _ => None,
        }
    }

    /// Removes every child element for which `remove` says yes (with its indentation); returns
    /// how many went. One pass, so hostile documents with huge child lists stay linear.
    pub fn remove_elements_where(&mut self, mut remove: impl FnMut(&Element) -> bool) -> usize {
        let mut removed = 0;
        for node in std::mem::take(&mut self.children) {
            match node {
                Node::Element(element) if remove(&element) => {
                    if self.children.last().is_some_and(is_whitespace_text) {
                        self.children.pop();
                    }
                    removed += 1;
                }
                node => self.children.push(node),
            }
        }
        removed
    }

    /// Inserts `element` as a child right after the last child element whose name is in
    /// `after` (or as the first child element if none is, or at the end when `after` is empty),
    /// copying the indentation the document already uses. Returns it for further editing.
    pub fn insert_element(&mut self, element: Element, after: &[&str]) -> &mut Element {
        let anchor = self
            .children
            .iter()
            .rposition(|node| matches!(node, Node::Element(e) if after.contains(&e.name.as_str())));
        let first_element = self
            .children
            .iter()
            .position(|node| matches!(node, Node::Element(_)));
        let last_element = self
            .children
            .iter()
            .rposition(|node| matches!(node, Node::Element(_)));
        let indent = self.child_indentation();
        // Where the new element goes, and whether the indentation goes before or after it.
        let (position, indent_before) = match (anchor, after.is_empty()) {
            (Some(anchor), _) => (anchor + 1, true),
            (None, true) => match last_element {
                Some(last) => (last + 1, true),
                None => (self.children.len(), false),
            },
            (None, false) => match first_element {
                // Keep the first child's indentation in front: new element, then a fresh one.
                Some(first) => (first, false),
                None => (self.children.len(), false),
            },
        };
        let mut position = position;
        match (&indent, indent_before) {
            (Some(indent), true) => {
                self.children.insert(position, Node::Text(indent.clone()));
                position += 1;
                self.children.insert(position, Node::Element(element));
            }
            (Some(indent), false) if first_element.is_some() => {
                self.children.insert(position, Node::Element(element));
                self.children
                    .insert(position + 1, Node::Text(indent.clone()));
            }
            _ => self.children.insert(position, Node::Element(element)),
        }
        match &mut self.children[position] {
            Node::Element(inserted) => inserted,
            _ => unreachable!("an element was inserted at this position just above"),
        }
    }

    /// The child element called `name`, created (see [`Element::insert_element`]) if missing.
    pub fn ensure_child(&mut self, name: &str, after: &[&str]) -> &mut Element {
        match self
            .children
            .iter()
            .position(|node| matches!(node, Node::Element(element) if element.name == name))
        {
            Some(index) => match &mut self.children[index] {
                Node::Element(element) => element,
                _ => unreachable!("the position was found for an element"),
            },
            None => self.insert_element(Element::new(name), after),
        }
    }

    /// The whitespace that precedes child elements here (e.g. `"\n    "`), if the document
    /// is indented.
    fn child_indentation(&self) -> Option<String> {
        self.children.windows(2).find_map(|pair| match pair {
            [Node::Text(text), Node::Element(_)] if is_whitespace(text) => Some(text.clone()),
            _ => None,
        })
    }

    /// Writes the element and everything below it as XML.
    pub fn to_xml_string(&self) -> String {
        let mut out = String::new();
        write_element(&mut out, self);
        out
    }

    /// Writes the element with secret attribute values (graphics passwords) replaced, for
    /// showing to the user.
    pub fn to_redacted_xml_string(&self) -> String {
        if !self.contains_secret() {
            return self.to_xml_string();
        }
        let mut copy = self.clone();
        copy.redact_secrets();
        copy.to_xml_string()
    }

    fn contains_secret(&self) -> bool {
        self.attributes().any(|a| is_secret_attribute(a.name))
            || self.elements().any(Element::contains_secret)
    }

    fn redact_secrets(&mut self) {
        let secrets: Vec<String> = self
            .attributes()
            .filter(|a| is_secret_attribute(a.name))
            .map(|a| a.name.to_owned())
            .collect();
        for name in secrets {
            self.set_attr(&name, "***");
        }
        for child in self.elements_mut() {
            child.redact_secrets();
        }
    }
}

impl fmt::Debug for Element {
    /// Leaves out the raw attribute text: it may hold a password, which `Attribute` redacts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attributes: Vec<Attribute<'_>> = self.attributes().collect();
        f.debug_struct("Element")
            .field("name", &self.name)
            .field("attributes", &attributes)
            .field("children", &self.children)
            .finish()
    }
}

/// The attribute text ` a='1' b='2'` for `(name, raw value)` pairs, with the spans of each.
pub(crate) fn attribute_text_of(pairs: &[(&str, &str)]) -> (String, Vec<AttributeSpan>) {
    let mut text = String::new();
    let mut spans = Vec::with_capacity(pairs.len());
    for (name, raw_value) in pairs {
        // A raw value holds at most one kind of quote unescaped; pick the other one.
        let quote = if raw_value.contains('\'') { '"' } else { '\'' };
        text.push(' ');
        let name_start = text.len();
        text.push_str(name);
        let name_end = text.len();
        text.push('=');
        text.push(quote);
        let value_start = text.len();
        text.push_str(raw_value);
        let value_end = text.len();
        text.push(quote);
        spans.push(AttributeSpan {
            name: (name_start, name_end),
            value: (value_start, value_end),
        });
    }
    (text, spans)
}

fn is_whitespace(text: &str) -> bool {
    text.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

fn is_whitespace_text(node: &Node) -> bool {
    matches!(node, Node::Text(text) if is_whitespace(text))
}

/// A whole document: what comes before the root element (declaration, comments, doctype,
/// whitespace), the root, and what follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlDocument {
    prolog: Vec<Node>,
    root: Element,
    epilog: Vec<Node>,
}

impl XmlDocument {
    /// Parses a well-formed XML document. Errors carry the line and column of the problem.
    /// Nesting deeper than [`MAX_DEPTH`] or input larger than [`MAX_DOCUMENT_BYTES`] is
    /// refused; entity declarations are kept verbatim and never expanded.
    pub fn parse(xml: &str) -> Result<XmlDocument, XmlError> {
        parse::parse_document(xml)
    }

    pub fn root(&self) -> &Element {
        &self.root
    }

    pub fn root_mut(&mut self) -> &mut Element {
        &mut self.root
    }

    /// Writes the document back as XML; unedited parts come out exactly as they were read.
    pub fn to_xml_string(&self) -> String {
        let mut out = String::new();
        for node in &self.prolog {
            write_node(&mut out, node);
        }
        write_element(&mut out, &self.root);
        for node in &self.epilog {
            write_node(&mut out, node);
        }
        out
    }
}

fn write_node(out: &mut String, node: &Node) {
    match node {
        Node::Element(element) => write_element(out, element),
        Node::Text(raw) => out.push_str(raw),
        Node::CData(data) => {
            out.push_str("<![CDATA[");
            out.push_str(data);
            out.push_str("]]>");
        }
        Node::Comment(text) => {
            out.push_str("<!--");
            out.push_str(text);
            out.push_str("-->");
        }
        Node::ProcessingInstruction(content) | Node::Declaration(content) => {
            out.push_str("<?");
            out.push_str(content);
            out.push_str("?>");
        }
        Node::DocType(declaration) => out.push_str(declaration),
    }
}

/// Writes an element. The depth of the tree is bounded by [`MAX_DEPTH`] for parsed documents,
/// so the recursion is bounded too.
fn write_element(out: &mut String, element: &Element) {
    out.push('<');
    out.push_str(&element.name);
    out.push_str(&element.attribute_text);
    if element.children.is_empty() && element.self_closing {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for child in &element.children {
        write_node(out, child);
    }
    out.push_str("</");
    out.push_str(&element.name);
    if let Some(padding) = &element.end_tag_padding {
        out.push_str(padding);
    }
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> XmlDocument {
        XmlDocument::parse(xml).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn unedited_documents_come_back_byte_for_byte() {
        let samples = [
            "<a/>",
            "<?xml version=\"1.0\" encoding='UTF-8'?>\n<!-- lead -->\n<!DOCTYPE a>\n<a  x = \"1\"\n   y='&amp;&#10;'>t &lt; u<![CDATA[ <raw> ]]><?pi data?><!--c--><b></b><c /></a>\n<!-- tail -->\n",
            "<domain type='kvm'>\n  <name>x</name>\n  <devices>\n    <disk/>\n  </devices>\n</domain>",
            "<!DOCTYPE\n  a [ <!ENTITY e 'x'> ]\n><a\n/><!-- spaces in end tags: --><!---->",
            "<a><b\t></b\n  ></a >",
        ];
        for sample in samples {
            assert_eq!(parse(sample).to_xml_string(), sample);
        }
    }

    #[test]
    fn accessors_unescape_and_setters_escape() {
        let mut doc = parse("<a k='x &amp; y'><t>1 &lt; 2</t></a>");
        let root = doc.root_mut();
        assert_eq!(root.attr("k").as_deref(), Some("x & y"));
        assert_eq!(root.child_text("t").as_deref(), Some("1 < 2"));
        root.set_attr("k", "it's \"quoted\"");
        root.set_attr("new", "<v>");
        if let Some(t) = root.child_mut("t") {
            t.set_text("a & b");
        }
        let xml = doc.to_xml_string();
        assert_eq!(
            xml,
            "<a k='it&apos;s &quot;quoted&quot;' new='&lt;v&gt;'><t>a &amp; b</t></a>"
        );
        let again = parse(&xml);
        assert_eq!(again.root().attr("k").as_deref(), Some("it's \"quoted\""));
    }

    #[test]
    fn inserted_elements_copy_the_indentation() {
        let mut doc = parse("<d>\n  <name>x</name>\n  <uuid>u</uuid>\n  <memory>1</memory>\n</d>");
        doc.root_mut()
            .insert_element(Element::new("title").with_text("T"), &["uuid", "name"]);
        doc.root_mut().insert_element(Element::new("last"), &[]);
        doc.root_mut()
            .insert_element(Element::new("first"), &["nonexistent"]);
        assert_eq!(
            doc.to_xml_string(),
            "<d>\n  <first/>\n  <name>x</name>\n  <uuid>u</uuid>\n  <title>T</title>\n  <memory>1</memory>\n  <last/>\n</d>"
        );
        assert!(doc.root_mut().remove_element_at(0).is_some());
        assert_eq!(doc.root().elements().count(), 5);
        assert!(doc.to_xml_string().starts_with("<d>\n  <name>"));
    }

    #[test]
    fn removing_takes_the_indentation_along() {
        let mut doc = parse("<d>\n  <a/>\n  <b/>\n  <a/>\n</d>");
        assert_eq!(doc.root_mut().remove_elements_where(|e| e.name() == "a"), 2);
        assert_eq!(doc.to_xml_string(), "<d>\n  <b/>\n</d>");
        assert!(doc.root_mut().remove_element_at(5).is_none());
    }

    #[test]
    fn secrets_are_redacted_in_debug_and_display_copies() {
        let doc = parse("<devices><graphics type='vnc' passwd='hunter2'/></devices>");
        let debug = format!("{doc:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        let shown = doc.root().to_redacted_xml_string();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("passwd='***'"), "{shown}");
        // The tree itself keeps the secret, so writing the document back loses nothing.
        assert!(doc.to_xml_string().contains("hunter2"));
    }
}
