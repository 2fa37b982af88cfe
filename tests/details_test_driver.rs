//! The details pages' plans carried out against libvirt's built-in `test` driver: live memory
//! and vCPU changes reported back by libvirt, persistent changes seen at next boot, a refused
//! step rolled back so nothing is half-applied, invalid XML leaving the definition
//! byte-identical, boot order and autostart round trips, device removal, and the hardware
//! list of rich virt-manager-style definitions (every device listed, unknown ones included).
//!
//! Needs nothing but libvirt (the test driver runs in-process). Each test opens its own
//! `test:///` node file, so their states never mix.

// Test code: helpers outside #[test] functions may panic on failure too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "driver_support/common.rs"]
mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Updates, demo_uris, driver, fast_options};
use hangar::details::apply::{
    apply_boot, apply_removal, apply_resources, define_edited_xml, host_domains,
};
use hangar::details::boot::BootEditor;
use hangar::details::hardware::{HardwareId, hardware_entries};
use hangar::details::removal::{LiveRemoval, plan_removal};
use hangar::details::resources::{
    PlanError, ResourcePlan, ResourceState, ResourceStep, Resources, plan_resources,
};
use hangar::details::{ApplyError, Definition};
use hangar::driver::xml::{BootDevice, BootOrder, DomainXml, XmlDocument};
use hangar::driver::{Connection, XmlFlags};
use hangar::model::{DomainState, DomainUuid};

const RICH: &str = include_str!("data/rich-domain.xml");
const RUNNING_UUID: &str = "7d3e3c30-5b3a-4c55-8d0e-1a2b3c4d5e01";
const OFF_UUID: &str = "7d3e3c30-5b3a-4c55-8d0e-1a2b3c4d5e02";

/// A node file with a running and a shut-off machine, deleted on drop.
struct Node {
    path: PathBuf,
}

impl Node {
    fn new(tag: &str) -> Node {
        let path =
            std::env::temp_dir().join(format!("hangar-det-{tag}-{}.xml", std::process::id()));
        let xml = format!(
            "<node>\
             <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\
               <name>hangar-det-running</name><uuid>{RUNNING_UUID}</uuid>\
               <memory unit='MiB'>1024</memory><currentMemory unit='MiB'>512</currentMemory>\
               <vcpu placement='static' current='1'>4</vcpu>\
               <os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>\
               <devices>\
                 <disk type='file' device='disk'><source file='/guest/run.img'/><target dev='vda' bus='virtio'/></disk>\
                 <interface type='network'><mac address='52:54:00:aa:00:01'/><source network='default'/></interface>\
                 <graphics type='vnc' port='-1' passwd='det-secret'/>\
                 <video><model type='vga'/></video>\
               </devices>\
               <test:runstate>1</test:runstate>\
             </domain>\
             <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\
               <name>hangar-det-off</name><uuid>{OFF_UUID}</uuid>\
               <memory unit='MiB'>256</memory><vcpu>2</vcpu>\
               <os><type arch='x86_64'>hvm</type><boot dev='hd'/><boot dev='cdrom'/></os>\
               <devices>\
                 <disk type='file' device='disk'><source file='/guest/off.img'/><target dev='vda' bus='virtio'/></disk>\
                 <disk type='file' device='cdrom'><source file='/guest/install.iso'/><target dev='sda' bus='sata'/><readonly/></disk>\
                 <interface type='network'><mac address='52:54:00:aa:00:02'/><source network='default'/></interface>\
               </devices>\
               <test:runstate>5</test:runstate>\
             </domain>\
             </node>"
        );
        std::fs::write(&path, xml).unwrap();
        Node { path }
    }

