//! The hardware list, like virt-manager's left column: CPUs, Memory and Boot options first,
//! then every child of `<devices>` grouped by kind (disks, NICs, input, graphics, …), each
//! with an icon, a label and the property rows the details pane shows. Devices the model does
//! not know are listed by element name with their XML: every device appears exactly once.

mod properties;

use crate::driver::xml::{Device, DeviceKind, DomainXml};
use crate::i18n::gettext;

pub use properties::{Property, device_properties, firmware_text};

/// What an entry of the list stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HardwareId {
    Cpus,
    Memory,
    Boot,
    /// The device at this index of the domain's device list.
    Device(usize),
}

/// One entry of the hardware list.
#[derive(Debug, Clone, PartialEq)]
pub struct HardwareEntry {
    pub id: HardwareId,
    pub label: String,
    /// A symbolic icon name.
    pub icon: &'static str,
    /// Read-only facts for the details pane, in display order.
    pub properties: Vec<Property>,
    /// The device's own XML (secrets redacted); `None` for CPUs, Memory and Boot.
    pub xml: Option<String>,
    /// Whether the pane offers "Remove" (devices other than the emulator).
    pub removable: bool,
    /// False for elements the model does not know (shown with their XML only).
    pub known: bool,
}

/// Where a device kind sorts in the list (virt-manager's grouping), lower first.
fn rank(kind: &DeviceKind) -> u32 {
    match kind {
        DeviceKind::Disk(_) => 10,
        DeviceKind::Interface(_) => 20,
        DeviceKind::Input(_) => 30,
        DeviceKind::Graphics(_) => 40,
        DeviceKind::Sound(_) => 50,
        DeviceKind::Audio(_) => 51,
        DeviceKind::Serial(_) => 60,
        DeviceKind::Parallel(_) => 61,
        DeviceKind::Console(_) => 62,
        DeviceKind::Channel(_) => 63,
        DeviceKind::Hostdev(_) => 70,
        DeviceKind::Redirdev(_) => 71,
        DeviceKind::Hub(_) => 72,
        DeviceKind::Video(_) => 80,
        DeviceKind::Watchdog(_) => 90,
        DeviceKind::Controller(_) => 100,
        DeviceKind::Filesystem(_) => 110,
        DeviceKind::Smartcard(_) => 120,
        DeviceKind::Tpm(_) => 130,
        DeviceKind::Rng(_) => 140,
        DeviceKind::Panic(_) => 150,
        DeviceKind::Vsock(_) => 160,
        DeviceKind::Memballoon(_) => 170,
        DeviceKind::Memory(_) => 180,
        DeviceKind::Shmem(_) => 185,
        DeviceKind::Iommu(_) => 190,
        DeviceKind::Lease(_) => 195,
        DeviceKind::Crypto(_) => 196,
        DeviceKind::Emulator(_) => 198,
        DeviceKind::Other { .. } => 200,
    }
}

/// The symbolic icon of a device kind.
pub fn device_icon(kind: &DeviceKind) -> &'static str {
    match kind {
        DeviceKind::Disk(disk) => match disk.device_or_default() {
            "cdrom" => "media-optical-symbolic",
            "floppy" => "media-floppy-symbolic",
            _ => "drive-harddisk-symbolic",
        },
        DeviceKind::Interface(_) => "network-wired-symbolic",
        DeviceKind::Input(input) => match input.input_type.as_deref() {
            Some("keyboard") => "input-keyboard-symbolic",
            Some("tablet") => "input-tablet-symbolic",
            _ => "input-mouse-symbolic",
        },
        DeviceKind::Graphics(_) | DeviceKind::Video(_) => "video-display-symbolic",
        DeviceKind::Sound(_) | DeviceKind::Audio(_) => "audio-card-symbolic",
        DeviceKind::Serial(_)
        | DeviceKind::Parallel(_)
        | DeviceKind::Console(_)
        | DeviceKind::Channel(_) => "utilities-terminal-symbolic",
        DeviceKind::Hostdev(_) | DeviceKind::Redirdev(_) | DeviceKind::Hub(_) => {
            "media-removable-symbolic"
        }
        DeviceKind::Filesystem(_) => "folder-remote-symbolic",
        DeviceKind::Smartcard(_) => "auth-smartcard-symbolic",
        DeviceKind::Tpm(_) | DeviceKind::Crypto(_) => "security-high-symbolic",
        DeviceKind::Rng(_) => "dialog-password-symbolic",
        DeviceKind::Watchdog(_) | DeviceKind::Panic(_) => "alarm-symbolic",
        DeviceKind::Memballoon(_) | DeviceKind::Memory(_) | DeviceKind::Shmem(_) => {
            "preferences-system-devices-symbolic"
        }
        DeviceKind::Emulator(_) => "application-x-executable-symbolic",
        DeviceKind::Controller(_)
        | DeviceKind::Vsock(_)
        | DeviceKind::Iommu(_)
        | DeviceKind::Lease(_) => "preferences-system-devices-symbolic",
        DeviceKind::Other { .. } => "dialog-question-symbolic",
    }
}

