//! The details pages' plans against the real `qemu:///system` with the memtest guest
//! (DESIGN.md §4): live vCPU hot-plug reported back, a balloon change accepted, changes
//! persistent at next boot, hypervisor limits refused whole with libvirt's message, invalid
//! XML leaving the definition byte-identical, live device unplug, and "delete with storage"
//! removing exactly the selected volumes of a temporary `dir` pool.
//!
//! Needs the system libvirtd, QEMU, memtest86+ and qemu-img; with HANGAR_TEST_REQUIRE_ALL=1
//! their absence fails. Everything created is named `hangar-det-<pid>-…` and removed by drop
//! guards, also when a test fails.
//!
//! memtest has no balloon driver, so the guest never gives memory back: libvirt accepts the
//! new balloon target but keeps reporting the actual size. The live memory round trip is
//! proven against the test driver (`details_test_driver.rs`); here the target's acceptance and
//! its persistence are.

// Test code: helpers outside #[test] functions may panic on failure too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "driver_support/common.rs"]
mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Updates, driver, service_missing};
use hangar::details::apply::{
    apply_removal, apply_resources, define_edited_xml, delete_domain, host_domains,
    resolve_volumes, snapshot_count,
};
use hangar::details::delete::{DeletePlan, storage_choices, undefine_notes};
use hangar::details::removal::{LiveRemoval, plan_removal};
use hangar::details::resources::{ResourceState, Resources, plan_resources};
use hangar::details::{ApplyError, Definition};
use hangar::driver::xml::DomainXml;
use hangar::driver::{Connection, OpenOptions, XmlFlags};
use hangar::model::{DomainState, DomainUuid};
use virt::connect::Connect;

const MEMTEST: &str = "/boot/memtest86+x64.bin";
const URI: &str = "qemu:///system";

fn available() -> Result<(), String> {
    if !std::path::Path::new(MEMTEST).exists() {
        return Err(format!("{MEMTEST} is missing (Debian package memtest86+)"));
    }
    if !std::path::Path::new("/usr/bin/qemu-img").exists() {
        return Err("qemu-img is missing (Debian package qemu-utils)".into());
    }
    Connect::open(Some(URI))
        .map(drop)
        .map_err(|error| format!("{URI} is not reachable: {}", error.message()))
}

/// Whether the test may run (else it has said why, or failed under REQUIRE_ALL).
async fn may_run() -> bool {
    match tokio::task::spawn_blocking(available).await.unwrap() {
        Ok(()) => true,
        Err(why) => !service_missing(&why),
    }
}

fn name(tag: &str) -> String {
    format!("hangar-det-{}-{tag}", std::process::id())
}

/// Destroys and undefines guests (with managed save and snapshot metadata) on drop.
struct Guests(Vec<String>);

impl Drop for Guests {
    fn drop(&mut self) {
        let Ok(conn) = Connect::open(Some(URI)) else {
            return;
        };
        for name in &self.0 {
            if let Ok(domain) = conn.lookup_domain_by_name(name) {
                let _ = domain.destroy();
                let _ = domain.undefine_flags(
                    virt::sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                        | virt::sys::VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
                        | virt::sys::VIR_DOMAIN_UNDEFINE_NVRAM,
                );
            }
        }
    }
}

fn memtest_xml(name: &str, extra_devices: &str) -> String {
    format!(
        "<domain type='qemu'><name>{name}</name>\
         <memory unit='MiB'>128</memory><currentMemory unit='MiB'>96</currentMemory>\
         <vcpu placement='static' current='1'>2</vcpu>\
         <os><type arch='x86_64' machine='pc'>hvm</type><kernel>{MEMTEST}</kernel></os>\
         <devices><graphics type='vnc' port='-1' listen='127.0.0.1' passwd='detvncpw'/>\
         <video><model type='vga'/></video>{extra_devices}</devices></domain>"
    )
}

async fn open() -> (Connection, Updates) {
    let mut updates = Updates::new();
    let options = OpenOptions {
        poll_interval: Duration::from_secs(5),
        ..OpenOptions::default()
    };
    let conn = driver().open(URI, options, updates.tx.clone());
    updates.connected(conn.id(), Duration::from_secs(30)).await;
    (conn, updates)
}

