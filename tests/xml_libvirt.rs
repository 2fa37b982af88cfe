//! The XML model against real libvirt: the rich fixture and every demo fleet domain through the
//! test driver, a real `qemu:///system` domain, lossless round trips (libvirt's `dumpxml` equal)
//! and every edit defined through libvirt with nothing but the edited lines changing.
//!
//! Needs: the built-in test driver (always there). The `qemu:///system` test needs a running
//! libvirtd; without one it says why and returns, unless `HANGAR_TEST_REQUIRE_ALL=1` (then it
//! fails).

#[path = "xml_support/diff.rs"]
mod diff;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use diff::assert_changed;
use hangar::driver::xml::{BootDevice, DeviceKind, DomainXml, XmlDocument, XmlError};
use quick_xml::events::Event;
use virt::connect::Connect;
use virt::domain::Domain;

const RICH: &str = include_str!("data/rich-domain.xml");
const PASSWORD: &str = "s3cret-never-shown";
/// `VIR_DOMAIN_XML_SECURE`: include the graphics password, so tests see it is handled.
const XML_SECURE: u32 = 1;

/// A fresh name and UUID for each domain a test defines (tests run in parallel and
/// `test:///default` is shared within the process).
fn identity(tag: &str) -> (String, String) {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let serial = NEXT.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    (
        format!("hangar-xml-{pid}-{tag}-{serial}"),
        format!("6f1c2a0e-8d4b-4c3e-9a57-{:04x}{:08x}", serial, pid),
    )
}

/// `xml` with its name and UUID replaced (through the model's own edit API plus the tree).
fn with_identity(xml: &str, name: &str, uuid: &str) -> String {
    let mut doc = XmlDocument::parse(xml).expect("test XML parses");
    doc.set_name(name).expect("valid name");
    doc.root_mut()
        .ensure_child("uuid", &["name"])
        .set_text(uuid);
    doc.to_xml_string()
}

/// A domain defined for one test, undefined when dropped (also when the test fails).
struct Defined {
    domain: Domain,
}

impl Defined {
    fn new(conn: &Connect, xml: &str) -> Defined {
        let domain = conn
            .define_domain_xml(xml)
            .unwrap_or_else(|e| panic!("libvirt refused the XML: {e}\n{xml}"));
        Defined { domain }
    }

    fn xml(&self) -> String {
        self.domain
            .xml_desc(XML_SECURE)
            .unwrap_or_else(|e| panic!("dumpxml failed: {e}"))
    }

    /// Defines `xml` over this domain (same UUID) and returns libvirt's new dump.
    fn redefine(&self, conn: &Connect, xml: &str) -> Result<String, virt::error::Error> {
        conn.define_domain_xml(xml)?;
        Ok(self.xml())
    }
}

impl Drop for Defined {
    fn drop(&mut self) {
        // The name may have changed (rename test): undefine whatever the object is now.
        let _ = self.domain.undefine();
    }
}

fn test_driver() -> Connect {
    Connect::open(Some("test:///default")).expect("the built-in test driver opens")
}