    async fn open(&self) -> (Connection, Updates) {
        let mut updates = Updates::new();
        let conn = driver().open(
            &format!("test://{}", self.path.display()),
            fast_options(),
            updates.tx.clone(),
        );
        updates.connected(conn.id(), Duration::from_secs(20)).await;
        (conn, updates)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn uuid(text: &str) -> DomainUuid {
    text.parse().unwrap()
}

/// The persistent definition exactly as libvirt returns it, secrets included.
async fn inactive_xml(conn: &Connection, uuid: DomainUuid) -> String {
    conn.domain_xml(
        uuid,
        XmlFlags {
            inactive: true,
            secure: true,
        },
    )
    .await
    .unwrap()
}

async fn state_of(conn: &Connection, uuid: DomainUuid) -> ResourceState {
    let info = conn.domain_info(uuid).await.unwrap();
    let definition = Definition::load(conn, uuid).await.unwrap();
    ResourceState::new(&info, Some((&definition.domain, &definition.document)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_changes_are_reported_back_and_persist_at_next_boot() {
    let node = Node::new("resources");
    let (conn, _updates) = node.open().await;
    let uuid = uuid(RUNNING_UUID);
    let state = state_of(&conn, uuid).await;
    assert_eq!(state.live.unwrap().memory_kib, 512 * 1024);
    let wanted = Resources {
        memory_kib: 768 * 1024,
        vcpus: 2,
        ..state.form()
    };
    let plan = plan_resources(&state, &wanted).unwrap();
    assert_eq!(plan.now.len(), 2, "{plan:?}");
    apply_resources(&conn, uuid, &plan).await.unwrap();

    // libvirt reports the live change back…
    let info = conn.domain_info(uuid).await.unwrap();
    assert_eq!(info.memory_kib, 768 * 1024);
    assert_eq!(info.vcpus, 2);
    // …and the persistent definition has it, passwords kept.
    let persistent = inactive_xml(&conn, uuid).await;
    let domain = DomainXml::parse(&persistent).unwrap();
    assert_eq!(domain.memory.current_kib(), Some(768 * 1024));
    assert_eq!(domain.vcpu.current, Some(2));
    assert!(persistent.contains("det-secret"), "the password survived");

    // A maximum changes at next boot only; after a restart the machine has it.
    let state = state_of(&conn, uuid).await;
    let wanted = Resources {
        max_vcpus: 3,
        vcpus: 3,
        ..state.form()
    };
    let plan = plan_resources(&state, &wanted).unwrap();
    assert_eq!(plan.now.len(), 1, "3 vCPUs fit the live maximum of 4");
    assert!(plan.next_boot.iter().any(|c| c.to == 3));
    apply_resources(&conn, uuid, &plan).await.unwrap();
    assert_eq!(conn.domain_info(uuid).await.unwrap().max_vcpus, 4);
    conn.force_off(uuid).await.unwrap();
    conn.start(uuid).await.unwrap();
    let info = conn.domain_info(uuid).await.unwrap();
    assert_eq!(info.state, DomainState::Running);
    assert_eq!((info.vcpus, info.max_vcpus), (3, 3));
    assert_eq!(info.memory_kib, 768 * 1024);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_step_undoes_the_earlier_ones() {
    let node = Node::new("rollback");
    let (conn, _updates) = node.open().await;
    let uuid = uuid(RUNNING_UUID);
    let before = inactive_xml(&conn, uuid).await;
    let info_before = conn.domain_info(uuid).await.unwrap();
    let state = state_of(&conn, uuid).await;
    let config = state.config.unwrap();

    // Planning refuses contradictions before any call.
    let contradiction = Resources {
        memory_kib: 4 << 20,
        ..state.form()
    };
    assert!(matches!(
        plan_resources(&state, &contradiction),
        Err(PlanError::Invalid(_))
    ));

    // A plan whose last step libvirt refuses (a live balloon above the live maximum, which
    // planning would never produce): the persistent change before it must be undone.
    let plan = ResourcePlan {
        steps: vec![
            ResourceStep::Config {
                target: Resources { vcpus: 2, ..config },
                previous: config,
            },
            ResourceStep::LiveVcpus {
                count: 2,
                previous: 1,
            },
            ResourceStep::LiveMemory {
                kib: 64 << 20,
                previous: info_before.memory_kib,
            },
        ],
        ..ResourcePlan::default()
    };
    let error = apply_resources(&conn, uuid, &plan).await.unwrap_err();
    let ApplyError::Failed { message } = &error else {
        panic!("expected a clean failure, got {error:?}");
    };
    assert!(!message.is_empty());
    assert_eq!(
        inactive_xml(&conn, uuid).await,
        before,
        "definition restored"
    );
    let info = conn.domain_info(uuid).await.unwrap();
    assert_eq!(info.vcpus, info_before.vcpus, "live vCPUs restored");
    assert_eq!(info.memory_kib, info_before.memory_kib);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_xml_leaves_the_definition_byte_identical() {
    let node = Node::new("xml");
    let (conn, _updates) = node.open().await;
    let uuid = uuid(OFF_UUID);
    let before = inactive_xml(&conn, uuid).await;
    let lines: Vec<&str> = before.lines().collect();

    // Not well-formed: libvirt's parser names the line.
    let mut broken = lines.clone();
    let devices = broken
        .iter()
        .position(|l| l.trim() == "</devices>")
        .unwrap();
    broken[devices] = "  </devics>";
    let problem = define_edited_xml(&conn, uuid, &broken.join("\n"))
        .await
        .unwrap_err();
    assert_eq!(problem.line, Some(devices + 1), "{problem:?}");
    assert!(problem.message.contains("devics"), "{}", problem.message);

    // Well-formed but against the schema: the named element's line.
    let vcpu = lines.iter().position(|l| l.contains("<vcpu")).unwrap();
    let mut bad_value = lines.clone();
    bad_value[vcpu] = "  <vcpu placement='static'>many</vcpu>";
    let problem = define_edited_xml(&conn, uuid, &bad_value.join("\n"))
        .await
        .unwrap_err();
    assert_eq!(problem.line, Some(vcpu + 1), "{problem:?}");

    // Another machine's identity is refused before libvirt sees it.
    let stolen = before.replace(OFF_UUID, RUNNING_UUID);
    assert!(define_edited_xml(&conn, uuid, &stolen).await.is_err());
    let no_uuid: String = lines
        .iter()
        .filter(|l| !l.contains("<uuid>"))
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(define_edited_xml(&conn, uuid, &no_uuid).await.is_err());

    assert_eq!(inactive_xml(&conn, uuid).await, before);
    assert_eq!(conn.inventory().await.unwrap().domains.len(), 2);

    // A valid edit goes through.
    let edited = before.replace(
        "<memory unit='KiB'>262144</memory>",
        "<memory unit='KiB'>524288</memory>",
    );
    assert_ne!(edited, before, "the fixture's memory line: {before}");
    define_edited_xml(&conn, uuid, &edited).await.unwrap();
    assert_eq!(conn.domain_info(uuid).await.unwrap().max_memory_kib, 524288);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boot_order_and_autostart_round_trip() {
    let node = Node::new("boot");
    let (conn, _updates) = node.open().await;
    let uuid = uuid(OFF_UUID);

    // The <os> form: CD-ROM first, then the disk.
    let base = Definition::load(&conn, uuid).await.unwrap();
    let mut editor = BootEditor::new(&base.domain);
    assert_eq!(
        editor.order(),
        BootOrder::Os(vec![BootDevice::HardDisk, BootDevice::Cdrom])
    );
    assert!(editor.move_up(1));
    let wanted = editor.order();
    apply_boot(&conn, uuid, &base, Some(&wanted), Some((true, false)))
        .await
        .unwrap();
    let after = Definition::load(&conn, uuid).await.unwrap();
    assert_eq!(after.domain.boot_order(), wanted);
    assert!(conn.domain_info(uuid).await.unwrap().autostart);

    // Converted to per-device order, reordered, written and read back the same.
    let mut editor = BootEditor::new(&after.domain);
    editor.use_device_order(&after.domain);
    let nic = editor
        .entries()
        .iter()
        .position(|e| e.label.starts_with("NIC"))
        .unwrap();
    editor.set_enabled(nic, true);
    assert!(editor.move_up(nic));
    let wanted = editor.order();
    let BootOrder::Devices(indices) = &wanted else {
        panic!("{wanted:?}");
    };
    assert_eq!(indices.len(), 3);
    apply_boot(&conn, uuid, &after, Some(&wanted), None)
        .await
        .unwrap();
    let reread = Definition::load(&conn, uuid).await.unwrap();
    assert_eq!(reread.domain.boot_order(), wanted);
    assert!(!BootEditor::new(&reread.domain).is_changed());

    // A stale editor is refused rather than overwriting the newer definition.
    let error = apply_boot(&conn, uuid, &after, Some(&wanted), None)
        .await
        .unwrap_err();
    assert_eq!(error, ApplyError::Changed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_device_edits_the_definition() {
    let node = Node::new("remove");
    let (conn, _updates) = node.open().await;
    let uuid = uuid(RUNNING_UUID);
    let info = conn.domain_info(uuid).await.unwrap();
    let definition = Definition::load(&conn, uuid).await.unwrap();
    let position = |definition: &Definition, element: &str| {
        definition
            .domain
            .devices
            .iter()
            .position(|d| d.element == element)
            .unwrap()
    };
    let nic = position(&definition, "interface");
    let plan = plan_removal(&definition, nic, info.state.is_active(), true).unwrap();
    let outcome = apply_removal(&conn, uuid, &plan).await.unwrap();
    // Whether the test driver hot-unplugs or not, the outcome says which.
    match &outcome.live {
        LiveRemoval::Unplugged => {}
        LiveRemoval::Failed(message) => assert!(!message.is_empty()),
        LiveRemoval::NotRunning => panic!("the machine runs"),
    }
    assert!(!outcome.readded);
    let after = Definition::load(&conn, uuid).await.unwrap();
    assert!(
        after
            .domain
            .devices
            .iter()
            .all(|d| d.element != "interface")
    );
    assert!(after.xml.contains("det-secret"), "other devices intact");
    assert_eq!(
        after.domain.devices.len(),
        definition.domain.devices.len() - 1
    );

    // A machine with graphics needs a video device: libvirt puts a default one back, and
    // the outcome says so rather than leaving the user puzzled.
    let video = position(&after, "video");
    let plan = plan_removal(&after, video, true, true).unwrap();
    let outcome = apply_removal(&conn, uuid, &plan).await.unwrap();
    assert!(outcome.readded, "{outcome:?}");
    assert!(outcome.describe("Video VGA").contains("default"));
}

/// Counts the element children of `<devices>` with an XML reader independent of the model.
fn device_element_count(xml: &str) -> usize {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut depth, mut in_devices, mut count) = (0usize, None, 0usize);
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                depth += 1;
                if e.name().0 == "devices" && depth == 2 {
                    in_devices = Some(depth);
                } else if in_devices.is_some_and(|d| depth == d + 1) {
                    count += 1;
                }
            }
            Event::Empty(_) if in_devices.is_some_and(|d| depth == d) => count += 1,
            Event::End(e) => {
                if e.name().0 == "devices" {
                    in_devices = None;
                }
                depth -= 1;
            }
            Event::Eof => return count,
            _ => {}
        }
    }
}

fn assert_lists_every_device(xml: &str) {
    let domain = DomainXml::parse(xml).unwrap();
    let entries = hardware_entries(&domain);
    let mut listed: Vec<usize> = entries
        .iter()
        .filter_map(|e| match e.id {
            HardwareId::Device(index) => Some(index),
            _ => None,
        })
        .collect();
    listed.sort_unstable();
    let expected = device_element_count(xml);
    assert_eq!(listed, (0..expected).collect::<Vec<_>>(), "{}", domain.name);
    for entry in &entries {
        assert!(!entry.label.trim().is_empty(), "{entry:?}");
        if let HardwareId::Device(_) = entry.id {
            assert!(entry.xml.is_some());
            assert!(!entry.properties.is_empty() || !entry.known, "{entry:?}");
        }
    }
    assert!(
        entries
            .iter()
            .all(|e| e.xml.as_deref().is_none_or(|x| !x.contains("s3cret"))),
        "passwords never reach the pane"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hardware_list_shows_every_device_of_rich_definitions() {
    // The fixture as written, plus elements no model knows.
    assert_lists_every_device(RICH);
    let future = RICH.replace(
        "</devices>",
        "<pstore backend='acpi-erst'/><future-gadget><deep><er/></deep></future-gadget></devices>",
    );
    assert_lists_every_device(&future);
    let domain = DomainXml::parse(&future).unwrap();
    let entries = hardware_entries(&domain);
    for element in ["pstore", "future-gadget"] {
        let entry = entries.iter().find(|e| e.label == element).unwrap();
        assert!(!entry.known && entry.removable);
        assert!(entry.xml.as_deref().unwrap().contains(element));
    }

    // The fixture as libvirt stores it, and every demo fleet machine.
    let node = Node::new("rich");
    let (conn, _updates) = node.open().await;
    let info = conn.define_xml(RICH).await.unwrap();
    let stored = conn
        .domain_xml(info.uuid, XmlFlags::default())
        .await
        .unwrap();
    assert_lists_every_device(&stored);
    let mut listed = 0;
    for uri in demo_uris() {
        let mut updates = Updates::new();
        let demo = driver().open(&uri, fast_options(), updates.tx.clone());
        updates.connected(demo.id(), Duration::from_secs(20)).await;
        for domain in host_domains(&demo).await.unwrap() {
            // Re-serialise through the lossless tree to count devices from the same text.
            let xml = XmlDocument::parse(
                &demo
                    .domain_xml(
                        domain.uuid.as_deref().unwrap().parse().unwrap(),
                        XmlFlags::default(),
                    )
                    .await
                    .unwrap(),
            )
            .unwrap()
            .to_xml_string();
            assert_lists_every_device(&xml);
            listed += 1;
        }
    }
    assert!(listed > 10, "demo machines checked: {listed}");
}
