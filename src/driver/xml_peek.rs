//! A light, allocation-frugal read of the few facts the driver needs from a domain's XML (title,
//! description, memory, vCPUs, device names for per-device statistics). The full serde model
//! lives in `driver::xml`; the driver does not depend on it.

#![forbid(unsafe_code)]

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

/// What [`peek`] extracts from a domain XML document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DomainXmlFacts {
    pub title: Option<String>,
    pub description: Option<String>,
    /// `<memory>`: the maximum (boot) memory, in KiB.
    pub max_memory_kib: Option<u64>,
    /// `<currentMemory>`, in KiB.
    pub current_memory_kib: Option<u64>,
    /// `<vcpu>` text: the maximum number of vCPUs.
    pub max_vcpus: Option<u32>,
    /// `<vcpu current='N'>`, or the maximum when absent.
    pub current_vcpus: Option<u32>,
    /// `<disk><target dev=…>` of every disk, in document order.
    pub disks: Vec<String>,
    /// Per interface: `<target dev=…>` when present, else the MAC address (libvirt accepts
    /// either for `virDomainInterfaceStats`).
    pub interfaces: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Description,
    Memory,
    CurrentMemory,
    Vcpu,
}

/// Reads the facts; malformed XML yields whatever was read before the error.
pub(crate) fn peek(xml: &str) -> DomainXmlFacts {
    let mut facts = DomainXmlFacts::default();
    let mut reader = quick_xml::Reader::from_str(xml);
    // Element path below the root, e.g. ["devices", "interface"].
    let mut depth = 0usize;
    let mut in_devices = false;
    let mut device: Option<&'static str> = None;
    let mut interface_target: Option<String> = None;
    let mut interface_mac: Option<String> = None;
    let mut field: Option<(Field, Option<String>)> = None;
    let mut text = String::new();
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Start(start) => {
                depth += 1;
                on_element(
                    &start,
                    depth,
                    &mut in_devices,
                    &mut device,
                    &mut interface_target,
                    &mut interface_mac,
                    &mut facts,
                    &mut field,
                );
                text.clear();
            }
            Event::Empty(start) => {
                // An empty element opens and closes at once: treat it at depth + 1.
                on_element(
                    &start,
                    depth + 1,
                    &mut in_devices,
                    &mut device,
                    &mut interface_target,
                    &mut interface_mac,
                    &mut facts,
                    &mut field,
                );
                if let Some((kind, unit)) = field.take() {
                    store(&mut facts, kind, unit.as_deref(), "");
                }
                close_element(
                    depth + 1,
                    &mut in_devices,
                    &mut device,
                    &mut interface_target,
                    &mut interface_mac,
                    &mut facts,
                );
            }
            Event::Text(content) if field.is_some() => {
                text.push_str(&content.xml10_content());
            }
            Event::GeneralRef(reference) if field.is_some() => {
                text.push('&');
                text.push_str(&reference.xml10_content());
                text.push(';');
            }
            Event::CData(content) if field.is_some() => {
                // CDATA is literal text: escape it so the final unescape restores it.
                text.push_str(&quick_xml::escape::escape(content.as_ref()));
            }
            Event::End(_) => {
                if let Some((kind, unit)) = field.take() {
                    let value = quick_xml::escape::unescape(&text)
                        .map(|value| value.into_owned())
                        .unwrap_or_else(|_| text.clone());
                    store(&mut facts, kind, unit.as_deref(), &value);
                }
                close_element(
                    depth,
                    &mut in_devices,
                    &mut device,
                    &mut interface_target,
                    &mut interface_mac,
                    &mut facts,
                );
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    facts
}

fn attribute(start: &BytesStart<'_>, name: &str) -> Option<String> {
    let attribute = start.try_get_attribute(name).ok()??;
    attribute
        .normalized_value(XmlVersion::Implicit1_0)
        .ok()
        .map(|value| value.into_owned())
}

#[allow(clippy::too_many_arguments)]
fn on_element(
    start: &BytesStart<'_>,
    depth: usize,
    in_devices: &mut bool,
    device: &mut Option<&'static str>,
    interface_target: &mut Option<String>,
    interface_mac: &mut Option<String>,
    facts: &mut DomainXmlFacts,
    field: &mut Option<(Field, Option<String>)>,
) {
    let name = start.local_name();
    let name = name.as_ref();
    match depth {
        // Children of <domain>.
        2 => {
            let kind = match name {
                "title" => Some(Field::Title),
                "description" => Some(Field::Description),
                "memory" => Some(Field::Memory),
                "currentMemory" => Some(Field::CurrentMemory),
                "vcpu" => {
                    if let Some(current) = attribute(start, "current") {
                        facts.current_vcpus = current.trim().parse().ok();
                    }
                    Some(Field::Vcpu)
                }
                "devices" => {
                    *in_devices = true;
                    None
                }
                _ => None,
            };
            *field = kind.map(|kind| (kind, attribute(start, "unit")));
        }
        3 if *in_devices => {
            *device = match name {
                "disk" => Some("disk"),
                "interface" => Some("interface"),
                _ => None,
            };
        }
        4 if *in_devices => match (*device, name) {
            (Some("disk"), "target") => {
                if let Some(dev) = attribute(start, "dev") {
                    facts.disks.push(dev);
                }
            }
            (Some("interface"), "target") => *interface_target = attribute(start, "dev"),
            (Some("interface"), "mac") => *interface_mac = attribute(start, "address"),
            _ => {}
        },
        _ => {}
    }
}

fn close_element(
    depth: usize,
    in_devices: &mut bool,
    device: &mut Option<&'static str>,
    interface_target: &mut Option<String>,
    interface_mac: &mut Option<String>,
    facts: &mut DomainXmlFacts,
) {
    match depth {
        2 => *in_devices = false,
        3 if *in_devices => {
            if *device == Some("interface") {
                if let Some(name) = interface_target.take().or_else(|| interface_mac.take()) {
                    facts.interfaces.push(name);
                }
                *interface_mac = None;
            }
            *device = None;
        }
        _ => {}
    }
}

fn store(facts: &mut DomainXmlFacts, field: Field, unit: Option<&str>, value: &str) {
    match field {
        Field::Title => facts.title = non_empty(value),
        Field::Description => facts.description = non_empty(value),
        Field::Memory => facts.max_memory_kib = to_kib(value, unit),
        Field::CurrentMemory => facts.current_memory_kib = to_kib(value, unit),
        Field::Vcpu => {
            facts.max_vcpus = value.trim().parse().ok();
            if facts.current_vcpus.is_none() {
                facts.current_vcpus = facts.max_vcpus;
            }
        }
    }
}

fn non_empty(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

/// Converts a libvirt memory value with its `unit` attribute (default KiB) to KiB.
pub(crate) fn to_kib(value: &str, unit: Option<&str>) -> Option<u64> {
    let number: u64 = value.trim().parse().ok()?;
    let bytes_per_unit: u64 = match unit.unwrap_or("KiB") {
        "b" | "bytes" => 1,
        "KB" => 1_000,
        "k" | "K" | "KiB" => 1 << 10,
        "MB" => 1_000_000,
        "M" | "MiB" => 1 << 20,
        "GB" => 1_000_000_000,
        "G" | "GiB" => 1 << 30,
        "TB" => 1_000_000_000_000,
        "T" | "TiB" => 1 << 40,
        _ => return None,
    };
    number.checked_mul(bytes_per_unit).map(|bytes| bytes / 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<domain type='test' id='1'>
  <name>web</name>
  <title>Web &amp; app</title>
  <description>line one&#10;line two</description>
  <memory unit='MiB'>4096</memory>
  <currentMemory unit='KiB'>2097152</currentMemory>
  <vcpu placement='static' current='2'>4</vcpu>
  <metadata><title>not this one</title></metadata>
  <devices>
    <disk type='file' device='disk'><source file='/a.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>
    <interface type='network'><mac address='52:54:00:00:00:01'/><target dev='vnet3'/></interface>
    <interface type='network'><mac address='52:54:00:00:00:02'/><source network='default'/></interface>
    <graphics type='vnc' port='-1'/>
  </devices>
</domain>"#;

    #[test]
    fn reads_the_facts_the_driver_needs() {
        let facts = peek(XML);
        assert_eq!(facts.title.as_deref(), Some("Web & app"));
        assert_eq!(facts.description.as_deref(), Some("line one\nline two"));
        assert_eq!(facts.max_memory_kib, Some(4 * 1024 * 1024));
        assert_eq!(facts.current_memory_kib, Some(2 * 1024 * 1024));
        assert_eq!(facts.max_vcpus, Some(4));
        assert_eq!(facts.current_vcpus, Some(2));
        assert_eq!(facts.disks, ["vda", "sda"]);
        assert_eq!(facts.interfaces, ["vnet3", "52:54:00:00:00:02"]);
    }

    #[test]
    fn missing_parts_stay_none_and_garbage_does_not_panic() {
        let facts = peek("<domain><name>x</name><vcpu>3</vcpu></domain>");
        assert_eq!(facts.title, None);
        assert_eq!(facts.current_vcpus, Some(3));
        assert!(facts.disks.is_empty());
        let _ = peek("<domain><title>unterminated");
        let _ = peek("\u{0}not xml at all<<<");
    }

    #[test]
    fn memory_units_convert() {
        assert_eq!(to_kib("1", Some("GiB")), Some(1024 * 1024));
        assert_eq!(to_kib("2048", None), Some(2048));
        assert_eq!(to_kib("1000000", Some("KB")), Some(976_562));
        assert_eq!(to_kib("12", Some("parsecs")), None);
        assert_eq!(to_kib("-1", None), None);
    }
}
