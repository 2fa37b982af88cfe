//! Edits on the lossless tree, checked line by line: each changes exactly what it is about,
//! leaves the document untouched when it refuses, and keeps what the model does not know.
//! No libvirt needed (`xml_libvirt.rs` defines the results in real libvirt).

#[path = "xml_support/diff.rs"]
mod diff;

use diff::assert_changed;
use hangar::driver::xml::{BootDevice, BootOrder, DomainXml, XmlDocument, XmlError};

const RICH: &str = include_str!("data/rich-domain.xml");

fn rich() -> XmlDocument {
    XmlDocument::parse(RICH).expect("the fixture parses")
}

/// Applies `edit` to the rich fixture and returns the new XML.
fn edit_rich(edit: impl FnOnce(&mut XmlDocument) -> Result<(), XmlError>) -> String {
    let mut doc = rich();
    edit(&mut doc).unwrap_or_else(|e| panic!("{e}"));
    doc.to_xml_string()
}

/// Checks that `edit` fails with an error matching `expected` and leaves the document alone.
#[track_caller]
fn assert_refused(
    xml: &str,
    edit: impl FnOnce(&mut XmlDocument) -> Result<(), XmlError>,
    expected: fn(&XmlError) -> bool,
) {
    let mut doc = XmlDocument::parse(xml).expect("test XML parses");
    let error = edit(&mut doc).expect_err("the edit should be refused");
    assert!(expected(&error), "unexpected error: {error:?}");
    assert!(!error.to_string().is_empty());
    assert_eq!(
        doc.to_xml_string(),
        xml,
        "a refused edit changed the document"
    );
}

#[test]
fn unedited_rich_document_is_byte_identical() {
    assert_eq!(rich().to_xml_string(), RICH);
}

#[test]
fn title_is_replaced_added_and_removed() {
    let new = edit_rich(|d| d.set_title(Some("New <title>")));
    assert_changed(
        RICH,
        &new,
        &["<title>Rich guest &amp; friends</title>"],
        &["<title>New &lt;title&gt;</title>"],
    );
    assert_eq!(
        DomainXml::parse(&new).map(|d| d.title),
        Ok(Some("New <title>".into()))
    );

    let removed = edit_rich(|d| d.set_title(None));
    assert_changed(
        RICH,
        &removed,
        &["<title>Rich guest &amp; friends</title>"],
        &[],
    );

    let bare = "<domain>\n  <name>x</name>\n  <uuid>u</uuid>\n  <memory>1</memory>\n</domain>";
    let mut doc = XmlDocument::parse(bare).expect("parses");
    doc.set_title(Some("T")).expect("title is set");
    assert_eq!(
        doc.to_xml_string(),
        "<domain>\n  <name>x</name>\n  <uuid>u</uuid>\n  <title>T</title>\n  <memory>1</memory>\n</domain>"
    );
    assert_refused(
        RICH,
        |d| d.set_title(Some("two\nlines")),
        |e| matches!(e, XmlError::InvalidValue { .. }),
    );
}

#[test]
fn description_keeps_line_breaks() {
    let new = edit_rich(|d| d.set_description(Some("one & two\nthree")));
    let (removed, added) = diff::changed_lines(RICH, &new);
    assert_eq!(removed.len(), 2, "the old two-line description");
    assert_eq!(
        added,
        ["  <description>one &amp; two", "three</description>"]
    );
    let read = DomainXml::parse(&new).expect("parses");
    assert_eq!(read.description.as_deref(), Some("one & two\nthree"));
}

#[test]
fn name_is_validated_and_replaced() {
    let new = edit_rich(|d| d.set_name("renamed-vm"));
    assert_changed(
        RICH,
        &new,
        &["<name>hangar-rich</name>"],
        &["<name>renamed-vm</name>"],
    );
    for bad in ["", "   ", "a/b", "tab\there"] {
        assert_refused(
            RICH,
            |d| d.set_name(bad),
            |e| matches!(e, XmlError::InvalidValue { .. }),
        );
    }
}

