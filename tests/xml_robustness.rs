//! Fuzz-style robustness of the XML model: thousands of mutated, truncated and hostile
//! documents, generated here from a fixed seed. Each must give `Ok` or `Err` — never a panic, a
//! stack overflow or runaway time/memory — and every `Ok` must be consistent: the tree writes
//! the input back byte for byte, and edits produce XML that parses again.
//!
//! The time limits below are generous catastrophe guards (quadratic blow-ups take minutes), not
//! performance measurements; `benches/xml_parse.rs` measures.

use std::time::{Duration, Instant};

use hangar::driver::xml::tree::{MAX_DEPTH, MAX_DOCUMENT_BYTES};
use hangar::driver::xml::{BootDevice, DomainXml, XmlDocument, XmlError};

const RICH: &str = include_str!("data/rich-domain.xml");
const MEMTEST: &str = "<domain type='qemu'>\n  <name>memtest</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\n  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>/boot/memtest86+x64.bin</kernel></os>\n  <devices><graphics type='vnc' port='-1' listen='127.0.0.1'/><video><model type='vga'/></video></devices>\n</domain>";

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Fragments that stress XML syntax when spliced in anywhere.
const FRAGMENTS: &[&str] = &[
    "<",
    ">",
    "/>",
    "</",
    "</devices>",
    "<devices>",
    "<disk>",
    "</disk>",
    "'",
    "\"",
    "=",
    "&",
    "&amp;",
    "&lt;",
    "&#0;",
    "&#x10FFFF;",
    "&#xD800;",
    "&lol;",
    "<!--",
    "-->",
    "--",
    "<![CDATA[",
    "]]>",
    "<?xml version='1.0'?>",
    "<?pi x?>",
    "<!DOCTYPE d [<!ENTITY e 'x'>]>",
    "\u{1}",
    "\u{FFFF}",
    "é",
    "\u{1F600}",
    "<name>",
    "</name>",
    "<boot order='1'/>",
    " a='1' a='2'",
    "\r\n",
    "\t",
    "xmlns:q='urn:q'",
    "<q:x/>",
    "<graphics passwd='p'/>",
    " ",
];

/// One random mutation of `base`, always valid UTF-8 (the API takes `&str`).
fn mutate(rng: &mut Rng, base: &str) -> String {
    let mut text: Vec<char> = base.chars().collect();
    for _ in 0..=rng.below(4) {
        let at = rng.below(text.len() + 1);
        match rng.below(6) {
            0 if !text.is_empty() => {
                // Replace one character with a random printable or special one.
                let pool: Vec<char> = "<>/&;'\"=!?[]-# azAZ09\n".chars().collect();
                let at = at.min(text.len() - 1);
                text[at] = pool[rng.below(pool.len())];
            }
            1 => {
                let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())];
                text.splice(at..at, fragment.chars());
            }
            2 => {
                let end = (at + rng.below(40)).min(text.len());
                text.drain(at..end);
            }
            3 => {
                let end = (at + rng.below(200)).min(text.len());
                let copy: Vec<char> = text[at..end].to_vec();
                text.splice(at..at, copy);
            }
            4 => text.truncate(at),
            _ => {
                let end = (at + rng.below(30)).min(text.len());
                text[at..end].reverse();
            }
        }
    }
    text.into_iter().collect()
}

/// One edit operation, as the tests apply them.
type Edit = dyn Fn(&mut XmlDocument) -> Result<(), XmlError>;