/// The names of `/domain/devices/*` in order, read with a plain quick-xml pass that shares no
/// code with the model.
fn independent_device_names(xml: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut names = Vec::new();
    loop {
        match reader.read_event().expect("libvirt XML is well-formed") {
            Event::Start(tag) => {
                let name = tag.name().0.to_owned();
                if path == ["domain", "devices"] {
                    names.push(name.clone());
                }
                path.push(name);
            }
            Event::Empty(tag) if path == ["domain", "devices"] => {
                names.push(tag.name().0.to_owned());
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Eof => return names,
            _ => {}
        }
    }
}

/// `count(/domain/devices/*)` by xmllint, when it is installed.
fn xmllint_device_count(xml: &str) -> Option<usize> {
    use std::io::Write;
    let mut child = Command::new("xmllint")
        .args(["--xpath", "count(/domain/devices/*)", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| eprintln!("xmllint not available ({e}); using the quick-xml count only"))
        .ok()?;
    child.stdin.take()?.write_all(xml.as_bytes()).ok()?;
    let output = child.wait_with_output().ok()?;
    String::from_utf8(output.stdout).ok()?.trim().parse().ok()
}

/// Parses libvirt's XML for `name` and checks the device list against the independent count.
fn assert_complete_device_list(xml: &str) -> DomainXml {
    let domain = DomainXml::parse(xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let elements: Vec<&str> = domain.devices.iter().map(|d| d.element.as_str()).collect();
    assert_eq!(
        elements,
        independent_device_names(xml),
        "device list differs"
    );
    if let Some(count) = xmllint_device_count(xml) {
        assert_eq!(domain.devices.len(), count, "xmllint counts differently");
    }
    for device in &domain.devices {
        let alone = XmlDocument::parse(&device.xml)
            .unwrap_or_else(|e| panic!("device XML does not parse alone: {e}\n{}", device.xml));
        assert_eq!(alone.root().name(), device.element);
        assert!(!device.label().is_empty());
    }
    // Unedited, the lossless tree gives libvirt's text back byte for byte.
    let document = XmlDocument::parse(xml).expect("parses");
    assert_eq!(document.to_xml_string(), xml);
    domain
}

#[test]
fn rich_domain_read_back_from_libvirt_lists_every_device() {
    let conn = test_driver();
    let (name, uuid) = identity("rich");
    let defined = Defined::new(&conn, &with_identity(RICH, &name, &uuid));
    let xml = defined.xml();
    assert!(xml.contains(PASSWORD), "the secure dump holds the password");
    let domain = assert_complete_device_list(&xml);
    assert_eq!(domain.name, name);
    assert_eq!(domain.uuid.as_deref(), Some(uuid.as_str()));
    assert_eq!(domain.memory.memory_kib, Some(4 << 20));
    assert_eq!(domain.memory.current_memory_kib, Some(3 << 20));
    assert_eq!(domain.vcpu.current, Some(2));
    // Every kind in the fixture survived libvirt and is typed (none fell back to Other).
    let fixture = DomainXml::parse(RICH).expect("fixture parses");
    let mut kinds_in: Vec<&str> = fixture.devices.iter().map(|d| d.element.as_str()).collect();
    let mut kinds_out: Vec<&str> = domain.devices.iter().map(|d| d.element.as_str()).collect();
    for kinds in [&mut kinds_in, &mut kinds_out] {
        kinds.sort_unstable();
        kinds.dedup();
    }
    assert_eq!(kinds_in, kinds_out);
    assert!(
        domain.devices.len() > fixture.devices.len(),
        "libvirt adds an fdc controller"
    );
    // The password is in the dump but nowhere in the model.
    assert!(!format!("{domain:?}").contains(PASSWORD));
    let vnc = domain
        .devices
        .iter()
        .find(|d| d.label() == "Graphics (VNC)")
        .expect("VNC graphics listed");
    assert!(vnc.xml.contains("passwd='***'"));
}

#[test]
fn unchanged_round_trip_is_equal_for_libvirt() {
    let conn = test_driver();
    let (name, uuid) = identity("roundtrip");
    // The hand-written fixture (declaration, comments, double quotes, namespaces) …
    let original = with_identity(RICH, &name, &uuid);
    let written = XmlDocument::parse(&original)
        .expect("parses")
        .to_xml_string();
    assert_eq!(written, original);
    // (The temporary definition is undefined again at the end of the statement.)
    let first = Defined::new(&conn, &original).xml();
    // … written back and defined again gives the same dumpxml.
    let again = Defined::new(&conn, &written);
    assert_eq!(again.xml(), first);
    // And libvirt's own dump, re-serialised and redefined, is a fixed point.
    let reserialised = XmlDocument::parse(&first).expect("parses").to_xml_string();
    let redefined = Defined::new(&conn, &reserialised);
    assert_eq!(redefined.xml(), first);
}

/// Defines the rich domain, applies `edit` to libvirt's dump, defines the result and checks
/// that libvirt's new dump differs from the old one by exactly `removed` / `added` lines.
fn check_edit(
    tag: &str,
    edit: impl FnOnce(&mut XmlDocument) -> Result<(), XmlError>,
    removed: &[&str],
    added: &[&str],
) -> String {
    let conn = test_driver();
    let (name, uuid) = identity(tag);
    let defined = Defined::new(&conn, &with_identity(RICH, &name, &uuid));
    let before = defined.xml();
    let mut doc = XmlDocument::parse(&before).expect("parses");
    edit(&mut doc).unwrap_or_else(|e| panic!("edit refused: {e}"));
    let after = defined
        .redefine(&conn, &doc.to_xml_string())
        .unwrap_or_else(|e| panic!("libvirt refused the edit: {e}"));
    assert_changed(&before, &after, removed, added);
    after
}

#[test]
fn title_and_description_edits_through_libvirt() {
    check_edit(
        "title",
        |d| d.set_title(Some("Renamed & retitled")),
        &["<title>Rich guest &amp; friends</title>"],
        &["<title>Renamed &amp; retitled</title>"],
    );
    check_edit(
        "notitle",
        |d| d.set_title(None),
        &["<title>Rich guest &amp; friends</title>"],
        &[],
    );
    check_edit(
        "description",
        |d| d.set_description(Some("One line now")),
        &[
            "<description>Every device kind Hangar lists.",
            "Second line with &lt;angle&gt; brackets.</description>",
        ],
        &["<description>One line now</description>"],
    );
}

#[test]
fn memory_and_vcpu_edits_through_libvirt() {
    check_edit(
        "memory",
        |d| d.set_memory(2 << 20, 6 << 20),
        &[
            "<memory unit='KiB'>4194304</memory>",
            "<currentMemory unit='KiB'>3145728</currentMemory>",
            "<cell id='0' cpus='0-3' memory='4194304' unit='KiB'/>",
        ],
        &[
            "<memory unit='KiB'>6291456</memory>",
            "<currentMemory unit='KiB'>2097152</currentMemory>",
            "<cell id='0' cpus='0-3' memory='6291456' unit='KiB'/>",
        ],
    );
    check_edit(
        "maxmemory",
        |d| d.set_max_memory(Some((32 << 20, 8))),
        &["<maxMemory slots='4' unit='KiB'>16777216</maxMemory>"],
        &["<maxMemory slots='8' unit='KiB'>33554432</maxMemory>"],
    );
    check_edit(
        "vcpucurrent",
        |d| d.set_vcpus(3, 4),
        &["<vcpu placement='static' current='2'>4</vcpu>"],
        &["<vcpu placement='static' current='3'>4</vcpu>"],
    );
    check_edit(
        "vcpumax",
        |d| d.set_vcpus(8, 8),
        &[
            "<vcpu placement='static' current='2'>4</vcpu>",
            "<topology sockets='1' dies='1' cores='2' threads='2'/>",
        ],
        &[
            "<vcpu placement='static'>8</vcpu>",
            "<topology sockets='2' dies='1' cores='2' threads='2'/>",
        ],
    );
}

#[test]
fn boot_order_edits_through_libvirt() {
    let after = check_edit(
        "osboot",
        |d| d.set_os_boot_order(&[BootDevice::Cdrom, BootDevice::HardDisk]),
        &[
            "<boot order='2'/>",
            "<boot order='1'/>",
            "<boot order='3'/>",
            "<boot order='4'/>",
        ],
        &["<boot dev='cdrom'/>", "<boot dev='hd'/>"],
    );
    let read = DomainXml::parse(&after).expect("parses");
    assert_eq!(
        read.os.boot_devices,
        [BootDevice::Cdrom, BootDevice::HardDisk]
    );

    // Per device: the first NIC, then the first disk. Their indices come from the model.
    let conn = test_driver();
    let (name, uuid) = identity("devboot");
    let defined = Defined::new(&conn, &with_identity(RICH, &name, &uuid));
    let before = defined.xml();
    let model = DomainXml::parse(&before).expect("parses");
    let nic = model.devices.iter().position(|d| d.element == "interface");
    let disk = model.devices.iter().position(|d| d.label() == "Disk vda");
    let (Some(nic), Some(disk)) = (nic, disk) else {
        panic!("the rich domain has a NIC and vda")
    };
    let mut doc = XmlDocument::parse(&before).expect("parses");
    doc.set_device_boot_order(&[nic, disk])
        .expect("boot order set");
    let after = defined
        .redefine(&conn, &doc.to_xml_string())
        .unwrap_or_else(|e| panic!("libvirt refused the edit: {e}"));
    let read = DomainXml::parse(&after).expect("parses");
    assert_eq!(read.devices[nic].boot_order, Some(1));
    assert_eq!(read.devices[disk].boot_order, Some(2));
    assert_eq!(
        read.devices
            .iter()
            .filter(|d| d.boot_order.is_some())
            .count(),
        2
    );
    // vda keeps order 2 (an unchanged line); the cdrom's 1, the NIC's 3 and the USB host
    // device's 4 go, and the NIC gets 1.
    assert_changed(
        &before,
        &after,
        &[
            "<boot order='1'/>",
            "<boot order='3'/>",
            "<boot order='4'/>",
        ],
        &["<boot order='1'/>"],
    );
}

/// Devices the test driver adds back by itself when they are missing.
const READDED_BY_LIBVIRT: [&str; 2] = ["controller", "console"];

#[test]
fn device_removal_through_libvirt() {
    let conn = test_driver();
    let (name, uuid) = identity("remove");
    let defined = Defined::new(&conn, &with_identity(RICH, &name, &uuid));
    let before = defined.xml();
    let doc = XmlDocument::parse(&before).expect("parses");
    let model = DomainXml::from_document(&doc).expect("model");
    let mut removals = 0;
    for device in &model.devices {
        if device.element == "emulator" {
            continue; // libvirt fills in a default emulator, so removal shows no change.
        }
        let mut edited = doc.clone();
        let removed = edited.remove_device(device).expect("removed");
        let after = match defined.redefine(&conn, &edited.to_xml_string()) {
            Ok(after) => after,
            // Without a USB controller the USB devices cannot stay: libvirt says so.
            Err(error) if device.label() == "Controller USB 0" => {
                assert!(error.to_string().contains("USB"), "{error}");
                continue;
            }
            Err(error) => panic!("libvirt refused removing {}: {error}", device.label()),
        };
        let removed_lines: Vec<&str> = removed.lines().map(str::trim).collect();
        if device.label() == "Serial 1" {
            // Its mirroring console went with it, and libvirt made a new console mirror the
            // remaining serial port.
            let read = DomainXml::parse(&after).expect("parses");
            let serials: Vec<&str> = read
                .devices
                .iter()
                .filter(|d| d.element == "serial")
                .map(|d| d.xml.as_str())
                .collect();
            assert_eq!(serials.len(), 1);
            let console = read.devices.iter().find(|d| d.element == "console");
            let Some(DeviceKind::Console(console)) = console.map(|c| &c.kind) else {
                panic!("libvirt keeps a console for the remaining serial port")
            };
            assert_eq!(console.target_port, Some(1));
            assert_eq!(console.char_type.as_deref(), Some("file"));
            removals += 1;
            continue;
        }
        if device.label() == "Video QXL" {
            // libvirt makes the remaining video device the primary one.
            let read = DomainXml::parse(&after).expect("parses");
            let videos: Vec<&DeviceKind> = read
                .devices
                .iter()
                .filter(|d| d.element == "video")
                .map(|d| &d.kind)
                .collect();
            let [DeviceKind::Video(video)] = videos.as_slice() else {
                panic!("one video device left: {videos:?}")
            };
            assert_eq!(
                (video.model.as_deref(), video.primary),
                (Some("virtio"), true)
            );
            removals += 1;
            continue;
        }
        let snippets = |xml: &str| {
            let mut all: Vec<String> = DomainXml::parse(xml)
                .expect("parses")
                .devices
                .into_iter()
                .map(|d| d.xml.trim().to_owned())
                .collect();
            all.sort();
            all
        };
        if snippets(&after) == snippets(&before) {
            // libvirt put an identical default device back (e.g. the controller a disk's bus
            // needs), possibly elsewhere in the list.
            assert!(
                READDED_BY_LIBVIRT.contains(&device.element.as_str()),
                "removing {} changed nothing",
                device.label()
            );
        } else {
            let (gone, new) = diff::changed_lines(&before, &after);
            let gone: Vec<&str> = gone.into_iter().map(str::trim).collect();
            assert_eq!(
                (gone, new),
                (removed_lines, Vec::new()),
                "removing {}",
                device.label()
            );
        }
        removals += 1;
    }
    assert!(removals > 40, "only {removals} devices removed");
}

#[test]
fn rename_of_a_shut_off_domain_through_xml() {
    let conn = test_driver();
    let (name, uuid) = identity("rename");
    let old = Defined::new(&conn, &with_identity(RICH, &name, &uuid));
    let before = old.xml();
    let new_name = format!("{name}-renamed");
    let mut doc = XmlDocument::parse(&before).expect("parses");
    doc.set_name(&new_name).expect("valid name");
    // Same UUID under a new name: libvirt wants the old definition gone first.
    let refused = conn.define_domain_xml(&doc.to_xml_string());
    assert!(
        refused.is_err(),
        "libvirt accepted a second name for one UUID"
    );
    drop(old);
    let renamed = Defined::new(&conn, &doc.to_xml_string());
    assert_changed(
        &before,
        &renamed.xml(),
        &[&format!("<name>{name}</name>")],
        &[&format!("<name>{new_name}</name>")],
    );
    assert!(conn.lookup_domain_by_name(&name).is_err());
}

#[test]
fn every_demo_fleet_domain_parses() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo");
    let mut files: Vec<_> = std::fs::read_dir(&demo)
        .expect("data/demo exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "xml"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no demo fleet files in {}",
        demo.display()
    );
    let mut parsed = 0;
    for file in files {
        let uri = format!("test://{}", file.display());
        let conn = Connect::open(Some(&uri)).unwrap_or_else(|e| panic!("{uri}: {e}"));
        let domains = conn.list_all_domains(0).expect("domains listed");
        assert!(!domains.is_empty(), "{uri} has domains");
        for domain in domains {
            let xml = domain.xml_desc(0).expect("dumpxml");
            let model = assert_complete_device_list(&xml);
            assert_eq!(Some(model.name.as_str()), domain.name().ok().as_deref());
            assert!(model.memory.memory_kib.is_some_and(|kib| kib > 0));
            parsed += 1;
        }
    }
    assert!(parsed >= 40, "only {parsed} demo domains");
}

/// Undefines a `qemu:///system` domain on drop.
struct SystemDomain(Domain);

impl Drop for SystemDomain {
    fn drop(&mut self) {
        let _ = self.0.undefine();
    }
}

#[test]
fn real_qemu_domain_parses_and_edits() {
    let require = std::env::var("HANGAR_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1");
    let conn = match Connect::open(Some("qemu:///system")) {
        Ok(conn) => conn,
        Err(error) if require => panic!("qemu:///system is required but unavailable: {error}"),
        Err(error) => {
            eprintln!("skipping: qemu:///system is unavailable ({error})");
            return;
        }
    };
    let name = format!("hangar-xml-{}-memtest", std::process::id());
    let xml = format!(
        "<domain type='qemu'>\n  <name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\n  \
         <os><type arch='x86_64' machine='pc'>hvm</type><kernel>/boot/memtest86+x64.bin</kernel></os>\n  \
         <devices><graphics type='vnc' port='-1' listen='127.0.0.1'/><video><model type='vga'/></video></devices>\n</domain>"
    );
    let defined = SystemDomain(
        conn.define_domain_xml(&xml)
            .unwrap_or_else(|e| panic!("qemu:///system refused memtest: {e}")),
    );
    let dump = defined.0.xml_desc(XML_SECURE).expect("dumpxml");
    let model = assert_complete_device_list(&dump);
    assert_eq!(model.name, name);
    assert_eq!(model.domain_type.as_deref(), Some("qemu"));
    assert_eq!(model.memory.memory_kib, Some(65536));
    assert_eq!(model.vcpu.maximum, Some(1));
    assert_eq!(model.os.kernel.as_deref(), Some("/boot/memtest86+x64.bin"));
    assert_eq!(model.os.arch.as_deref(), Some("x86_64"));
    assert!(model.emulator.is_some(), "QEMU fills in the emulator");
    let labels: Vec<String> = model.devices.iter().map(|d| d.label()).collect();
    assert!(labels.contains(&"Graphics (VNC)".to_owned()), "{labels:?}");
    assert!(labels.contains(&"Video VGA".to_owned()), "{labels:?}");
    assert!(
        model.devices.len() > 3,
        "QEMU adds controllers, input and a balloon: {labels:?}"
    );

    // A title edit defined through QEMU changes that line only.
    let mut doc = XmlDocument::parse(&dump).expect("parses");
    doc.set_title(Some("Hangar XML test")).expect("title set");
    conn.define_domain_xml(&doc.to_xml_string())
        .unwrap_or_else(|e| panic!("qemu:///system refused the edit: {e}"));
    let after = defined.0.xml_desc(XML_SECURE).expect("dumpxml");
    assert_changed(&dump, &after, &[], &["<title>Hangar XML test</title>"]);
}