#[test]
fn memory_is_written_in_kib_and_a_single_numa_cell_follows() {
    let new = edit_rich(|d| d.set_memory(2 << 20, 6 << 20));
    assert_changed(
        RICH,
        &new,
        &[
            "<memory unit='GiB'>4</memory>",
            "<currentMemory unit='MiB'>3072</currentMemory>",
            "<cell id='0' cpus='0-3' memory='4' unit='GiB'/>",
        ],
        &[
            "<memory unit='KiB'>6291456</memory>",
            "<currentMemory unit='KiB'>2097152</currentMemory>",
            "<cell id='0' cpus='0-3' memory='6291456' unit='KiB'/>",
        ],
    );
    let read = DomainXml::parse(&new).expect("parses");
    assert_eq!(read.memory.memory_kib, Some(6 << 20));
    assert_eq!(read.memory.current_memory_kib, Some(2 << 20));

    // currentMemory is created when missing, right after memory.
    let mut doc = XmlDocument::parse("<domain>\n  <name>x</name>\n  <memory>1</memory>\n</domain>")
        .expect("parses");
    doc.set_memory(512, 1024).expect("memory is set");
    assert_eq!(
        doc.to_xml_string(),
        "<domain>\n  <name>x</name>\n  <memory unit='KiB'>1024</memory>\n  <currentMemory unit='KiB'>512</currentMemory>\n</domain>"
    );

    let invalid = |e: &XmlError| matches!(e, XmlError::InvalidValue { .. });
    assert_refused(RICH, |d| d.set_memory(2048, 1024), invalid);
    assert_refused(RICH, |d| d.set_memory(0, 1024), invalid);
    assert_refused(RICH, |d| d.set_memory(1024, 32 << 20), invalid); // above maxMemory
    let two_cells = "<domain><name>x</name><memory>2</memory><cpu><numa>\
                     <cell id='0' cpus='0' memory='1'/><cell id='1' cpus='1' memory='1'/>\
                     </numa></cpu></domain>";
    assert_refused(
        two_cells,
        |d| d.set_memory(2, 4),
        |e| matches!(e, XmlError::Unsupported { .. }),
    );
}

#[test]
fn max_memory_is_set_and_removed() {
    let new = edit_rich(|d| d.set_max_memory(Some((32 << 20, 8))));
    assert_changed(
        RICH,
        &new,
        &["<maxMemory slots='4' unit='GiB'>16</maxMemory>"],
        &["<maxMemory slots='8' unit='KiB'>33554432</maxMemory>"],
    );
    let removed = edit_rich(|d| d.set_max_memory(None));
    assert_changed(
        RICH,
        &removed,
        &["<maxMemory slots='4' unit='GiB'>16</maxMemory>"],
        &[],
    );
    assert_refused(
        RICH,
        |d| d.set_max_memory(Some((1024, 2))),
        |e| matches!(e, XmlError::InvalidValue { .. }),
    );
}

#[test]
fn vcpus_current_maximum_and_topology() {
    let same_maximum = edit_rich(|d| d.set_vcpus(3, 4));
    assert_changed(
        RICH,
        &same_maximum,
        &["<vcpu placement='static' current='2'>4</vcpu>"],
        &["<vcpu placement='static' current='3'>4</vcpu>"],
    );
    let all_online = edit_rich(|d| d.set_vcpus(4, 4));
    assert_changed(
        RICH,
        &all_online,
        &["<vcpu placement='static' current='2'>4</vcpu>"],
        &["<vcpu placement='static'>4</vcpu>"],
    );
    // 8 = 2 sockets × 1 die × 2 cores × 2 threads: only the sockets change.
    let doubled = edit_rich(|d| d.set_vcpus(8, 8));
    assert_changed(
        RICH,
        &doubled,
        &[
            "<vcpu placement='static' current='2'>4</vcpu>",
            "<topology sockets='1' dies='1' cores='2' threads='2'/>",
        ],
        &[
            "<vcpu placement='static'>8</vcpu>",
            "<topology sockets='2' dies='1' cores='2' threads='2'/>",
        ],
    );
    // 6 is not a multiple of 4 per socket: fall back to one core per socket.
    let six = edit_rich(|d| d.set_vcpus(6, 6));
    assert!(
        six.contains("<topology sockets='6' dies='1' cores='1' threads='1'/>"),
        "{six}"
    );
    // A per-vCPU list goes when the maximum changes.
    let mut doc = XmlDocument::parse(
        "<domain><name>x</name><vcpu>2</vcpu><vcpus><vcpu id='0' enabled='yes'/>\
         <vcpu id='1' enabled='yes'/></vcpus></domain>",
    )
    .expect("parses");
    doc.set_vcpus(1, 3).expect("vcpus set");
    assert_eq!(
        doc.to_xml_string(),
        "<domain><name>x</name><vcpu current='1'>3</vcpu></domain>"
    );
    let invalid = |e: &XmlError| matches!(e, XmlError::InvalidValue { .. });
    assert_refused(RICH, |d| d.set_vcpus(0, 4), invalid);
    assert_refused(RICH, |d| d.set_vcpus(5, 4), invalid);
}