/// Everything a caller might do with a document; panics only on broken invariants.
fn exercise(xml: &str) {
    let document = match XmlDocument::parse(xml) {
        Ok(document) => document,
        Err(error) => {
            assert!(!error.to_string().is_empty());
            return;
        }
    };
    assert_eq!(
        document.to_xml_string(),
        xml,
        "the lossless tree changed the text"
    );
    let Ok(domain) = DomainXml::from_document(&document) else {
        return;
    };
    let _ = serde_json::to_string(&domain).expect("the model serialises");
    for device in &domain.devices {
        let _ = device.label();
        XmlDocument::parse(&device.xml).expect("a device's XML parses on its own");
    }
    let _ = domain.boot_order();
    let _ = domain.disk_storage();
    let _ = domain.uses_path("/var/lib/libvirt/images/hangar-rich.qcow2");
    // Every edit either refuses or yields XML that parses again with the change visible.
    let edits: [&Edit; 8] = [
        &|d| d.set_title(Some("fuzz & <title>")),
        &|d| d.set_description(None),
        &|d| d.set_name("fuzzed"),
        &|d| d.set_memory(1024, 2048),
        &|d| d.set_vcpus(1, 3),
        &|d| d.set_os_boot_order(&[BootDevice::Network]),
        &|d| d.set_device_boot_order(&[]),
        &|d| d.remove_device_at(0).map(drop),
    ];
    for edit in edits {
        if let Ok(edited) = document.edited(edit) {
            let reread = XmlDocument::parse(&edited)
                .unwrap_or_else(|e| panic!("an edit produced broken XML: {e}\n{edited}"));
            DomainXml::from_document(&reread).expect("an edited domain still reads");
        }
    }
}

