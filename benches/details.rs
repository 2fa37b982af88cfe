//! Measures the details pages' work: building the hardware list of the rich fixture, and what
//! the Delete dialog costs on a big host — every domain's definition read for shared-disk
//! detection (one worker job), the volume lookups, and the matching itself — on generated
//! test-driver fleets of 500 and 2000 machines. Prints figures; run with
//! `cargo bench --bench details`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hangar::details::Definition;
use hangar::details::apply::{host_domains, resolve_volumes};
use hangar::details::delete::storage_choices;
use hangar::details::hardware::hardware_entries;
use hangar::driver::xml::DomainXml;
use hangar::driver::{Driver, NoCredentials, OpenOptions, UpdateKind};
use hangar::fleetgen::{FleetSpec, write_node_xml};

const RICH: &str = include_str!("../tests/data/rich-domain.xml");

/// Mean time of `work` over enough runs to fill about half a second.
fn time(mut work: impl FnMut()) -> Duration {
    work();
    let mut runs = 0u32;
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(500) {
        work();
        runs += 1;
    }
    started.elapsed() / runs.max(1)
}

fn hardware_list() {
    let parse_and_list = time(|| {
        if let Ok(domain) = DomainXml::parse(black_box(RICH)) {
            black_box(hardware_entries(&domain));
        }
    });
    let entries = DomainXml::parse(RICH).map_or(0, |d| hardware_entries(&d).len());
    println!(
        "hardware list of the rich fixture ({entries} entries), parse included: {parse_and_list:.1?}"
    );
}

async fn delete_dialog(vms: usize) {
    let spec = FleetSpec {
        vms,
        seed: 7,
        name_prefix: "bench-".into(),
        volumes: true,
    };
    let path =
        std::env::temp_dir().join(format!("hangar-det-bench-{}-{vms}.xml", std::process::id()));
    if let Err(error) = write_node_xml(&spec, &path) {
        println!("cannot write the fleet: {error}");
        return;
    }
    let driver = Driver::new(Arc::new(NoCredentials));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let options = OpenOptions {
        poll_interval: Duration::ZERO,
        ..OpenOptions::default()
    };
    let conn = driver.open(&format!("test://{}", path.display()), options, tx);
    let inventory = loop {
        match rx.recv().await.map(|u| u.kind) {
            Some(UpdateKind::Inventory(inventory)) => break inventory,
            Some(_) => continue,
            None => {
                println!("the connection closed");
                return;
            }
        }
    };
    let Some(first) = inventory.domains.first() else {
        println!("no domains");
        return;
    };
    let uuid = first.uuid;

    let started = Instant::now();
    let definition = Definition::load(&conn, uuid).await;
    let load = started.elapsed();
    let Ok(definition) = definition else {
        println!("cannot read the definition");
        return;
    };
    let started = Instant::now();
    let others = host_domains(&conn).await.unwrap_or_default();
    let all = started.elapsed();
    let storage = definition.domain.disk_storage();
    let started = Instant::now();
    let resolved = resolve_volumes(&conn, &storage).await.unwrap_or_default();
    let volumes = started.elapsed();
    let matching = time(|| {
        black_box(storage_choices(&definition.domain, &others, &resolved));
    });
    println!(
        "{vms:>5} machines: one definition {load:>8.1?} | every definition (one job, parsed) {all:>9.1?} | {} volume lookups {volumes:>8.1?} | shared-disk matching {matching:>9.1?}",
        storage.len()
    );
    conn.close();
    let _ = std::fs::remove_file(&path);
}

fn main() {
    hardware_list();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            println!("no tokio runtime: {error}");
            return;
        }
    };
    for vms in [500, 2000] {
        runtime.block_on(delete_dialog(vms));
    }
}