async fn inactive_xml(conn: &Connection, uuid: DomainUuid) -> String {
    let flags = XmlFlags {
        inactive: true,
        secure: true,
    };
    conn.domain_xml(uuid, flags).await.unwrap()
}

async fn state_of(conn: &Connection, uuid: DomainUuid) -> ResourceState {
    let info = conn.domain_info(uuid).await.unwrap();
    let definition = Definition::load(conn, uuid).await.unwrap();
    ResourceState::new(&info, Some((&definition.domain, &definition.document)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memtest_vcpus_and_memory_now_and_at_next_boot() {
    if !may_run().await {
        return;
    }
    let guest = name("resources");
    let _guard = Guests(vec![guest.clone()]);
    let (conn, _updates) = open().await;
    let uuid = conn.define_xml(memtest_xml(&guest, "")).await.unwrap().uuid;
    conn.start(uuid).await.unwrap();

    let state = state_of(&conn, uuid).await;
    let live = state.live.unwrap();
    assert_eq!((live.vcpus, live.max_vcpus), (1, 2));
    let wanted = Resources {
        vcpus: 2,
        memory_kib: 64 * 1024,
        ..state.form()
    };
    let plan = plan_resources(&state, &wanted).unwrap();
    assert_eq!(plan.now.len(), 2, "{plan:?}");
    apply_resources(&conn, uuid, &plan).await.unwrap();
    // vCPU hot-plug is reported back by libvirt at once.
    assert_eq!(conn.domain_info(uuid).await.unwrap().vcpus, 2);
    let persistent = DomainXml::parse(&inactive_xml(&conn, uuid).await).unwrap();
    assert_eq!(persistent.memory.current_kib(), Some(64 * 1024));
    assert_eq!(persistent.vcpu.current_or_maximum(), Some(2));

    // Beyond the live maximum: planned for next boot, and there after a restart.
    let state = state_of(&conn, uuid).await;
    let wanted = Resources {
        vcpus: 3,
        max_vcpus: 3,
        max_memory_kib: 160 * 1024,
        ..state.form()
    };
    let plan = plan_resources(&state, &wanted).unwrap();
    assert!(plan.now.is_empty(), "{plan:?}");
    assert_eq!(plan.notes.len(), 1);
    apply_resources(&conn, uuid, &plan).await.unwrap();
    let info = conn.domain_info(uuid).await.unwrap();
    assert_eq!((info.vcpus, info.max_vcpus), (2, 2), "the running guest");
    conn.force_off(uuid).await.unwrap();
    conn.start(uuid).await.unwrap();
    let info = conn.domain_info(uuid).await.unwrap();
    assert_eq!(info.state, DomainState::Running);
    assert_eq!((info.vcpus, info.max_vcpus), (3, 3));
    assert_eq!(info.max_memory_kib, 160 * 1024);
    assert!(
        inactive_xml(&conn, uuid).await.contains("detvncpw"),
        "the VNC password survived every definition"
    );
    conn.force_off(uuid).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memtest_refusals_change_nothing() {
    if !may_run().await {
        return;
    }
    let guest = name("refusals");
    let _guard = Guests(vec![guest.clone()]);
    let (conn, _updates) = open().await;
    let uuid = conn.define_xml(memtest_xml(&guest, "")).await.unwrap().uuid;
    conn.start(uuid).await.unwrap();
    let before = inactive_xml(&conn, uuid).await;
    let info_before = conn.domain_info(uuid).await.unwrap();

    // More vCPUs than the 'pc' machine allows, with a live change in the same plan: the
    // hypervisor's refusal comes first, so the live change is never made.
    let state = state_of(&conn, uuid).await;
    let wanted = Resources {
        vcpus: 2,
        max_vcpus: 300,
        ..state.form()
    };
    let plan = plan_resources(&state, &wanted).unwrap();
    let error = apply_resources(&conn, uuid, &plan).await.unwrap_err();
    let ApplyError::Failed { message } = &error else {
        panic!("{error:?}");
    };
    assert!(message.contains("255"), "libvirt's message: {message}");
    assert_eq!(inactive_xml(&conn, uuid).await, before);
    assert_eq!(
        conn.domain_info(uuid).await.unwrap().vcpus,
        info_before.vcpus
    );

    // Invalid XML in the editor: not well-formed, against the schema, against QEMU.
    let lines: Vec<&str> = before.lines().collect();
    let memory = lines.iter().position(|l| l.contains("<memory")).unwrap();
    let mut malformed = lines.clone();
    malformed[memory] = "  <memory unit='KiB'>131072</memroy>";
    let problem = define_edited_xml(&conn, uuid, &malformed.join("\n"))
        .await
        .unwrap_err();
    assert_eq!(problem.line, Some(memory + 1), "{problem:?}");
    let mut schema = lines.clone();
    schema[memory] = "  <memory unit='KiB'>lots</memory>";
    let problem = define_edited_xml(&conn, uuid, &schema.join("\n"))
        .await
        .unwrap_err();
    assert_eq!(problem.line, Some(memory + 1), "{problem:?}");
    let machine = before.replace("machine='pc", "machine='no-such-machine");
    assert_ne!(machine, before);
    let problem = define_edited_xml(&conn, uuid, &machine).await.unwrap_err();
    assert!(problem.message.contains("no-such-machine"), "{problem:?}");
    assert_eq!(inactive_xml(&conn, uuid).await, before, "byte-identical");
    conn.force_off(uuid).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memtest_device_unplug_and_removal() {
    if !may_run().await {
        return;
    }
    let guest = name("unplug");
    let _guard = Guests(vec![guest.clone()]);
    let (conn, _updates) = open().await;
    let rng = "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>";
    let uuid = conn
        .define_xml(memtest_xml(&guest, rng))
        .await
        .unwrap()
        .uuid;
    conn.start(uuid).await.unwrap();
    let definition = Definition::load(&conn, uuid).await.unwrap();
    let index = definition
        .domain
        .devices
        .iter()
        .position(|d| d.element == "rng")
        .unwrap();
    let plan = plan_removal(&definition, index, true, true).unwrap();
    let outcome = apply_removal(&conn, uuid, &plan).await.unwrap();
    // QEMU accepts the unplug request (memtest never acknowledges it, libvirt says so by
    // returning after its wait); either way the outcome names what happened.
    assert!(
        matches!(
            outcome.live,
            LiveRemoval::Unplugged | LiveRemoval::Failed(_)
        ),
        "{outcome:?}"
    );
    assert!(!outcome.readded);
    let after = Definition::load(&conn, uuid).await.unwrap();
    assert!(after.domain.devices.iter().all(|d| d.element != "rng"));
    conn.force_off(uuid).await.unwrap();
}

/// A `dir` pool in a temporary directory, with its volumes, removed on drop.
struct TempPool {
    name: String,
    dir: PathBuf,
}

impl TempPool {
    fn new(conn: &Connect) -> TempPool {
        let name = name("pool");
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).unwrap();
        let xml = format!(
            "<pool type='dir'><name>{name}</name><target><path>{}</path></target></pool>",
            dir.display()
        );
        let pool = conn.create_storage_pool_xml(&xml, 0).unwrap();
        drop(pool);
        TempPool { name, dir }
    }

    /// Creates a volume through libvirt (qcow2 through qemu-img, raw as a sparse file).
    fn volume(&self, conn: &Connect, file: &str, format: &str) -> String {
        let pool = conn.lookup_storage_pool_by_name(&self.name).unwrap();
        let xml = format!(
            "<volume><name>{file}</name><capacity unit='MiB'>8</capacity>\
             <target><format type='{format}'/></target></volume>"
        );
        let volume = virt::storage_vol::StorageVol::create_xml(&pool, &xml, 0).unwrap();
        volume.path().unwrap()
    }
}

/// The volumes libvirt lists in pool `name` after a refresh, sorted.
fn volume_names(name: String) -> Vec<String> {
    let conn = Connect::open(Some(URI)).unwrap();
    let pool = conn.lookup_storage_pool_by_name(&name).unwrap();
    pool.refresh(0).unwrap();
    let mut names = pool.list_volumes().unwrap();
    names.sort();
    names
}

impl Drop for TempPool {
    fn drop(&mut self) {
        if let Ok(conn) = Connect::open(Some(URI))
            && let Ok(pool) = conn.lookup_storage_pool_by_name(&self.name)
        {
            for volume in pool.list_all_volumes(0).unwrap_or_default() {
                let _ = volume.delete(0);
            }
            let _ = pool.destroy();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn disk(path: &str, format: &str, target: &str) -> String {
    format!(
        "<disk type='file' device='disk'><driver name='qemu' type='{format}'/>\
         <source file='{path}'/><target dev='{target}' bus='virtio'/></disk>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_with_storage_removes_exactly_the_selected_volumes() {
    if !may_run().await {
        return;
    }
    let doomed = name("doomed");
    let other = name("other");
    let _guard = Guests(vec![doomed.clone(), other.clone()]);
    let setup = tokio::task::spawn_blocking(move || {
        let conn = Connect::open(Some(URI)).unwrap();
        let pool = TempPool::new(&conn);
        let own = pool.volume(&conn, "own.qcow2", "qcow2");
        let data = pool.volume(&conn, "data.raw", "raw");
        let shared = pool.volume(&conn, "shared.raw", "raw");
        let bystander = pool.volume(&conn, "bystander.raw", "raw");
        (pool, own, data, shared, bystander)
    })
    .await
    .unwrap();
    let (pool, own, data, shared, bystander) = setup;
    let (conn, _updates) = open().await;
    let cdrom = format!(
        "<disk type='file' device='cdrom'><source file='{MEMTEST}'/>\
         <target dev='hdc' bus='ide'/><readonly/></disk>"
    );
    let devices = [
        disk(&own, "qcow2", "vda"),
        disk(&data, "raw", "vdb"),
        disk(&shared, "raw", "vdc"),
        cdrom,
    ]
    .concat();
    let uuid = conn
        .define_xml(memtest_xml(&doomed, &devices))
        .await
        .unwrap()
        .uuid;
    conn.define_xml(memtest_xml(&other, &disk(&shared, "raw", "vda")))
        .await
        .unwrap();

    // A managed save image and snapshot metadata, which the undefine flags must handle.
    conn.start(uuid).await.unwrap();
    conn.managed_save(uuid).await.unwrap();
    let snapshot_domain = inactive_xml(&conn, uuid).await;
    conn.call(move |c| {
        let domain = c.lookup_domain_by_uuid_string(&uuid.to_string())?;
        let xml = format!(
            "<domainsnapshot><name>before-delete</name><state>shutoff</state>\
             <creationTime>1700000000</creationTime>{snapshot_domain}</domainsnapshot>"
        );
        domain
            .create_snapshot_xml(&xml, virt::sys::VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE)
            .map(drop)
    })
    .await
    .unwrap();

    // What the dialog offers.
    let info = conn.domain_info(uuid).await.unwrap();
    assert!(info.has_managed_save);
    let definition = Definition::load(&conn, uuid).await.unwrap();
    let storage = definition.domain.disk_storage();
    let resolved = resolve_volumes(&conn, &storage).await.unwrap();
    let others = host_domains(&conn).await.unwrap();
    let choices = storage_choices(&definition.domain, &others, &resolved);
    let summary: Vec<(&str, bool, bool)> = choices
        .iter()
        .map(|c| (c.target.as_str(), c.checked, c.blocked.is_none()))
        .collect();
    assert_eq!(
        summary,
        [
            ("vda", true, true),
            ("vdb", true, true),
            ("vdc", false, true),
            ("hdc", false, false)
        ],
        "{choices:#?}"
    );
    assert_eq!(choices[2].used_by, std::slice::from_ref(&other));
    let snapshots = snapshot_count(&conn, uuid).await;
    assert_eq!(snapshots, 1);
    assert_eq!(undefine_notes(&info, snapshots, None).len(), 2);

    // Delete with the dialog's defaults.
    let plan = DeletePlan::new(&info, &choices);
    assert_eq!(plan.volumes, [own.clone(), data.clone()]);
    let outcome = delete_domain(&conn, uuid, &plan).await.unwrap();
    assert_eq!(outcome.deleted, [own, data]);
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert!(conn.domain_info(uuid).await.is_err(), "the machine is gone");

    let pool_name = pool.name.clone();
    let names = tokio::task::spawn_blocking(move || volume_names(pool_name))
        .await
        .unwrap();
    assert_eq!(names, ["bystander.raw", "shared.raw"]);
    assert!(std::path::Path::new(&shared).exists());
    assert!(std::path::Path::new(&bystander).exists());
    assert!(std::path::Path::new(MEMTEST).exists(), "CD-ROM untouched");
    drop(pool);
}