#[test]
fn os_boot_order_replaces_per_device_order() {
    let new = edit_rich(|d| d.set_os_boot_order(&[BootDevice::Network, BootDevice::HardDisk]));
    assert_changed(
        RICH,
        &new,
        &[
            "<boot order='2'/>",
            "<boot order='1'/>",
            "<boot order='3'/>",
            "<boot order='4'/>",
        ],
        &["<boot dev='network'/>", "<boot dev='hd'/>"],
    );
    // The entries sit right after the other boot-related <os> children.
    assert!(new.contains("<cmdline>console=ttyS0 quiet</cmdline>\n    <boot dev='network'/>\n    <boot dev='hd'/>\n    <bootmenu"), "{new}");
    let read = DomainXml::parse(&new).expect("parses");
    assert!(!read.uses_device_boot_order());
    assert_eq!(
        read.os.boot_devices,
        [BootDevice::Network, BootDevice::HardDisk]
    );

    let invalid = |e: &XmlError| matches!(e, XmlError::InvalidValue { .. });
    assert_refused(
        RICH,
        |d| d.set_os_boot_order(&[BootDevice::Cdrom, BootDevice::Cdrom]),
        invalid,
    );
    assert_refused(
        RICH,
        |d| d.set_os_boot_order(&[BootDevice::Other("warp".into())]),
        invalid,
    );
}

#[test]
fn device_boot_order_replaces_os_boot_entries() {
    let os_boot = "<domain>\n  <name>x</name>\n  <os>\n    <type>hvm</type>\n    <boot dev='hd'/>\n  </os>\n  <devices>\n    <disk type='file'>\n      <target dev='vda'/>\n    </disk>\n    <interface type='user'>\n      <mac address='52:54:00:00:00:09'/>\n    </interface>\n    <video/>\n  </devices>\n</domain>";
    let mut doc = XmlDocument::parse(os_boot).expect("parses");
    doc.set_device_boot_order(&[1, 0]).expect("boot order set");
    let new = doc.to_xml_string();
    assert_changed(
        os_boot,
        &new,
        &["<boot dev='hd'/>"],
        &["<boot order='2'/>", "<boot order='1'/>"],
    );
    assert!(
        new.contains("<target dev='vda'/>\n      <boot order='2'/>\n    </disk>"),
        "{new}"
    );
    let read = DomainXml::parse(&new).expect("parses");
    assert_eq!(read.devices[1].boot_order, Some(1));
    assert_eq!(read.devices[0].boot_order, Some(2));
    assert!(read.os.boot_devices.is_empty());

    // On the rich fixture, only the listed devices keep an order.
    let rich_new = edit_rich(|d| d.set_device_boot_order(&[14]));
    assert_changed(
        RICH,
        &rich_new,
        &[
            "<boot order='2'/>",
            "<boot order='1'/>",
            "<boot order='3'/>",
            "<boot order='4'/>",
        ],
        &["<boot order='1'/>"],
    );

    assert_refused(
        os_boot,
        |d| d.set_device_boot_order(&[2]),
        |e| matches!(e, XmlError::InvalidValue { .. }),
    );
    assert_refused(
        os_boot,
        |d| d.set_device_boot_order(&[0, 0]),
        |e| matches!(e, XmlError::InvalidValue { .. }),
    );
    assert_refused(
        os_boot,
        |d| d.set_device_boot_order(&[7]),
        |e| matches!(e, XmlError::NoSuchDevice { index: 7, count: 3 }),
    );
}

