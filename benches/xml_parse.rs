//! Measures the domain XML model: parse (lossless tree, then typed model), serialise and a
//! typical edit, on the rich fixture, libvirt's dump of it, a small QEMU guest and a big
//! generated domain. Prints figures; run with `cargo bench --bench xml_parse`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use hangar::driver::xml::{DomainXml, XmlDocument};

const RICH: &str = include_str!("../tests/data/rich-domain.xml");
const MEMTEST: &str = "<domain type='qemu'>\n  <name>memtest</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\n  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>/boot/memtest86+x64.bin</kernel></os>\n  <devices><graphics type='vnc' port='-1' listen='127.0.0.1'/><video><model type='vga'/></video></devices>\n</domain>";

/// Mean time of `work` over enough runs to fill about half a second.
fn time(work: impl Fn()) -> Duration {
    work();
    let mut runs = 0u32;
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(500) {
        work();
        runs += 1;
    }
    started.elapsed() / runs.max(1)
}

fn report(label: &str, xml: &str) {
    // Baseline: quick-xml's event loop alone, without building anything.
    let events = time(|| {
        let mut reader = quick_xml::Reader::from_str(black_box(xml));
        while let Ok(event) = reader.read_event() {
            if matches!(event, quick_xml::events::Event::Eof) {
                break;
            }
            black_box(event);
        }
    });
    let tree = time(|| {
        black_box(XmlDocument::parse(black_box(xml)).ok());
    });
    let model = time(|| {
        black_box(DomainXml::parse(black_box(xml)).ok());
    });
    let Ok(document) = XmlDocument::parse(xml) else {
        println!("{label}: does not parse");
        return;
    };
    let write = time(|| {
        black_box(document.to_xml_string());
    });
    let edit = time(|| {
        black_box(document.edited(|d| d.set_title(Some("bench"))).ok());
    });
    let devices = DomainXml::parse(xml).map_or(0, |d| d.devices.len());
    println!(
        "{label:<28} {:>7} bytes {devices:>4} devices | events {events:>9.1?} | tree {tree:>10.1?} | tree+model {model:>10.1?} | write {write:>10.1?} | parse-free edit+write {edit:>10.1?}",
        xml.len()
    );
}

fn main() {
    // libvirt's own formatting of the fixture, when the test driver is reachable.
    let dumped = virt::connect::Connect::open(Some("test:///default"))
        .and_then(|conn| conn.define_domain_xml(RICH))
        .and_then(|domain| domain.xml_desc(0));
    let big = {
        let device = "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/x.qcow2'/><target dev='vda' bus='virtio'/></disk>\n";
        RICH.replace("<devices>", &format!("<devices>{}", device.repeat(500)))
    };
    report("memtest (DESIGN.md)", MEMTEST);
    report("rich fixture", RICH);
    match &dumped {
        Ok(xml) => report("rich, libvirt dumpxml", xml),
        Err(error) => println!("rich, libvirt dumpxml: unavailable ({error})"),
    }
    report("rich + 500 disks", &big);
}