#[test]
fn mutated_documents_never_panic() {
    let started = Instant::now();
    // HANGAR_FUZZ_ROUNDS=100000 (and HANGAR_FUZZ_SEED=n) for a longer run; the defaults keep
    // `cargo test` quick and reproducible.
    let seed = std::env::var("HANGAR_FUZZ_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(0x4841_4E47_4152_584D_u64);
    let mut rng = Rng(seed.max(1));
    let rounds: usize = std::env::var("HANGAR_FUZZ_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(3000);
    let (mut ok, mut err) = (0, 0);
    for round in 0..rounds {
        let base = if round % 5 == 0 { MEMTEST } else { RICH };
        let xml = mutate(&mut rng, base);
        match XmlDocument::parse(&xml) {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
        exercise(&xml);
    }
    eprintln!(
        "mutations (seed {seed}): {ok} parsed, {err} refused, {:?}",
        started.elapsed()
    );
    assert!(
        ok > 100 && err > 100,
        "mutations should hit both outcomes: {ok}/{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(120) * (rounds / 3000).max(1) as u32);
}

#[test]
fn every_truncation_of_the_rich_document() {
    let started = Instant::now();
    let mut cuts = 0;
    let complete = RICH
        .rfind("</domain>")
        .map_or(0, |end| end + "</domain>".len());
    for (at, _) in RICH.char_indices().take_while(|&(at, _)| at < complete) {
        let result = XmlDocument::parse(&RICH[..at]);
        // Until the root's end tag, a prefix is never a complete document.
        assert!(result.is_err(), "prefix of {at} bytes accepted");
        if let Err(XmlError::Syntax { position, .. }) = result {
            assert!(position.offset <= at);
        }
        cuts += 1;
    }
    assert!(cuts > 5000);
    exercise(RICH);
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn garbage_is_refused() {
    let mut rng = Rng(7);
    for length in [0, 1, 2, 10, 100, 10_000] {
        for _ in 0..50 {
            let garbage: String = (0..length)
                .map(|_| char::from_u32(rng.below(0x3000) as u32).unwrap_or('?'))
                .collect();
            exercise(&garbage);
        }
    }
    for text in [
        "", " ", "\u{FEFF}", "<", ">", "<>", "</>", "<?", "<!", "<!--", "&", "]]>",
    ] {
        assert!(XmlDocument::parse(text).is_err(), "{text:?}");
    }
}

#[test]
fn hostile_nesting_is_bounded() {
    let started = Instant::now();
    // A million open elements: refused at the depth limit, without recursion.
    let deep = "<a>".repeat(1_000_000);
    assert!(matches!(
        XmlDocument::parse(&deep),
        Err(XmlError::TooDeep {
            limit: MAX_DEPTH,
            ..
        })
    ));
    // Deep but closed, inside a device: same.
    let depth = MAX_DEPTH * 4;
    let nested = format!(
        "<domain><name>d</name><devices><x>{}{}</x></devices></domain>",
        "<n>".repeat(depth),
        "</n>".repeat(depth)
    );
    assert!(matches!(
        DomainXml::parse(&nested),
        Err(XmlError::TooDeep { .. })
    ));
    // Just inside the limit the whole API works, recursion and all.
    let inner = MAX_DEPTH - 3;
    let ok = format!(
        "<domain><name>d</name><devices><x>{}{}</x></devices></domain>",
        "<n>".repeat(inner),
        "</n>".repeat(inner)
    );
    exercise(&ok);
    assert_eq!(DomainXml::parse(&ok).map(|d| d.devices.len()), Ok(1));
    // A long chain of backing stores is walked in a loop.
    let chain = format!(
        "<domain><name>d</name><devices><disk type='file'><source file='/top'/>{}{}</disk></devices></domain>",
        "<backingStore type='file'><source file='/b'/>".repeat(MAX_DEPTH - 4),
        "</backingStore>".repeat(MAX_DEPTH - 4)
    );
    let domain = DomainXml::parse(&chain).expect("a deep backing chain parses");
    assert!(domain.uses_path("/b"));
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn hostile_sizes_are_bounded() {
    let started = Instant::now();
    // A 20 MB attribute is read once and kept once.
    let big = format!(
        "<domain><name>n</name><devices><disk><source file='{}'/></disk></devices></domain>",
        "x".repeat(20 << 20)
    );
    let domain = DomainXml::parse(&big).expect("big but legal");
    assert_eq!(domain.devices.len(), 1);
    // Over the limit: refused before any parsing.
    let huge = "y".repeat(MAX_DOCUMENT_BYTES + 1);
    assert!(matches!(
        XmlDocument::parse(&huge),
        Err(XmlError::TooLarge { .. })
    ));
    // Many attributes and many children stay linear.
    let attributes: String = (0..100_000).map(|i| format!(" a{i}='{i}'")).collect();
    let wide = format!("<domain{attributes}><name>n</name></domain>");
    assert!(DomainXml::parse(&wide).is_ok());
    let children = "<title>t</title>".repeat(200_000);
    let many = format!(
        "<domain><name>n</name>{children}<devices>{}</devices></domain>",
        "<boot/>".repeat(100_000)
    );
    let mut document = XmlDocument::parse(&many).expect("parses");
    document.set_title(None).expect("titles removed");
    assert_eq!(document.root().children_named("title").count(), 0);
    document
        .set_device_boot_order(&[])
        .expect("boot orders cleared");
    assert!(DomainXml::from_document(&document).is_ok());
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn entity_tricks_are_not_expanded() {
    // "Billion laughs": declared, nested entities. Kept verbatim, never expanded; using one
    // is an error in words rather than an explosion.
    let mut doctype = String::from("<!DOCTYPE domain [<!ENTITY lol0 'lol'>");
    for level in 1..10 {
        let refs = format!("&lol{};", level - 1).repeat(10);
        doctype.push_str(&format!("<!ENTITY lol{level} '{refs}'>"));
    }
    doctype.push_str("]>");
    let declared_only = format!("{doctype}<domain><name>n</name></domain>");
    let document = XmlDocument::parse(&declared_only).expect("declarations alone are fine");
    assert_eq!(document.to_xml_string(), declared_only);
    let used = format!("{doctype}<domain><name>&lol9;</name></domain>");
    let error = DomainXml::parse(&used).expect_err("entity use is refused");
    assert!(error.to_string().contains("&lol9;"), "{error}");
    // External entities are refused the same way (nothing is ever fetched or read).
    let external =
        "<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain><name>&x;</name></domain>";
    assert!(DomainXml::parse(external).is_err());
}