#[test]
fn boot_order_round_trips_through_the_model() {
    let doc = rich();
    let model = DomainXml::from_document(&doc).expect("model");
    let BootOrder::Devices(mut order) = model.boot_order() else {
        panic!("the fixture boots per device")
    };
    assert_eq!(order, [2, 1, 14, 35]); // cdrom, vda, first NIC, USB host device
    assert!(order.iter().all(|&index| model.devices[index].can_boot()));
    assert!(!model.devices[0].can_boot(), "the emulator cannot boot");
    // Unchanged, writing the order back changes nothing visible to the model.
    let same = doc
        .edited(|d| d.set_boot_order(&model.boot_order()))
        .expect("same order");
    assert_eq!(
        DomainXml::parse(&same).map(|d| d.boot_order()),
        Ok(model.boot_order())
    );
    // Moving the NIC first.
    order.retain(|&index| index != 14);
    order.insert(0, 14);
    let moved = doc
        .edited(|d| d.set_boot_order(&BootOrder::Devices(order.clone())))
        .expect("reordered");
    assert_eq!(
        DomainXml::parse(&moved).map(|d| d.boot_order()),
        Ok(BootOrder::Devices(order))
    );
    let os = BootOrder::Os(vec![BootDevice::Floppy]);
    let legacy = doc.edited(|d| d.set_boot_order(&os)).expect("os order");
    assert_eq!(DomainXml::parse(&legacy).map(|d| d.boot_order()), Ok(os));
}

#[test]
fn removing_a_device_returns_its_xml_and_checks_it_is_still_the_same() {
    let doc = rich();
    let vm = DomainXml::from_document(&doc).expect("model");
    let nic = &vm.devices[15];
    let mut edited = doc.clone();
    let removed = edited.remove_device(nic).expect("removed");
    assert_eq!(
        removed,
        "<interface type='bridge'>\n      <mac address='52:54:00:ab:cd:ef'/>\n      <source bridge='br0'/>\n      <model type='e1000e'/>\n    </interface>"
    );
    let new = edited.to_xml_string();
    assert_changed(
        RICH,
        &new,
        &removed
            .lines()
            .collect::<Vec<_>>()
            .iter()
            .map(|l| l.trim())
            .collect::<Vec<_>>(),
        &[],
    );
    let after = DomainXml::parse(&new).expect("parses");
    assert_eq!(after.devices.len(), vm.devices.len() - 1);

    // The same Device against the edited document now points at a different element.
    let stale = edited.clone().remove_device(nic);
    assert_eq!(stale, Err(XmlError::DeviceChanged { index: 15 }));

    // The graphics device with a password is found although the model shows it redacted,
    // and the returned XML (for libvirt) is complete.
    let vnc = &vm.devices[29];
    let removed_vnc = doc.clone().remove_device(vnc).expect("graphics removed");
    assert!(removed_vnc.contains("passwd='s3cret-never-shown'"));

    let count = vm.devices.len();
    assert_eq!(
        doc.clone().remove_device_at(count),
        Err(XmlError::NoSuchDevice {
            index: count,
            count
        })
    );
    // `edited` leaves the original alone.
    let via_edited = doc.edited(|d| d.remove_device_at(0)).expect("edited");
    assert!(!via_edited.contains("<emulator>"));
    assert_eq!(doc.to_xml_string(), RICH);
}

#[test]
fn edits_refuse_documents_that_are_not_domains() {
    assert_refused(
        "<network><name>n</name></network>",
        |d| d.set_title(Some("x")),
        |e| matches!(e, XmlError::WrongRoot { .. }),
    );
}