/// A device's XML as cut from its document, re-indented to start at the left margin: the
/// lines after the first carry the document's indentation, which the pane does not want.
pub fn dedent_device_xml(xml: &str) -> String {
    let mut lines = xml.lines();
    let Some(first) = lines.next() else {
        return String::new();
    };
    let rest: Vec<&str> = lines.collect();
    // The closing line sits at the element's own depth; inner lines deeper.
    let indent = rest
        .iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = first.to_owned();
    for line in rest {
        out.push('\n');
        out.push_str(line.get(indent..).unwrap_or(line.trim_start()));
    }
    out
}

/// The entry of one device.
pub fn device_entry(device: &Device) -> HardwareEntry {
    HardwareEntry {
        id: HardwareId::Device(device.index),
        label: device.label(),
        icon: device_icon(&device.kind),
        properties: device_properties(device),
        xml: Some(dedent_device_xml(&device.xml)),
        removable: !matches!(device.kind, DeviceKind::Emulator(_)),
        known: !matches!(device.kind, DeviceKind::Other { .. }),
    }
}

/// Every entry of `domain`'s hardware list, in display order.
pub fn hardware_entries(domain: &DomainXml) -> Vec<HardwareEntry> {
    let fixed = |id, label: String, icon, properties| HardwareEntry {
        id,
        label,
        icon,
        properties,
        xml: None,
        removable: false,
        known: true,
    };
    let mut entries = vec![
        fixed(
            HardwareId::Cpus,
            gettext("CPUs"),
            "system-run-symbolic",
            properties::cpu_properties(domain),
        ),
        fixed(
            HardwareId::Memory,
            gettext("Memory"),
            "preferences-system-devices-symbolic",
            properties::memory_properties(domain),
        ),
        fixed(
            HardwareId::Boot,
            gettext("Boot Options"),
            "system-reboot-symbolic",
            properties::boot_properties(domain),
        ),
    ];
    let mut devices: Vec<&Device> = domain.devices.iter().collect();
    // A stable sort keeps document order within each group.
    devices.sort_by_key(|device| rank(&device.kind));
    entries.extend(devices.into_iter().map(device_entry));
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_xml_is_dedented() {
        let xml = "<disk type='file'>\n      <source file='/a'/>\n        <deep/>\n    </disk>";
        assert_eq!(
            dedent_device_xml(xml),
            "<disk type='file'>\n  <source file='/a'/>\n    <deep/>\n</disk>"
        );
        assert_eq!(dedent_device_xml("<video/>"), "<video/>");
        assert_eq!(dedent_device_xml(""), "");
    }

    #[test]
    fn every_device_appears_once_grouped_by_kind() {
        let xml = "<domain><name>n</name><devices>\
            <video><model type='vga'/></video>\
            <disk device='disk'><target dev='vda'/></disk>\
            <future-gadget colour='blue'/>\
            <interface type='user'><mac address='52:54:00:00:00:01'/></interface>\
            <disk device='cdrom'><target dev='sda'/></disk>\
            </devices></domain>";
        let entries = hardware_entries(&DomainXml::parse(xml).unwrap());
        let ids: Vec<HardwareId> = entries.iter().map(|e| e.id).collect();
        assert_eq!(
            ids,
            [
                HardwareId::Cpus,
                HardwareId::Memory,
                HardwareId::Boot,
                HardwareId::Device(1),
                HardwareId::Device(4),
                HardwareId::Device(3),
                HardwareId::Device(0),
                HardwareId::Device(2),
            ]
        );
        let unknown = &entries[7];
        assert_eq!(unknown.label, "future-gadget");
        assert!(!unknown.known && unknown.removable);
        assert!(
            unknown
                .xml
                .as_deref()
                .is_some_and(|x| x.contains("colour='blue'"))
        );
    }
}
